"""The API blueprint and what every API route shares: authentication, roles, JSON bodies."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError, DeploymentError, FormValidationError
from engine.services import messages
from engine.services.identity import MESSAGE_SCOPE, User
from webui.auth import engine
from webui.errors import problem, refuse, role_names, status_of

bp = Blueprint("api", __name__, url_prefix="/api/v1")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


# No sign-in: the OpenAPI document, and callbacks that authenticate themselves by signature.
PUBLIC_ENDPOINTS = {"api.openapi", "api.payment_callback", "api.fitconnect_callback"}
SYSTEM_ROLES = ("clerk", "owner", "admin")   # staff accounts; a system holds an API token of one


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.get("auth") == "invalid-token" or g.get("user") is None:
        return problem(401, _("Bitte melden Sie sich an oder senden Sie ein gültiges Token (Authorization: Bearer)."))
    if g.auth == "session" and request.method in UNSAFE:
        current_app.extensions["amtsflow_csrf"].protect()   # cookies ride along: require the CSRF header
    return None


@bp.errorhandler(AmtsflowError)
def _domain_error(exc: AmtsflowError) -> Any:
    extra: dict[str, Any] = {}
    if isinstance(exc, FormValidationError):
        extra["errors"] = exc.field_errors
    if isinstance(exc, DeploymentError):
        extra["problems"] = [str(p) for p in exc.problems]
    return problem(status_of(exc), _(exc.user_message), **extra)


def api_user() -> User:
    return g.user  # type: ignore[no-any-return]


def require_api_roles(*roles: str) -> None:
    if not api_user().has_role(*roles):
        refuse(roles)


def not_found(what: str, ident: str) -> NoReturn:
    """404 for a case or task this client cannot see (whether it exists is not said)."""
    detail = (_("Einen Vorgang %(id)s gibt es nicht, oder Sie dürfen ihn nicht sehen.", id=ident) if what == "case"
              else _("Eine Aufgabe %(id)s gibt es nicht, oder Sie dürfen sie nicht sehen.", id=ident))
    abort(problem(404, detail)[0])


def require_system() -> None:
    """Systems only: a staff account authenticated with an API token (no browser session)."""
    if g.get("auth") != "token" or not api_user().has_role(*SYSTEM_ROLES):
        refuse(SYSTEM_ROLES, _("Das dürfen nur Fachverfahren: mit dem API-Token (Authorization: Bearer) eines Kontos "
                               "mit der Rolle %(roles)s, nicht mit einer Browser-Sitzung.",
                               roles=role_names(SYSTEM_ROLES)))


def require_message_right(name: str) -> None:
    """A message a process reserves for systems (service.toml ``nachrichten_nur_systeme``: a
    payment, a register entry) needs a token with the scope ``message:<name>``."""
    if g.get("auth") == "token" and api_user().has_scope(MESSAGE_SCOPE + name):
        return
    if messages.reserved_for_systems(engine(), name):
        refuse(SYSTEM_ROLES, _("Die Nachricht „%(name)s“ dürfen nur Fachverfahren mit einem dafür berechtigten "
                               "Systemtoken senden (Berechtigung %(scope)s).", name=name, scope=MESSAGE_SCOPE + name))


def sees_stack_traces() -> bool:
    """Stack traces of incidents: process owners and admins only (a clerk's token sees the message)."""
    return api_user().has_role("owner", "admin")


def require_operator() -> None:
    """Incidents: systems with an API token, and process owners and admins."""
    if g.get("auth") == "token" and api_user().has_role(*SYSTEM_ROLES):
        return
    require_api_roles("owner", "admin")


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(problem(400, _("Der Inhalt muss ein JSON-Objekt sein (Content-Type: application/json)."))[0])
    return body
