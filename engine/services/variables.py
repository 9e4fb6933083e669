"""Case variables set or removed by the embedding program while a case waits.

``set_variables(engine, case_id, {"betrag": 120}, remove=["entwurf"])`` is what Camunda's and
Flowable's ``runtimeService.setVariables(processInstanceId, ...)`` and ``removeVariables`` do:
the values become process variables and the removed ones are gone, in one unit of work, and
conditional events (and Flowable's variable listener events) that wait are evaluated again
(:mod:`engine.runtime.conditions`). Only for the embedding program and operators: data from
people goes through forms (:func:`engine.services.cases.complete_task`), which write only the
fields a form declares. The values pass the same input checks as message data.
"""

from __future__ import annotations

from typing import Any, Iterable

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.services import inbound
from engine.services.commands import Command, run_case_command


def set_variables(engine: Engine, case_id: str, values: dict[str, Any], *, remove: Iterable[str] = (),
                  actor: str = "system") -> None:
    inbound.check_data(values)
    removed = sorted({str(name) for name in remove})
    both = sorted(set(removed) & set(values))
    if both:
        raise InvalidState(f"variables both set and removed: {', '.join(both)}",
                           user_message="Eine Variable kann nicht zugleich gesetzt und entfernt werden: "
                                        + ", ".join(both) + ".")

    def mutate(cmd: Command) -> None:
        cmd.engine.runner.set_variables(cmd.wf, values, removed)
        if values:
            cmd.audit_details["variables"] = sorted(values)
        if removed:
            cmd.audit_details["removed"] = removed

    run_case_command(engine, case_id, actor, "variables_set", mutate)


__all__ = ["set_variables"]
