"""Case variables set by the embedding program while a case waits.

``set_variables(engine, case_id, {"betrag": 120})`` is what Camunda's and Flowable's
``runtimeService.setVariables(processInstanceId, ...)`` do: the values become process variables
in one unit of work, and conditional events (and Flowable's variable listener events) that wait
are evaluated again with them (:mod:`engine.runtime.conditions`). Only for the embedding program
and operators: data from people goes through forms (:func:`engine.services.cases.complete_task`),
which write only the fields a form declares. The values pass the same input checks as message data.
"""

from __future__ import annotations

from typing import Any

from engine.bootstrap import Engine
from engine.services import inbound
from engine.services.commands import Command, run_case_command


def set_variables(engine: Engine, case_id: str, values: dict[str, Any], *, actor: str = "system") -> None:
    inbound.check_data(values)

    def mutate(cmd: Command) -> None:
        cmd.engine.runner.set_variables(cmd.wf, values)
        cmd.audit_details["variables"] = sorted(values)

    run_case_command(engine, case_id, actor, "variables_set", mutate)


__all__ = ["set_variables"]
