"""How long a whole case may take, from its start to its completion: service.toml

    [sla]
    vorgang = "P30D"     # Eingang bis Abschluss, Wartezeiten eingeschlossen

The owners' figures count the cases whose lead time exceeded it (engine.services.process_figures).
Only fixed lengths are accepted (weeks, days, hours, minutes): the figures compare lead times in
seconds in SQL, and a month or a year has no fixed number of seconds. The other keys of ``[sla]``
(``sachbearbeitung``, ``dunkelverarbeitung``, ``*_frist``) describe the process for its readers;
a task's own deadline is its ``dueDate`` in the model.
"""

from __future__ import annotations

import re
from typing import Iterable

from engine.domain.errors import Problem
from engine.runtime.task_owners import service_settings

SECTION = "sla"
KEY = "vorgang"
MAX_SECONDS = 10 * 366 * 86400      # ten years: anything longer is a typo
_DURATION = re.compile(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?)?", re.IGNORECASE)


def duration_seconds(text: str) -> int | None:
    """Seconds of an ISO-8601 duration made of weeks, days, hours and minutes; None otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        return None
    weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return ((weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60


def case_sla(service_files: Iterable[tuple[str, bytes]], process_key: str) -> tuple[int | None, list[Problem]]:
    """Seconds a case of ``process_key`` may take by its service.toml (``[sla] vorgang``), and problems."""
    found = service_settings(service_files, process_key)
    if found is None:
        return None, []
    name, data = found
    section = data.get(SECTION)
    value = section.get(KEY) if isinstance(section, dict) else None
    if value is None:
        return None, []
    seconds = duration_seconds(value) if isinstance(value, str) else None
    if seconds is None or not 0 < seconds <= MAX_SECONDS:
        return None, [Problem(name, 0, process_key,
                              f"[{SECTION}] {KEY} = {value!r}: Die Bearbeitungsfrist eines Vorgangs muss eine Dauer "
                              "in Wochen, Tagen, Stunden oder Minuten sein, z. B. \"P30D\" oder \"PT36H\" "
                              "(höchstens zehn Jahre; Monate und Jahre sind nicht gleich lang)")]
    return seconds, []


__all__ = ["KEY", "SECTION", "case_sla", "duration_seconds"]
