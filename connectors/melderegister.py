"""``melderegister``: the registration register (XMeld-shaped person and address data).

Operations: ``find_person`` (name + birth date -> person with main residence and information block),
``read_addresses`` (all dwellings with residence type and residents' parking zone) and
``register_move`` (returns the Meldebestätigung reference).

Configuration: ``melderegister_url``, ``melderegister_token`` (bearer), ``melderegister_timeout``.
"""

from __future__ import annotations

from typing import Any, Mapping

from connectors.base import BackOffice, BaseConnector, BusinessError, config_float, obj, operation
from engine.ports import ServiceRequest

S = {"type": "string", "minLength": 1}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
ADDRESS = obj({"strasse": S, "hausnummer": S, "postleitzahl": {"type": "string", "pattern": r"^\d{5}$"},
               "wohnort": S}, ("strasse", "hausnummer", "postleitzahl"))
DWELLING = obj({"wohnungsstatus": {"enum": ["Hauptwohnung", "Nebenwohnung"]}, "anschrift": ADDRESS,
                "einzugsdatum": DATE, "parkzone": {"type": ["string", "null"]}},
               ("wohnungsstatus", "anschrift", "parkzone"))
PERSON_ID = {"type": "string", "pattern": r"^[A-Z]{1,3}-\d{4,10}$"}

NOT_FOUND = "PERSON_NICHT_GEFUNDEN"
AMBIGUOUS = "PERSON_NICHT_EINDEUTIG"
UNKNOWN_ADDRESS = "ANSCHRIFT_UNBEKANNT"


def _main_residence(person: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for dwelling in person.get("wohnungen") or []:
        if isinstance(dwelling, Mapping) and dwelling.get("wohnungsstatus") == "Hauptwohnung":
            return dwelling
    return None


class MelderegisterConnector(BaseConnector):
    name = "melderegister"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        token = config.get("melderegister_token")
        self.api = BackOffice(self.name, config.get("melderegister_url"),
                              timeout=config_float(config, "melderegister_timeout", 10.0),
                              headers={"Authorization": f"Bearer {token}"} if token else None)

    def close(self) -> None:
        self.api.close()

    def _person(self, person_id: str) -> Mapping[str, Any]:
        person = self.api.json("GET", f"/ewo/v1/personen/{person_id}")
        return person if isinstance(person, Mapping) else {}

    @operation("find_person", "Person im Melderegister suchen (Familienname, Vornamen, Geburtsdatum)",
               params=obj({"familienname": S, "vornamen": {"type": "string"}, "geburtsdatum": DATE},
                          ("familienname", "geburtsdatum")),
               result=obj({"person_id": PERSON_ID, "familienname": S, "vornamen": S, "geburtsdatum": DATE,
                           "auskunftssperre": {"type": "boolean"},
                           "hauptwohnung": {"oneOf": [DWELLING, {"type": "null"}]}},
                          ("person_id", "familienname", "vornamen", "geburtsdatum", "auskunftssperre",
                           "hauptwohnung")),
               errors=(NOT_FOUND, AMBIGUOUS))
    def find_person(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        answer = self.api.json("POST", "/ewo/v1/personen/suche", json=params,
                               idempotency_key=request.idempotency_key)
        hits = answer.get("treffer") if isinstance(answer, Mapping) else None
        if not isinstance(hits, list):
            return answer                         # refused by the result schema as malformed
        if not hits:
            raise BusinessError(NOT_FOUND, f"Keine Person {params['familienname']}, geboren am "
                                           f"{params['geburtsdatum']}, im Melderegister gefunden.")
        if len(hits) > 1:
            raise BusinessError(AMBIGUOUS, f"{len(hits)} Personen passen zur Suche; bitte Vornamen angeben.")
        person = hits[0] if isinstance(hits[0], Mapping) else {}
        return {"person_id": person.get("ordnungsmerkmal"), "familienname": person.get("familienname"),
                "vornamen": person.get("vornamen"), "geburtsdatum": person.get("geburtsdatum"),
                "auskunftssperre": person.get("auskunftssperre"), "hauptwohnung": _main_residence(person)}

    @operation("read_addresses", "Wohnungen einer Person lesen (Haupt-/Nebenwohnung, Parkzone, Auskunftssperre)",
               params=obj({"person_id": PERSON_ID}, ("person_id",)),
               result=obj({"person_id": PERSON_ID, "auskunftssperre": {"type": "boolean"},
                           "wohnungen": {"type": "array", "items": DWELLING},
                           "hauptwohnung": {"oneOf": [DWELLING, {"type": "null"}]}},
                          ("person_id", "auskunftssperre", "wohnungen", "hauptwohnung")),
               errors=(NOT_FOUND,))
    def read_addresses(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        person = self._person(params["person_id"])
        return {"person_id": person.get("ordnungsmerkmal"), "auskunftssperre": person.get("auskunftssperre"),
                "wohnungen": person.get("wohnungen"), "hauptwohnung": _main_residence(person)}

    @operation("register_move", "Umzug (Anmeldung einer Wohnung) im Melderegister eintragen",
               params=obj({"person_id": PERSON_ID, "einzugsdatum": DATE, "anschrift": ADDRESS,
                           "wohnungsstatus": {"enum": ["Hauptwohnung", "Nebenwohnung"]}},
                          ("person_id", "einzugsdatum", "anschrift")),
               result=obj({"person_id": PERSON_ID, "meldebestaetigung_referenz": {"type": "string",
                                                                                 "pattern": r"^MB-\d{4}-\d+$"},
                           "einzugsdatum": DATE, "wohnungsstatus": S, "anschrift": ADDRESS,
                           "parkzone": {"type": ["string", "null"]}},
                          ("person_id", "meldebestaetigung_referenz", "einzugsdatum", "anschrift", "parkzone")),
               errors=(NOT_FOUND, UNKNOWN_ADDRESS))
    def register_move(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        body = {"einzugsdatum": params["einzugsdatum"], "anschrift": params["anschrift"],
                "wohnungsstatus": params.get("wohnungsstatus", "Hauptwohnung")}
        answer = self.api.json("POST", f"/ewo/v1/personen/{params['person_id']}/anmeldungen", json=body,
                               idempotency_key=request.idempotency_key)
        if not isinstance(answer, Mapping) or not isinstance(answer.get("person"), Mapping):
            return answer
        mb, person = answer.get("meldebestaetigung") or {}, answer["person"]
        dwelling = next((w for w in person.get("wohnungen") or []
                         if isinstance(w, Mapping) and w.get("anschrift", {}).get("strasse")
                         == params["anschrift"]["strasse"]), {})
        return {"person_id": person.get("ordnungsmerkmal"),
                "meldebestaetigung_referenz": mb.get("referenz") if isinstance(mb, Mapping) else None,
                "einzugsdatum": params["einzugsdatum"], "wohnungsstatus": body["wohnungsstatus"],
                "anschrift": dwelling.get("anschrift"), "parkzone": dwelling.get("parkzone")}


def create(config: Mapping[str, str]) -> MelderegisterConnector:
    return MelderegisterConnector(config)
