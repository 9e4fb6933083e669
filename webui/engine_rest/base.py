"""The engine-rest blueprint: authentication, authorisation helpers and Camunda-shaped errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import threading
import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter import Limiter
from limits import parse
from werkzeug.exceptions import HTTPException

from engine.domain.errors import (AmtsflowError, Conflict, DatabaseBusy, DatabaseUnreachable, DeploymentError,
                                  NotFound, PermissionDenied)
from engine.outage import database_errors
from engine.services import identity
from engine.services.identity import User
from engine.tenancy import DEFAULT_TENANT, tenant_or_none
from webui.auth import engine
from webui.errors import as_unreachable

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")
STAFF = ("clerk", "owner", "admin")
BASIC_CACHE_SECONDS = 60.0    # a worker polling with Basic auth: the password hash is checked once a minute
_basic_cache: dict[str, tuple[str, float]] = {}   # sha256(tenant, header) -> (user name, valid until)
_basic_lock = threading.Lock()


class RestError(Exception):
    """An answer in Camunda's error shape."""

    def __init__(self, status: int, message: str, kind: str = "InvalidRequestException",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.headers = headers or {}


def camunda_error(status: int, message: str, kind: str = "InvalidRequestException",
                  headers: dict[str, str] | None = None) -> Any:
    response = jsonify(type=kind, message=message, code=None)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="amtsflow"'
    response.headers.update(headers or {})
    return response


def _failure_keys(username: str) -> list[tuple[str, ...]]:
    """Per client address, and per account: the tenant's (another tenant's account of the same
    name is another person's, guessing at one must not hold up the other)."""
    return [("engine-rest-basic", "address", request.remote_addr or "-"),
            ("engine-rest-basic", "account", tenant_or_none() or "-", username.casefold())]


def _check_failures(username: str) -> None:
    """Failed HTTP Basic sign-ins are limited as the web sign-in is (AMTSFLOW_LOGIN_RATE_LIMIT,
    flask-limiter's storage), per client address and per account: beyond the limit the password
    is not checked at all (429 with Retry-After). A credential verified within the last minute
    (the cache) is not held up, so guessing at a worker's account does not stop the worker."""
    limiter: Limiter = current_app.extensions["amtsflow_limiter"]
    if not limiter.enabled:
        return
    item = parse(str(current_app.config["AMTSFLOW_LOGIN_RATE_LIMIT"]))
    for key in _failure_keys(username):
        if not limiter.limiter.test(item, *key):
            wait = max(1, math.ceil(limiter.limiter.get_window_stats(item, *key).reset_time - time.time()))
            raise RestError(429, f"Too many failed sign-ins (HTTP Basic) for this account or from this address; "
                                 f"try again in {wait} seconds.", "RestException", {"Retry-After": str(wait)})


def _count_failure(username: str) -> None:
    limiter: Limiter = current_app.extensions["amtsflow_limiter"]
    if limiter.enabled:
        item = parse(str(current_app.config["AMTSFLOW_LOGIN_RATE_LIMIT"]))
        for key in _failure_keys(username):
            limiter.limiter.hit(item, *key)


def _basic_user(header: str) -> User | None:
    try:
        username, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not username or not password:
        return None
    # the tenant is part of the key: the same name and password in another tenant is another account
    digest = hashlib.sha256(f"{tenant_or_none()}\n{header}".encode()).hexdigest()
    now = time.monotonic()
    with _basic_lock:
        cached = _basic_cache.get(digest)
    if cached is not None and cached[1] > now:
        user = identity.get_user(engine(), cached[0])
        return user if user is not None and user.active else None
    _check_failures(username)
    user = identity.authenticate(engine(), username, password)
    if user is None:
        _count_failure(username)
    else:
        with _basic_lock:
            if len(_basic_cache) > 1000:
                _basic_cache.clear()
            _basic_cache[digest] = (user.username, now + BASIC_CACHE_SECONDS)
    return user


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint == "engine_rest.openapi":       # the description is public, as Camunda's
        return None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        g.user, g.auth = _basic_user(header), "basic"
    elif not header.lower().startswith("bearer "):
        g.user, g.auth = None, None   # no browser sessions here
    if g.get("user") is None:
        return camunda_error(401, "Authentication required: send an API token (Authorization: Bearer) or an "
                                  "account and password (HTTP Basic).", "AuthenticationException")
    return None


def user() -> User:
    return g.user  # type: ignore[no-any-return]


def require(*roles: str) -> None:
    if not user().has_role(*roles):
        raise RestError(403, f"The user with id '{user().username}' does not have the role needed for this "
                             f"request (one of: {', '.join(roles)}).", "AuthorizationException")


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise RestError(400, "The request body must be a JSON object (Content-Type: application/json).")
    return data


def camunda_tenant(shared: bool = False) -> str | None:
    """``tenantId`` in an answer, as Camunda's multi-tenancy gives it: the municipality the
    request acts for, None for what every tenant shares (the provider's process library) and
    for an installation's default tenant (a Camunda engine without tenants answers None)."""
    tenant = tenant_or_none()
    return None if shared or tenant in (None, DEFAULT_TENANT) else tenant


def own_tenant(value: Any, field: str) -> None:
    """Camunda's tenant id in a request (``tenantId``, ``tenant-id``): accepted when it names the
    municipality the request acts for (its address and account), as if it were left out; another
    one is refused with 403, since nothing here crosses municipalities."""
    if value is None or value == "":
        return
    acting = tenant_or_none()
    if value != acting:
        raise RestError(403, f"this request acts for tenant '{acting}' (its address and account): {field} "
                             f"'{value}' names another; leave it out or give '{acting}'", "AuthorizationException")


def int_arg(name: str, default: int, maximum: int = 500) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RestError(400, f"Cannot set query parameter '{name}' to value '{raw}'") from None
    if value < 0:
        raise RestError(400, f"Query parameter '{name}' must not be negative")
    return min(value, maximum)


@bp.errorhandler(RestError)
def _rest_error(exc: RestError) -> Any:
    return camunda_error(exc.status, exc.message, exc.kind, exc.headers)


@bp.errorhandler(AmtsflowError)
def _domain_error(exc: AmtsflowError) -> Any:
    if isinstance(exc, NotFound):
        return camunda_error(404, exc.message)
    if isinstance(exc, PermissionDenied):
        return camunda_error(403, exc.message, "AuthorizationException")
    if isinstance(exc, DeploymentError):
        return camunda_error(400, "ENGINE-09005 Could not parse BPMN process. Errors: "
                             + "; ".join(str(p) for p in exc.problems), "ParseException")
    if isinstance(exc, (DatabaseBusy, DatabaseUnreachable)):
        return camunda_error(503, exc.message, "ProcessEngineException")
    if isinstance(exc, Conflict):
        return camunda_error(500, exc.message, "OptimisticLockingException")
    return camunda_error(400, exc.message)


def _database_error(exc: Exception) -> Any:
    return camunda_error(503, as_unreachable(exc).message, "ProcessEngineException")


for _kind in database_errors():
    bp.register_error_handler(_kind, _database_error)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    return camunda_error(exc.code or 500, exc.description or exc.name, "RestException")


__all__ = ["RestError", "STAFF", "body", "bp", "camunda_error", "int_arg", "require", "user"]
