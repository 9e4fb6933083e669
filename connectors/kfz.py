"""``kfz``: the vehicle register: holder of a number plate.

Operations: ``get_holder`` (plate -> vehicle and holder) and ``check_holder`` (is the applicant
the holder? otherwise the BPMN error HALTER_ABWEICHEND, e.g. to ask for the holder's consent).

Configuration: ``kfz_url``, ``kfz_token`` (bearer), ``kfz_timeout``.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from connectors.base import BackOffice, BaseConnector, BusinessError, config_float, fold_name, obj, operation
from engine.ports import ServiceRequest

S = {"type": "string", "minLength": 1}
PLATE = {"type": "string", "pattern": r"^[A-Za-zÄÖÜäöü]{1,3}[- ]+[A-Za-z]{1,2}[ -]*\d{1,4}[EHeh]?$"}
ADDRESS = obj({"strasse": S, "hausnummer": S, "postleitzahl": S, "wohnort": S},
              ("strasse", "hausnummer", "postleitzahl", "wohnort"))
VEHICLE = obj({"hersteller": S, "typ": S, "fahrzeugklasse": S,
               "zulaessige_gesamtmasse_kg": {"type": "integer", "minimum": 1}, "erstzulassung": S},
              ("hersteller", "typ", "fahrzeugklasse", "zulaessige_gesamtmasse_kg"))
HOLDER = obj({"art": {"enum": ["natuerliche_person", "juristische_person"]}, "familienname": S, "vornamen": S,
              "geburtsdatum": S, "firma": S, "anschrift": ADDRESS}, ("art", "anschrift"))

NOT_FOUND = "FAHRZEUG_NICHT_GEFUNDEN"
OTHER_HOLDER = "HALTER_ABWEICHEND"


class KfzConnector(BaseConnector):
    name = "kfz"

    def __init__(self, config: Mapping[str, str]) -> None:
        super().__init__()
        token = config.get("kfz_token")
        self.api = BackOffice(self.name, config.get("kfz_url"), timeout=config_float(config, "kfz_timeout", 10.0),
                              headers={"Authorization": f"Bearer {token}"} if token else None)

    def close(self) -> None:
        self.api.close()

    def _lookup(self, plate: str) -> Any:
        return self.api.json("GET", f"/zfzr/v1/fahrzeuge/{quote(plate.strip(), safe='')}")

    @operation("get_holder", "Halterauskunft: Fahrzeug und Halter zu einem Kennzeichen",
               params=obj({"kennzeichen": PLATE}, ("kennzeichen",)),
               result=obj({"kennzeichen": S, "fahrzeug": VEHICLE, "halter": HOLDER},
                          ("kennzeichen", "fahrzeug", "halter")),
               errors=(NOT_FOUND,))
    def get_holder(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        return self._lookup(params["kennzeichen"])

    @operation("check_holder", "Prüfen, ob die antragstellende Person Halterin/Halter des Fahrzeugs ist",
               params=obj({"kennzeichen": PLATE, "familienname": S, "vornamen": {"type": "string"},
                           "geburtsdatum": {"type": "string", "format": "date"}},
                          ("kennzeichen", "familienname", "geburtsdatum")),
               result=obj({"kennzeichen": S, "halter_bestaetigt": {"const": True}, "fahrzeug": VEHICLE},
                          ("kennzeichen", "halter_bestaetigt", "fahrzeug")),
               errors=(NOT_FOUND, OTHER_HOLDER))
    def check_holder(self, params: Mapping[str, Any], request: ServiceRequest) -> Any:
        answer = self._lookup(params["kennzeichen"])
        holder = answer.get("halter") if isinstance(answer, Mapping) else None
        if not isinstance(holder, Mapping):
            return answer                        # refused by the result schema as malformed
        same = (holder.get("art") == "natuerliche_person"
                and fold_name(str(holder.get("familienname", ""))) == fold_name(params["familienname"])
                and holder.get("geburtsdatum") == params["geburtsdatum"]
                and (not params.get("vornamen")
                     or fold_name(params["vornamen"]) in fold_name(str(holder.get("vornamen", "")))))
        if not same:
            raise BusinessError(OTHER_HOLDER, f"Das Fahrzeug {answer.get('kennzeichen')} ist nicht auf die "
                                              "antragstellende Person zugelassen.")
        return {"kennzeichen": answer.get("kennzeichen"), "halter_bestaetigt": True,
                "fahrzeug": answer.get("fahrzeug")}


def create(config: Mapping[str, str]) -> KfzConnector:
    return KfzConnector(config)
