"""Ports: the capabilities the engine needs from the outside world, as Protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


@dataclass(frozen=True)
class ServiceRequest:
    """One call of a connector operation by a parked service task."""

    operation: str                       # "connector.operation"
    params: Mapping[str, Any]
    idempotency_key: str                 # case id + task instance id: the same for every retry
    case_id: str
    business_key: str | None = None
    attempt: int = 1                     # 1 for the first call, 2 for the first retry ...
    # the municipality the case belongs to (engine/tenancy.py): one installation serves several,
    # and a back office may keep an account per municipality (ePayBL's Mandant: connectors/payment.py)
    tenant_id: str | None = None


@dataclass(frozen=True)
class ServiceResult:
    data: Any = None                     # JSON-like result, stored in the result variable
    bpmn_error: str | None = None        # business error code -> error boundary event
    error_message: str = ""


class ConnectorError(Exception):
    """A technical failure (timeout, 5xx, malformed answer): the job is retried."""


class Connector(Protocol):
    """A back-office adapter: a named set of operations."""

    name: str

    def operations(self) -> Mapping[str, "OperationSpec"]:
        ...

    def call(self, operation: str, request: ServiceRequest) -> ServiceResult:
        ...


@dataclass(frozen=True)
class OperationSpec:
    description: str = ""
    params_schema: Mapping[str, Any] = field(default_factory=dict)
    result_schema: Mapping[str, Any] = field(default_factory=dict)
