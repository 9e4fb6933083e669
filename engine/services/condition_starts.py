"""Start the processes whose conditional start event holds for given variables.

The counterpart of Camunda 7's ``runtimeService.createConditionEvaluation()
.setVariables(...).evaluateStartConditions()`` (REST ``POST /condition``): every process of the
caller's tenant (latest version; or the one process or definition asked for) is looked at; each
of its own conditional start events (not those of event sub-processes) whose condition holds
over the given variables starts one case there (Camunda: one process instance per start event
that holds, ConditionalStartEventTest.testStartInstanceWithMultipleConditions), with the given
variables and, if given, the business key. A start event with ``camunda:variableName`` is
evaluated only when that variable is among the given ones (DefaultConditionHandler); a
condition over a variable not given does not hold. The cases' ids are returned, in process and
start-event order.

The variables are checked as a start's are (:func:`engine.services.cases.start_case`: a
person's or client's start form, or any variables for the embedding program) before any case
starts, for every process that would start; a business key that would be given to two cases of
one process is refused before any starts. Each case starts in a unit of work of its own (Camunda
starts them in one transaction): a start that fails after others succeeded leaves those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NotFound
from engine.persistence import tables as t
from engine.persistence.db import reading
from engine.runtime import conditions, initial_start
from engine.services import inbound, variants
from engine.services.cases import start_case
from engine.services.submissions import Submission
from engine.tenancy import tenant_or_none

__all__ = ["Holding", "evaluate_start_conditions", "holding_starts"]


@dataclass(frozen=True)
class Holding:
    key: str
    definition_id: str
    start_event: str


def _definitions(conn: Any, key: str | None, definition_id: str | None) -> list[Any]:
    d = t.process_definitions
    if definition_id is not None:
        row = conn.execute(select(d.c.id, d.c.key, d.c.version).where(d.c.id == definition_id)).first()
        if row is None:
            raise NotFound(f"no deployed process definition with id '{definition_id}'",
                           user_message="Diese Prozessversion ist nicht bereitgestellt.")
        return [row]
    query = select(d.c.id, d.c.key, d.c.version)
    if key is not None:
        query = query.where(d.c.key == key)
    latest: dict[str, Any] = {}
    for row in conn.execute(query.order_by(d.c.key, d.c.version.desc())).all():
        latest.setdefault(row.key, row)
    if key is not None and not latest:
        raise NotFound(f"process '{key}' is not deployed", user_message="Diese Leistung ist nicht verfügbar.")
    return [latest[k] for k in sorted(latest)]


def holding_starts(engine: Engine, variables: dict[str, Any], *, process_key: str | None = None,
                   definition_id: str | None = None, submission: Submission | None = None) -> list[Holding]:
    """The conditional start events whose condition holds over ``variables`` (nothing started).
    With ``submission``, the variables are checked as that start's for each process that holds."""
    found: list[Holding] = []
    with reading(engine.db) as conn:
        rows = _definitions(conn, process_key, definition_id)
        for row in rows:
            variant = variants.variant_for(conn, row.id, tenant_or_none())
            parsed = engine.definitions.get(row.id, conn, variant.id if variant else None,
                                            variant.files if variant else None)
            starts = initial_start.conditional_starts(parsed.spec)
            if not starts:
                if process_key is not None or definition_id is not None:
                    raise InvalidState(f"process '{row.key}' (version {row.version}) declares no conditional start event",
                                       user_message="Dieser Prozess hat kein bedingtes Startereignis; er lässt sich "
                                                    "nicht über Bedingungen starten.")
                continue
            holding = [element_id for element_id, definition in starts if _holds(engine, parsed, definition, variables)]
            if holding and submission is not None:
                submission.check_start(parsed.model, dict(variables), where=f"{row.key} start form")
            found.extend(Holding(row.key, row.id, element_id) for element_id in holding)
    return found


def _holds(engine: Engine, parsed: Any, definition: Any, variables: dict[str, Any]) -> bool:
    found = getattr(definition, "variable_filter", None)   # camunda:variableName: only when it is given
    if found is not None and found.variable is not None and found.variable not in variables:
        return False
    wf = engine.runner.new(parsed, dict(variables))
    return conditions.holds(wf, definition.expression, dict(variables))


def evaluate_start_conditions(engine: Engine, variables: dict[str, Any] | None = None, *,
                              process_key: str | None = None, definition_id: str | None = None,
                              business_key: str | None = None, actor: str = "system",
                              internal: bool = False) -> list[str]:
    """Start a case at every conditional start event whose condition holds over ``variables``
    (of every process of the tenant, or of ``process_key`` / ``definition_id`` only, which must
    declare one); returns the new cases' ids (none when no condition holds)."""
    data = dict(variables or {})
    inbound.check_data(data, where="condition evaluation")
    if business_key is not None:
        inbound.check_name(business_key, "business_key", where="condition evaluation")
    holding = holding_starts(engine, data, process_key=process_key, definition_id=definition_id,
                             submission=Submission(actor, internal, ()))
    keys = [h.key for h in holding]
    if business_key is not None and len(set(keys)) < len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise InvalidState(f"business key '{business_key}' would be given to several cases of {', '.join(twice)}",
                           user_message="Mehrere Startbedingungen desselben Prozesses treffen zu; ein Aktenzeichen "
                                        "kann aber nur einen Vorgang bezeichnen. Bitte lassen Sie das Aktenzeichen "
                                        "weg oder schränken Sie die Auswertung ein.")
    return [start_case(engine, h.key, dict(data), business_key=business_key, actor=actor, internal=internal,
                       definition_id=h.definition_id, condition_start=h.start_event) for h in holding]
