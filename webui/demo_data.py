"""Demo cases for ``amtsflow demo``: one case of each standard process in its typical states,
started and advanced through the engine's own services against the simulators. Each case belongs
to the person who applied (the demo identity provider signs in as any of them)."""

from __future__ import annotations

from datetime import timedelta
from collections.abc import Sequence
from typing import Any, Callable

from engine.bootstrap import Engine
from engine.domain.errors import AmtsflowError
from engine.jobs import JobExecutor
from engine.services import cases, messages, queries
from engine.tenancy import tenant_scope

ERIKA = {"familienname": "Mustermann", "vornamen": "Erika", "geburtsdatum": "1964-08-12",
         "email": "erika.mustermann@example.org"}
LEYLA = {"familienname": "Yılmaz", "vornamen": "Leyla", "geburtsdatum": "1978-01-30",
         "email": "leyla.yilmaz@example.org"}
JONAS = {"familienname": "Weber", "vornamen": "Jonas", "geburtsdatum": "1985-11-02",
         "email": "jonas.weber@example.org"}


def _parking(person: dict[str, Any], plate: str, use: str = "halter") -> dict[str, Any]:
    return {"antragsteller": person, "fahrzeug": {"kennzeichen": plate, "nutzung": use},
            "privater_stellplatz": False, "sozialpass": False, "elektronische_bekanntgabe": True}


class _Seeder:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.worker = JobExecutor(engine, "demo")
        self.lines: list[str] = []

    def start(self, key: str, data: dict[str, Any], what: str, citizen: str) -> str:
        """Start a case as the citizen ``citizen`` (their demo account) would: the engine assigns its
        Aktenzeichen, and only that person sees it under "Meine Anträge"."""
        case_id = cases.start_case(self.engine, key, data, actor=citizen)
        self.worker.run_until_idle()
        self.lines.append(f"{self.business_key(case_id)} {key}: {what}")
        return case_id

    def business_key(self, case_id: str) -> str:
        return str(queries.get_case(self.engine, case_id, with_history=False)["business_key"])

    def message(self, name: str, case_id: str, data: dict[str, Any] | None = None) -> None:
        key = self.business_key(case_id)
        messages.correlate_message(self.engine, name, key, data or {}, message_id=f"demo-{name}-{key}", actor="demo",
                                   to_case=case_id)
        self.worker.run_until_idle()

    def complete(self, case_id: str, element_id: str, data: dict[str, Any], user: str) -> None:
        [task] = [t for t in queries.list_tasks(self.engine, case_id=case_id) if t["element_id"] == element_id]
        cases.complete_task(self.engine, task["id"], data, actor=user)
        self.worker.run_until_idle()


def seed_demo_cases(engine: Engine, tenant_ids: Sequence[str] = ()) -> list[str]:
    """Start the demo cases once (those of the default tenant, then a few in each of
    ``tenant_ids``); a database that already has cases is left as it is."""
    if queries.list_cases(engine, limit=1):
        return ["cases exist already; none added"]
    seeder = _Seeder(engine)
    steps: list[Callable[[_Seeder], None]] = [_parking_cases, _dog_tax, _business, _move]
    for step in steps:
        try:
            step(seeder)
        except AmtsflowError as exc:  # a process missing from processes/ must not stop the demo
            seeder.lines.append(f"skipped: {exc.message}")
    for tenant_id in tenant_ids:
        try:
            with tenant_scope(tenant_id):
                _tenant_parking_cases(seeder, tenant_id)
        except AmtsflowError as exc:
            seeder.lines.append(f"skipped ({tenant_id}): {exc.message}")
    return seeder.lines


def _tenant_parking_cases(s: _Seeder, tenant_id: str) -> None:
    """A municipality's own parking permits: the fee comes from its own fee table (override)."""
    key = "bewohnerparkausweis"
    waiting = s.start(key, _parking(ERIKA, "MS-EM 1964"), f"{tenant_id}: waits for the payment", "erika")
    fee = queries.get_case(s.engine, waiting, with_history=False)["data"].get("gebuehr_cent")
    if isinstance(fee, int):
        s.lines[-1] += f" of {fee // 100},{fee % 100:02d} EUR"
    s.start(key, _parking(JONAS, "MS-JW 85"), f"{tenant_id}: with the clerks (no main residence in a zone)", "jonas")


def _parking_cases(s: _Seeder) -> None:
    key = "bewohnerparkausweis"
    s.start(key, _parking(ERIKA, "MS-EM 1964"), "waits for the payment", "erika")
    paid = s.start(key, _parking(LEYLA, "MS-LY 78"), "paid, issued, waits for the renewal date", "leyla")
    s.message("zahlung_gebucht", paid, {"zahlung_status": "BOOKED"})
    s.message("bescheid_abgerufen", paid)
    s.start(key, _parking(JONAS, "MS-JW 85"), "with the clerks (no main residence in a zone)", "jonas")
    four_eyes = s.start(key, _parking(JONAS, "MS-JW 85"), "rejection waits for a second clerk", "jonas")
    s.complete(four_eyes, "pruefen", {"entscheidung": "ablehnen",
                                      "begruendung": "Hauptwohnung liegt in keiner Bewohnerparkzone."}, "sb1")
    missing = s.start(key, _parking(ERIKA, "MS-MB 500", "firmenwagen"),
                      "documents requested from the citizen", "erika")
    s.complete(missing, "pruefen", {"entscheidung": "nachfordern",
                                    "nachforderung_unterlagen": "Arbeitgeberbestätigung"}, "sb1")


def _dog_tax(s: _Seeder) -> None:
    s.start("hundesteuer-anmeldung",
            {"antragsteller": LEYLA, "hund": {"name": "Bello", "rasse": "Labrador Retriever", "haltung_seit": "2025-12-20"},
             "weitere_hunde": 0, "befreiung": "keine", "elektronische_bekanntgabe": True},
            "decided automatically, waits for the citizen to retrieve the notice", "leyla")
    s.start("hundesteuer-anmeldung",
            {"antragsteller": LEYLA, "hund": {"name": "Rex", "rasse": "Rottweiler", "haltung_seit": "2025-12-20"},
             "weitere_hunde": 1, "befreiung": "keine", "elektronische_bekanntgabe": True},
            "with the clerks (a listed breed); its applicant may still withdraw it", "leyla")


def _business(s: _Seeder) -> None:
    begins = (s.engine.clock.now() + timedelta(days=14)).date().isoformat()
    s.start("gewerbeanmeldung", {
        "antragsteller": {"familienname": "Mustermann", "vornamen": "Max", "geburtsdatum": "1962-03-01",
                          "email": "max.mustermann@example.org", "staatsangehoerigkeit": "deutsch"},
        "betrieb": {"name": "Fahrradladen Mustermann", "rechtsform": "Einzelunternehmen",
                    "taetigkeit": "Einzelhandel mit Fahrrädern und Zubehör", "beginn": begins,
                    "anschrift": {"strasse": "Bahnhofstraße", "hausnummer": "8", "postleitzahl": "12345",
                                  "ort": "Musterstadt"},
                    "handwerk": "nein", "erlaubnispflichtig": False, "nebenerwerb": False},
        "elektronische_bekanntgabe": True}, "waits for the fee", "max")


def _move(s: _Seeder) -> None:
    moved_in = (s.engine.clock.now() - timedelta(days=3)).date().isoformat()
    s.start("wohnsitz-ummeldung", {
        "antragsteller": {"familienname": "Zimmermann", "vornamen": "Mehmet", "geburtsdatum": "1954-10-06",
                          "email": "mehmet.zimmermann@example.org"},
        "neue_wohnung": {"strasse": "Lindenweg", "hausnummer": "17", "postleitzahl": "12345",
                         "wohnort": "Musterstadt", "wohnungsstatus": "Hauptwohnung", "einzugsdatum": moved_in},
        "zuzug_aus_ausland": False, "familie": {"mitziehende_personen": False},
        "wohnungsgeber": {"bestaetigung": "online", "name": "Wohnbau eG", "email": "vermietung@wohnbau.example"},
        "elektronische_bekanntgabe": True}, "waits for the landlord's confirmation", "mehmet")
