"""Simulator of the registration register (Einwohnermeldewesen) of Musterstadt.

A REST API shaped after what municipal integrations call on an EWO system (person search,
person with dwellings and information block, registration of a move), with XMeld field names:

    POST /ewo/v1/personen/suche                      {familienname, vornamen?, geburtsdatum} -> {treffer}
    GET  /ewo/v1/personen/<ordnungsmerkmal>          -> person (404 PERSON_NICHT_GEFUNDEN)
    POST /ewo/v1/personen/<ordnungsmerkmal>/anmeldungen   (Idempotency-Key)
         {einzugsdatum, wohnungsstatus, anschrift} -> 201 {meldebestaetigung, person}
         (422 ANSCHRIFT_UNBEKANNT when the street is not in the town's street directory)

Run on its own: ``python -m connectors.simulators.melderegister --port 8101``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response, request

from connectors.base import fold_name as fold
from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, idempotent, knobs_from,
                                          make_app, problem, run_forever, sim)
from connectors.simulators.seed import PLZ, STREETS, Dwelling, Town, build_town


def create_app(seed: int = 1, knobs: Knobs | None = None, token: str | None = None) -> Flask:
    state = Simulator("melderegister", seed=seed, knobs=knobs or Knobs(), token=token)
    town: Town = build_town(seed)
    app = make_app(state)
    app.extensions["town"] = town
    counter = {"mb": 0}

    def not_found(om: str) -> Response:
        return problem(404, "Person nicht gefunden",
                       f"Im Melderegister ist keine Person mit dem Ordnungsmerkmal {om} verzeichnet.",
                       "PERSON_NICHT_GEFUNDEN")

    @app.post("/ewo/v1/personen/suche")
    def search() -> Response:
        query = request.get_json(silent=True)
        if not isinstance(query, dict) or not query.get("familienname") or not query.get("geburtsdatum"):
            return problem(400, "Ungültige Suchanfrage", "familienname und geburtsdatum sind Pflichtangaben")
        name, born = fold(str(query["familienname"])), str(query["geburtsdatum"])
        first = fold(str(query.get("vornamen") or ""))
        with state.lock:
            hits = [p.as_dict() for p in town.people.values()
                    if fold(p.familienname) == name and p.geburtsdatum == born
                    and (not first or first in fold(p.vornamen).split() or first == fold(p.vornamen))]
        sim().count("suche")
        return as_json({"treffer": hits, "anzahl": len(hits)})

    @app.get("/ewo/v1/personen/<om>")
    def person(om: str) -> Response:
        with state.lock:
            found = town.people.get(om)
            return as_json(found.as_dict()) if found else not_found(om)

    @app.post("/ewo/v1/personen/<om>/anmeldungen")
    @idempotent()
    def register_move(om: str) -> Response:
        body: dict[str, Any] = request.get_json(silent=True) or {}
        address = body.get("anschrift") or {}
        status = body.get("wohnungsstatus", "Hauptwohnung")
        try:
            moved_in = date.fromisoformat(str(body.get("einzugsdatum")))
        except ValueError:
            return problem(400, "Ungültiges Einzugsdatum", "einzugsdatum muss ein Datum (JJJJ-MM-TT) sein")
        if status not in ("Hauptwohnung", "Nebenwohnung"):
            return problem(400, "Ungültiger Wohnungsstatus", "Hauptwohnung oder Nebenwohnung")
        with state.lock:
            found = town.people.get(om)
            if found is None:
                return not_found(om)
            street = str(address.get("strasse", ""))
            if street not in STREETS or str(address.get("postleitzahl", "")) != PLZ or not address.get("hausnummer"):
                return problem(422, "Anschrift unbekannt",
                               f"Die Anschrift {street} {address.get('hausnummer', '')}, "
                               f"{address.get('postleitzahl', '')} ist im Straßenverzeichnis nicht enthalten.",
                               "ANSCHRIFT_UNBEKANNT")
            new = Dwelling(street, str(address["hausnummer"]), status, moved_in.isoformat())
            if status == "Hauptwohnung":
                found.wohnungen = [w for w in found.wohnungen if w.wohnungsstatus != "Hauptwohnung"]
            found.wohnungen.insert(0, new)
            counter["mb"] += 1
            reference = f"MB-{moved_in.year}-{counter['mb']:06d}"
            state.count("anmeldung")
            return as_json({"meldebestaetigung": {"referenz": reference, "ausgestellt_am": date.today().isoformat()},
                            "person": found.as_dict()}, status=201)

    return app


def main() -> None:
    args = cli_args("Musterstadt registration register (EWO) simulator")
    run_forever(create_app(args.seed, knobs_from(args), args.token), args)


if __name__ == "__main__":
    main()
