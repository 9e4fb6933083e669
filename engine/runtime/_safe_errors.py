"""The internal refusal of the safe expression language (see :mod:`._safe_policy`)."""

from __future__ import annotations


class Refused(Exception):
    """Internal: an expression was refused or failed; ``str(exc)`` is the English reason."""


class BpmnErrorThrown(Exception):
    """A script threw BPMN error ``code``: not a failure, the model's error path takes over
    (engine.runtime.script_errors). The evaluator lets it through untouched."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
