"""Simulator of the vehicle register (Zulassungsbehörde, holder information).

    GET /zfzr/v1/fahrzeuge/<kennzeichen>   -> vehicle with holder (404 FAHRZEUG_NICHT_GEFUNDEN)

The plate is accepted in the usual spellings ("MS-AB 123", "ms ab 123", "MS-AB123").
Run on its own: ``python -m connectors.simulators.kfz --port 8102``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response

from connectors.simulators.common import (Knobs, Simulator, as_json, cli_args, knobs_from, make_app,
                                          problem, run_forever, sim)
from connectors.simulators.seed import Town, Vehicle, build_town

PLATE = re.compile(r"^([A-ZÄÖÜ]{1,3})[- ]+([A-Z]{1,2})[ -]*(\d{1,4})([EH]?)$")


def normalize_plate(raw: str) -> str | None:
    """Canonical spelling ``MS-AB 123`` (``None`` if it is no German plate)."""
    match = PLATE.match(" ".join(raw.upper().split()))
    if not match:
        return None
    district, letters, digits, suffix = match.groups()
    return f"{district}-{letters} {int(digits)}{suffix}"


def _vehicle(town: Town, v: Vehicle) -> dict[str, Any]:
    holder: dict[str, Any]
    if v.halter_om:
        p = town.people[v.halter_om]
        main = next((w for w in p.wohnungen if w.wohnungsstatus == "Hauptwohnung"), p.wohnungen[0])
        holder = {"art": "natuerliche_person", "familienname": p.familienname, "vornamen": p.vornamen,
                  "geburtsdatum": p.geburtsdatum, "anschrift": main.anschrift()}
    else:
        holder = {"art": "juristische_person", "firma": v.halter_firma, "anschrift": v.halter_anschrift}
    return {"kennzeichen": v.kennzeichen,
            "fahrzeug": {"hersteller": v.hersteller, "typ": v.typ, "fahrzeugklasse": v.fahrzeugklasse,
                         "zulaessige_gesamtmasse_kg": v.zulaessige_gesamtmasse_kg,
                         "erstzulassung": v.erstzulassung},
            "halter": holder}


def create_app(seed: int = 1, knobs: Knobs | None = None, token: str | None = None) -> Flask:
    state = Simulator("kfz", seed=seed, knobs=knobs or Knobs(), token=token)
    town = build_town(seed)
    app = make_app(state)

    @app.get("/zfzr/v1/fahrzeuge/<path:plate>")
    def vehicle(plate: str) -> Response:
        key = normalize_plate(plate)
        if key is None:
            return problem(400, "Ungültiges Kennzeichen", f"{plate!r} ist kein gültiges Kennzeichen")
        sim().count("halterabfrage")
        with state.lock:
            found = town.vehicles.get(key)
            if found is None:
                return problem(404, "Fahrzeug nicht gefunden",
                               f"Zum Kennzeichen {key} ist kein Fahrzeug zugelassen.", "FAHRZEUG_NICHT_GEFUNDEN")
            return as_json(_vehicle(town, found))

    return app


def main() -> None:
    args = cli_args("Musterstadt vehicle register simulator")
    run_forever(create_app(args.seed, knobs_from(args), args.token), args)


if __name__ == "__main__":
    main()
