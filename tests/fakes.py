"""Test doubles for ports."""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from engine.ports import ConnectorError, OperationSpec, ServiceRequest, ServiceResult


class FakeConnector:
    """In-process connector named 'test'; behaviour set per operation by the test."""

    name = "test"

    def __init__(self) -> None:
        self.calls: list[ServiceRequest] = []
        self.behaviour: dict[str, Callable[[ServiceRequest], ServiceResult]] = {
            "lookup": lambda r: ServiceResult({"found": True, "name": r.params.get("name")}),
            "noop": lambda r: ServiceResult({}),
        }
        self._lock = threading.Lock()

    def operations(self) -> Mapping[str, OperationSpec]:
        return {name: OperationSpec(description=f"test operation {name}") for name in self.behaviour}

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        with self._lock:
            self.calls.append(request)
        return self.behaviour[operation](request)

    def fail_with(self, operation: str, message: str) -> None:
        def fail(_r: ServiceRequest) -> ServiceResult:
            raise ConnectorError(message)
        self.behaviour[operation] = fail

    def answer(self, operation: str, result: Any = None, *, bpmn_error: str | None = None) -> None:
        self.behaviour[operation] = lambda _r: ServiceResult(result, bpmn_error=bpmn_error,
                                                              error_message=bpmn_error or "")
