"""Spring beans mapped to connector operations, called synchronously inside an expression.

A Camunda model calls a bean wherever it evaluates an expression (``${user.email(x)}`` in an
input parameter, a ``camunda:in sourceExpression``, a condition, a mail text template). When
camunda-mapping.json maps the bean's method to a connector operation
(``"beans": {"user.email": "directory.email"}``), the deploy-time translation
(:func:`engine.runtime.juel.rewrite_beans`) turns the call into a call of the one engine
function :data:`BEAN_FUNCTION` with the operation's name as first argument:
``${user.email(x)}`` becomes ``${bean_call('directory.email', x)}``. The safe evaluator calls
that function like any other engine function; no attribute of any object is reached.

The function calls the connector operation at once, inside the step, as Camunda calls a bean:

* parameters: ``{"args": [x, ...]}``, the call's arguments in order (``[]`` for none);
* value: the ``data`` of the operation's :class:`~engine.ports.ServiceResult`, as it is;
* a :class:`~engine.ports.ConnectorError`, any other failure, a business error (which an
  expression cannot throw) or no answer within the command's time limit
  (``AMTSFLOW_MAX_COMMAND_SECONDS``, as seconds of waiting; never past the command's wall-time
  safety net) fails the step with an :class:`ExpressionError`: the case
  gets an incident naming the element and the operation.

Such an operation should be a read-only lookup: it is not a job, is not retried, and each call
has a fresh idempotency key (a retried step calls it again).
"""

from __future__ import annotations

import contextvars
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from time import monotonic
from typing import Any

from lxml import etree

from engine import logcontext
from engine.domain.errors import ExpressionError, Problem
from engine.ports import Connector, ConnectorError, ServiceRequest, ServiceResult
from engine.runtime import budget, unmapped
from engine.runtime.namespaces import owner_id
from engine.tenancy import tenant_or_none

__all__ = ["BEAN_FUNCTION", "OUTSIDE_COMMAND_SECONDS", "RESERVED_CALL", "RESERVED_MESSAGE", "bean_caller", "reserved_call_problems"]

BEAN_FUNCTION = "bean_call"
RESERVED_CALL = re.compile(rf"\b{BEAN_FUNCTION}\s*\(")
RESERVED_MESSAGE = (f"'{BEAN_FUNCTION}' is reserved for beans mapped to connector operations in camunda-mapping.json: "
                    "call the bean by its name (e.g. ${user.email(x)})")
OUTSIDE_COMMAND_SECONDS = 30.0   # a bean call outside any command (none in the engine today)


def bean_caller(connectors: Callable[[], Mapping[str, Connector] | None]) -> Callable[..., Any]:
    """The engine function :data:`BEAN_FUNCTION`; ``connectors()`` gives the installed connectors."""

    def bean_call(operation: Any, *args: Any) -> Any:
        if not isinstance(operation, str) or "." not in operation:
            raise ExpressionError(f"{BEAN_FUNCTION}() needs a connector operation \"connector.operation\" as its "
                                  "first argument (a bean mapped in camunda-mapping.json)")
        name, _, op = operation.partition(".")
        if name == unmapped.CONNECTOR:
            raise ExpressionError(f"bean call: {unmapped.message(operation)}")
        connector = (connectors() or {}).get(name)
        if connector is None or op not in connector.operations():
            raise ExpressionError(f"bean call: connector operation '{operation}' is not installed")
        case_id = logcontext.case_id.get() or ""
        request = ServiceRequest(operation=operation, params={"args": list(args)}, case_id=case_id,
                                 idempotency_key=f"{case_id}:bean:{uuid.uuid4().hex}", tenant_id=tenant_or_none())
        return _answer(operation, _bounded(operation, lambda: connector.call(op, request)))

    return bean_call


def reserved_call_problems(root: etree._Element, filename: str) -> list[Problem]:
    """A model that calls :data:`BEAN_FUNCTION` itself (in any text or attribute): refused, so that
    only beans mapped in camunda-mapping.json reach connector operations from an expression.
    (Camunda files are checked before their beans are rewritten, engine.runtime.camunda.)"""
    problems: list[Problem] = []
    for node in root.iter():
        if isinstance(node.tag, str) and any(RESERVED_CALL.search(v) for v in [*node.attrib.values(), node.text or ""]):
            problems.append(Problem(filename, node.sourceline or 0, owner_id(node), RESERVED_MESSAGE))
    return problems


def _answer(operation: str, result: Any) -> Any:
    if not isinstance(result, ServiceResult):
        raise ExpressionError(f"bean call: connector operation '{operation}' returned {type(result).__name__}, "
                              "not a ServiceResult")
    if result.bpmn_error:
        raise ExpressionError(f"bean call: connector operation '{operation}' answered with business error "
                              f"{result.bpmn_error}, which an expression cannot throw")
    return result.data


def _bounded(operation: str, call: Callable[[], Any]) -> Any:
    """``call()`` in a thread of its own, waited for no longer than the command may still run."""
    # As long as the command's time limit, and never past its wall-time safety net: a waiting
    # thread uses no CPU time, so the CPU budget alone would not bound a hanging call.
    command = budget.current()
    seconds = (max(0.0, min(command.limits.seconds, command.deadline - monotonic())) if command is not None
               else OUTSIDE_COMMAND_SECONDS)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the step below
            box["error"] = exc

    context = contextvars.copy_context()   # tenant scope, case id and budget of the step
    thread = threading.Thread(target=context.run, args=(run,), name=f"bean-call-{operation}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ExpressionError(f"bean call: connector operation '{operation}' did not answer within {seconds:.1f} s "
                              "(the step's time budget, AMTSFLOW_MAX_COMMAND_SECONDS); the call was abandoned")
    error = box.get("error")
    if isinstance(error, ConnectorError):
        raise ExpressionError(f"bean call: connector operation '{operation}' failed: {error}")
    if isinstance(error, ExpressionError):
        raise error
    if error is not None:
        raise ExpressionError(f"bean call: connector operation '{operation}' failed: "
                              f"{type(error).__name__}: {str(error)[:200]}")
    return box.get("result")
