"""Shared machinery for the built-in connectors.

* ``@operation(...)`` declares an operation on a connector class: description, JSON Schemas for
  parameters and result, and the BPMN error codes it may answer with.
* ``BaseConnector`` implements ``engine.ports.Connector``: it validates the parameters before the
  call (an invalid parameter is a model bug -> ``ConnectorError``), runs the handler, maps a
  ``BusinessError`` to ``ServiceResult(bpmn_error=...)`` and validates the result against the
  result schema (a malformed answer -> ``ConnectorError``).
* ``BackOffice`` is an httpx client for one back office that maps transport failures, timeouts,
  5xx and unparsable answers to ``ConnectorError`` and RFC 9457 problem answers carrying a
  ``code`` to ``BusinessError``. It sends the request's idempotency key as ``Idempotency-Key``.
"""

from __future__ import annotations

import json
import ssl
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, TypeVar

import httpx
from jsonschema import Draft202012Validator

from engine.ports import ConnectorError, OperationSpec, ServiceRequest, ServiceResult

Handler = Callable[[Any, Mapping[str, Any], ServiceRequest], Any]
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_TIMEOUT = 10.0


class AuthRefused(ConnectorError):
    """The back office refused our credentials (HTTP 401/403)."""


class BusinessError(Exception):
    """A business outcome the process model handles with an error boundary event."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OperationDecl:
    name: str
    spec: OperationSpec
    errors: tuple[str, ...]
    handler: Handler
    params_validator: Draft202012Validator
    result_validator: Draft202012Validator


def operation(name: str, description: str, params: Mapping[str, Any], result: Mapping[str, Any],
              errors: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Mark a method ``(self, params, request) -> data`` as the connector operation ``name``."""

    def mark(fn: F) -> F:
        fn.__amtsflow_operation__ = (name, description, params, result, errors)  # type: ignore[attr-defined]
        return fn

    return mark


def obj(properties: Mapping[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A closed JSON Schema object (no unknown properties): the schemas below stay short."""
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties),
                              "required": list(required), "additionalProperties": False}
    schema.update(extra)
    return schema


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _problems(validator: Draft202012Validator, value: Any) -> list[str]:
    problems = []
    for err in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(root)"
        problems.append(f"{where}: {err.message}")
    return problems


class BaseConnector:
    """Collects the ``@operation`` methods of a subclass and implements ``call``."""

    name: str = ""

    def __init__(self) -> None:
        self._ops: dict[str, OperationDecl] = {}
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)      # the most derived implementation ...
            mark = next((getattr(k.__dict__[attr], "__amtsflow_operation__", None) for k in type(self).__mro__
                         if attr in k.__dict__ and hasattr(k.__dict__[attr], "__amtsflow_operation__")), None)
            if mark is None:                    # ... with the declaration of the nearest class declaring it
                continue
            op, description, params, result, errors = mark
            result_schema = dict(result)
            if errors and "*" not in errors:
                result_schema["x-bpmn-errors"] = list(errors)
            self._ops[op] = OperationDecl(
                name=op,
                spec=OperationSpec(description=description, params_schema=params, result_schema=result_schema),
                errors=tuple(errors), handler=fn,
                params_validator=_validator(params), result_validator=_validator(result))

    def operations(self) -> Mapping[str, OperationSpec]:
        return {name: decl.spec for name, decl in sorted(self._ops.items())}

    def errors(self, operation_name: str) -> tuple[str, ...]:
        """The BPMN error codes an operation may answer with."""
        return self._ops[operation_name].errors

    def call(self, operation_name: str, request: ServiceRequest) -> ServiceResult:
        op = operation_name.split(".", 1)[1] if operation_name.startswith(self.name + ".") else operation_name
        decl = self._ops.get(op)
        if decl is None:
            raise ConnectorError(f"connector '{self.name}' has no operation '{op}' "
                                 f"(known: {', '.join(sorted(self._ops))})")
        # A parameter whose expression gave None is absent (a model passes optional values
        # as `x if condition else None`).
        params = {k: v for k, v in (request.params or {}).items() if v is not None}
        problems = _problems(decl.params_validator, params)
        if problems:
            raise ConnectorError(f"{self.name}.{op}: invalid parameters from the process model: "
                                 + "; ".join(problems))
        try:
            data = decl.handler(self, params, request)
        except BusinessError as exc:
            if exc.code not in decl.errors and "*" not in decl.errors:
                raise ConnectorError(f"{self.name}.{op}: back office answered with the undeclared "
                                     f"business error {exc.code}: {exc.message}") from exc
            return ServiceResult(bpmn_error=exc.code, error_message=exc.message)
        except ConnectorError:
            raise
        except Exception as exc:          # a connector bug must become an incident, not a crash
            raise ConnectorError(f"{self.name}.{op}: internal error: {type(exc).__name__}: {exc}") from exc
        problems = _problems(decl.result_validator, data)
        if problems:
            raise ConnectorError(f"{self.name}.{op}: malformed answer from the back office: "
                                 + "; ".join(problems[:5]))
        return ServiceResult(data=data)

    def close(self) -> None:
        """Release network resources (HTTP connection pools)."""


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context shared by all clients (loading the CA bundle is slow)."""
    return ssl.create_default_context()


def http_client(**kwargs: Any) -> httpx.Client:
    return httpx.Client(verify=tls_context(), **kwargs)


def config_float(config: Mapping[str, str], key: str, default: float) -> float:
    raw = config.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)  # type: ignore[arg-type]
    except ValueError:
        raise ConnectorError(f"configuration {key}={raw!r} is not a number") from None


class BackOffice:
    """An HTTP/JSON client for one back office with the error mapping every connector shares."""

    def __init__(self, connector: str, base_url: str | None, *, timeout: float = DEFAULT_TIMEOUT,
                 headers: Mapping[str, str] | None = None, url_key: str | None = None) -> None:
        self.connector = connector
        self.base_url = (base_url or "").rstrip("/")
        self.timeout = timeout
        self._url_key = url_key or f"{connector}_url"
        self._client = http_client(timeout=timeout, headers=dict(headers or {}), follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        if not self.base_url:
            raise ConnectorError(f"{self.connector}: no back-office URL configured (set {self._url_key})")
        return self.base_url + path

    def send(self, method: str, path: str, *, idempotency_key: str | None = None,
             headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """Send one request; raise ``ConnectorError``/``BusinessError`` unless the answer is 2xx."""
        all_headers = dict(headers or {})
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        where = f"{self.connector}: {method} {path}"
        try:
            resp = self._client.request(method, self.url(path), headers=all_headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"{where} timed out after {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
        status = resp.status_code
        if status >= 500 or status in (408, 425, 429):
            raise ConnectorError(f"{where}: back office answered HTTP {status}: {_snippet(resp)}")
        if status in (401, 403):
            raise AuthRefused(f"{where}: back office refused our credentials (HTTP {status}); "
                                 "check the connector configuration")
        if status >= 400:
            problem = _json_or_none(resp)
            code = problem.get("code") if isinstance(problem, dict) else None
            if isinstance(code, str) and code:
                raise BusinessError(code, str(problem.get("detail") or problem.get("title") or ""))
            raise ConnectorError(f"{where}: back office refused the request with HTTP {status}: {_snippet(resp)}")
        if status >= 300:
            raise ConnectorError(f"{where}: unexpected redirect HTTP {status}")
        return resp

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """``send`` and parse a JSON answer (anything else is a malformed answer)."""
        resp = self.send(method, path, **kwargs)
        ctype = resp.headers.get("content-type", "")
        if "json" not in ctype:
            raise ConnectorError(f"{self.connector}: {method} {path}: malformed answer "
                                 f"(content type {ctype or 'missing'}): {_snippet(resp)}")
        try:
            return resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConnectorError(f"{self.connector}: {method} {path}: malformed JSON answer: {exc}") from exc


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _snippet(resp: httpx.Response, limit: int = 200) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")


def fold_name(text: str) -> str:
    """Compare names the way a register search does: case, accents and ß/ı do not matter."""
    text = text.replace("ß", "ss").replace("ı", "i").casefold()
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())
