"""A citizen withdraws their application ("Antrag zurücknehmen"): service.toml

    [ruecknahme]
    nachricht = "antrag_zurueckgenommen"   # a message the process catches while it may be withdrawn

An application may be withdrawn until it is decided. What that means for a case (which tasks
end, whether a fee is still due, whom to tell) is the process's business, so the model says it:
a message catch (typically interrupting boundary events on the tasks before the decision, or an
event sub-process) takes the withdrawal and leads where the model wants. The portal offers
"Antrag zurücknehmen" on the citizen's own case only while the case waits for that message, and
sends it to that case alone, with the reason the citizen gave (``ruecknahme_grund``). The
message is checked at deploy: the process must catch it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from engine.domain.errors import Problem
from engine.runtime.model import ElementInfo
from engine.runtime.task_owners import service_settings

SECTION = "ruecknahme"
KEY = "nachricht"
REASON = "ruecknahme_grund"         # the message's one variable: what the citizen wrote (may be empty)
REASON_MAX = 1000
CATCHING = ("boundaryEvent", "intermediateCatchEvent", "startEvent", "receiveTask")


def withdrawal_message(service_files: Iterable[tuple[str, bytes]], process_key: str,
                       elements: Mapping[str, ElementInfo]) -> tuple[str | None, list[Problem]]:
    """The message that withdraws an application of ``process_key`` (its service.toml
    ``[ruecknahme] nachricht``), and problems: it must be a message the process catches."""
    found = service_settings(service_files, process_key)
    if found is None:
        return None, []
    name, data = found
    section = data.get(SECTION)
    if section is None:
        return None, []
    value = section.get(KEY) if isinstance(section, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return None, [Problem(name, 0, process_key, f"[{SECTION}] {KEY} must name the message that withdraws an "
                                                    "application (Name einer Nachricht des Prozesses)")]
    catching = sorted(e.id for e in elements.values() if e.message == value and e.kind in CATCHING)
    if not catching:
        return None, [Problem(name, 0, process_key,
                              f"[{SECTION}] {KEY} = {value!r}: Der Prozess empfängt diese Nachricht nirgends; "
                              "die Rücknahme braucht ein Ereignis, das sie abfängt (z. B. ein Grenzereignis an den "
                              "Aufgaben vor der Entscheidung)")]
    return value, []


__all__ = ["KEY", "REASON", "REASON_MAX", "SECTION", "withdrawal_message"]
