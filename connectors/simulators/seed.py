"""Seeded demo data of the fictional town Musterstadt (PLZ 12345): streets with residents' parking
zones, residents (some with an information block or a secondary residence) and their vehicles.

A handful of fixed people and plates are always present (tests and the demo rely on them); the
rest is generated deterministically from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

TOWN = "Musterstadt"
PLZ = "12345"

# street -> residents' parking zone (None: outside every zone)
STREETS: dict[str, str | None] = {
    "Hauptstraße": "A", "Marktplatz": "A", "Kirchgasse": "A", "Rathausplatz": "A",
    "Bahnhofstraße": "B", "Gleisweg": "B", "Am Güterbahnhof": "B",
    "Schlossallee": "C", "Parkstraße": "C", "Am Schlossberg": "C",
    "Lindenweg": None, "Birkenweg": None, "Am Sportplatz": None, "Industriestraße": None,
}

FIRST_F = ["Anna", "Sophie", "Marie", "Lena", "Fatma", "Zeynep", "Katarzyna", "Ursula", "Monika", "Özlem",
           "Hannah", "Emilia", "Sabine", "Renate", "Ilse"]
FIRST_M = ["Lukas", "Jonas", "Paul", "Mehmet", "Ahmet", "Piotr", "Klaus", "Jürgen", "Stefan", "Thomas",
           "Ben", "Elias", "Dieter", "Günter", "Björn"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
        "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Lehmann", "Köhler", "Yılmaz", "Kaya",
        "Nowak", "Kowalski", "Öztürk", "Großmann"]
MAKES = [("Volkswagen", "Golf"), ("Volkswagen", "Polo"), ("Opel", "Corsa"), ("Ford", "Fiesta"),
         ("BMW", "320i"), ("Mercedes-Benz", "A 180"), ("Škoda", "Octavia"), ("Renault", "Zoe"),
         ("Fiat", "500"), ("Toyota", "Yaris"), ("Hyundai", "Kona Elektro")]


@dataclass
class Dwelling:
    strasse: str
    hausnummer: str
    wohnungsstatus: str            # "Hauptwohnung" | "Nebenwohnung"
    einzugsdatum: str

    def anschrift(self) -> dict[str, str]:
        return {"strasse": self.strasse, "hausnummer": self.hausnummer, "postleitzahl": PLZ, "wohnort": TOWN}

    def as_dict(self) -> dict[str, Any]:
        return {"wohnungsstatus": self.wohnungsstatus, "anschrift": self.anschrift(),
                "einzugsdatum": self.einzugsdatum, "parkzone": STREETS.get(self.strasse)}


@dataclass
class Person:
    ordnungsmerkmal: str
    familienname: str
    vornamen: str
    geburtsdatum: str
    geschlecht: str
    staatsangehoerigkeit: str = "deutsch"
    auskunftssperre: bool = False
    wohnungen: list[Dwelling] = field(default_factory=list)
    email: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ordnungsmerkmal": self.ordnungsmerkmal, "familienname": self.familienname,
                "vornamen": self.vornamen, "geburtsdatum": self.geburtsdatum, "geschlecht": self.geschlecht,
                "staatsangehoerigkeit": self.staatsangehoerigkeit, "auskunftssperre": self.auskunftssperre,
                "wohnungen": [w.as_dict() for w in self.wohnungen]}


@dataclass
class Vehicle:
    kennzeichen: str
    hersteller: str
    typ: str
    fahrzeugklasse: str            # EU class: M1 car, N1 van <= 3.5 t, N2 truck
    zulaessige_gesamtmasse_kg: int
    erstzulassung: str
    halter_om: str | None = None   # Ordnungsmerkmal of the holding resident
    halter_firma: str | None = None
    halter_anschrift: dict[str, str] | None = None


@dataclass
class Town:
    people: dict[str, Person]
    vehicles: dict[str, Vehicle]


def _fixed() -> tuple[list[Person], list[Vehicle]]:
    d = Dwelling
    people = [
        Person("MS-0000001", "Mustermann", "Erika", "1964-08-12", "w",
               wohnungen=[d("Hauptstraße", "12", "Hauptwohnung", "2001-04-01")], email="erika.mustermann@example.org"),
        Person("MS-0000002", "Mustermann", "Max", "1962-03-01", "m",
               wohnungen=[d("Hauptstraße", "12", "Hauptwohnung", "2001-04-01")], email="max.mustermann@example.org"),
        Person("MS-0000003", "Schmidt", "Anna", "1990-05-23", "w", auskunftssperre=True,
               wohnungen=[d("Bahnhofstraße", "5", "Hauptwohnung", "2019-10-15")], email="anna.schmidt@example.org"),
        Person("MS-0000004", "Weber", "Jonas", "1985-11-02", "m",
               wohnungen=[d("Lindenweg", "4", "Hauptwohnung", "2015-02-01"),
                          d("Schlossallee", "7", "Nebenwohnung", "2022-09-01")], email="jonas.weber@example.org"),
        Person("MS-0000005", "Yılmaz", "Leyla", "1978-01-30", "w", staatsangehoerigkeit="türkisch",
               wohnungen=[d("Marktplatz", "3", "Hauptwohnung", "2010-06-01")], email="leyla.yilmaz@example.org"),
        Person("MS-0000006", "Müller-Lüdenscheidt", "Jürgen", "1955-07-19", "m",
               wohnungen=[d("Parkstraße", "9a", "Hauptwohnung", "1990-01-01")], email="juergen.mueller@example.org"),
    ]
    vehicles = [
        Vehicle("MS-AB 123", "Volkswagen", "Golf", "M1", 1800, "2019-03-14", halter_om="MS-0000002"),
        Vehicle("MS-EM 1964", "Renault", "Zoe", "M1", 1990, "2021-07-01", halter_om="MS-0000001"),
        Vehicle("MS-LY 78", "Fiat", "500", "M1", 1305, "2017-05-20", halter_om="MS-0000005"),
        Vehicle("MS-JW 85", "Škoda", "Octavia", "M1", 1950, "2020-11-11", halter_om="MS-0000004"),
        Vehicle("MS-JM 7", "Mercedes-Benz", "Atego 818", "N2", 7490, "2012-02-02", halter_om="MS-0000006"),
        Vehicle("MS-MB 500", "Ford", "Transit Custom", "N1", 3200, "2022-01-10", halter_firma="Musterbau GmbH",
                halter_anschrift={"strasse": "Industriestraße", "hausnummer": "20", "postleitzahl": PLZ,
                                  "wohnort": TOWN}),
    ]
    return people, vehicles


def build_town(seed: int = 1, residents: int = 150) -> Town:
    rng = random.Random(seed)
    people, vehicles = _fixed()
    streets = list(STREETS)
    plates = {v.kennzeichen for v in vehicles}
    for i in range(residents):
        sex = rng.choice("wm")
        first = rng.choice(FIRST_F if sex == "w" else FIRST_M)
        last = rng.choice(LAST)
        born = f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        moved = f"{rng.randint(1995, 2025)}-{rng.randint(1, 12):02d}-01"
        home = Dwelling(rng.choice(streets), str(rng.randint(1, 60)), "Hauptwohnung", moved)
        om = f"MS-{1000000 + i + 100:07d}"
        person = Person(om, last, first, born, sex, auskunftssperre=rng.random() < 0.03, wohnungen=[home])
        people.append(person)
        if rng.random() < 0.6:
            while True:
                letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(1, 2)))
                plate = f"MS-{letters} {rng.randint(1, 9999)}"
                if plate not in plates:
                    plates.add(plate)
                    break
            make, model = rng.choice(MAKES)
            year = rng.randint(2005, 2025)
            vehicles.append(Vehicle(plate, make, model, "M1", rng.randint(1200, 2300),
                                    f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", halter_om=om))
    return Town(people={p.ordnungsmerkmal: p for p in people}, vehicles={v.kennzeichen: v for v in vehicles})
