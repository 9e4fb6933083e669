"""Who is asking: session sign-in for people, Bearer tokens for systems; role checks."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from flask import Flask, abort, current_app, g, make_response, redirect, render_template, request, session, url_for

from engine.bootstrap import Engine
from engine.services import identity
from webui.request_tenant import act_for
from engine.services.token_cache import TokenCache
from engine.services.identity import User
from engine.tenancy import DEFAULT_TENANT, tenant_or_none
from webui.errors import refuse, role_names

F = TypeVar("F", bound=Callable[..., Any])
# The citizen's attributes from the identity provider, for application forms (engine/domain/prefill.py):
# set at sign-in, gone with the session (sign_in and sign_out clear it).
PREFILL_SESSION_KEY = "prefill"
HOME_BY_ROLE = (("provider", "provider.index"), ("admin", "admin.index"), ("owner", "studio.index"), ("clerk", "inbox.index"),
                ("citizen", "portal.my_cases"))


def engine() -> Engine:
    return current_app.extensions["amtsflow"]  # type: ignore[no-any-return]


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def sign_in(user: User, method: str) -> None:
    lang = session.get("lang")
    session.clear()                      # a fresh session: no fixation
    if lang:
        session["lang"] = lang
    session["user"] = user.username
    session["auth"] = method
    session["tenant"] = tenant_or_none() or DEFAULT_TENANT   # a session is valid in this tenant only
    session.permanent = True


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _load_user() -> None:
    g.user = None
    g.auth = None
    if request.blueprint == "ops" and request.endpoint != "ops.metrics":
        return   # the probes answer for the process and the database, whoever asks (nothing read for them)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        found = current_app.extensions["amtsflow_token_cache"].identify(header[7:].strip())
        if found is not None:   # a token acts for its own tenant
            act_for(found.tenant_id)
        g.user = found.user if found is not None else None
        g.auth = "token" if g.user else "invalid-token"
        return
    username = session.get("user")
    if username and session.get("tenant", DEFAULT_TENANT) != (tenant_or_none() or DEFAULT_TENANT):
        current_app.logger.warning("session of tenant %r presented to tenant %r: refused",
                                   session.get("tenant", DEFAULT_TENANT), tenant_or_none())
        sign_out()
        return
    if username:
        user = identity.get_user(engine(), username)
        if user is None or not user.active:
            sign_out()
            return
        g.user = user
        g.auth = "session"


def init_auth(app: Flask) -> None:
    app.extensions["amtsflow_token_cache"] = TokenCache(app.extensions["amtsflow"])
    app.before_request(_load_user)

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"user": g.get("user")}


def home_for(user: User) -> str:
    for role, endpoint in HOME_BY_ROLE:
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("portal.index")


def login_url() -> str:
    """Citizens sign in through the identity provider, staff with a local account."""
    here = request.script_root + request.full_path.rstrip("?")    # with the tenant's path prefix
    if request.blueprint == "portal":
        return url_for("accounts.citizen_login", next=here)
    return url_for("accounts.login", next=here)


def require_roles(*roles: str) -> Callable[[F], F]:
    """Signed in with one of the roles, else sign-in (HTML) / 401 (API) or 403."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if request.blueprint == "api":
                    abort(401)
                return redirect(login_url())
            if not user.has_role(*roles):
                if request.blueprint == "api":
                    refuse(roles)
                abort(forbidden_page(user, roles))
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def forbidden_page(user: User, roles: tuple[str, ...]) -> Any:
    """The 403 page for a signed-in person without the role: who they are signed in as, which
    role the page is for and the way to their own area (a clerk who follows the portal's
    "Antrag stellen" learns that applications are made with a citizen account)."""
    return make_response(render_template("forbidden.html", status=403, wanted=role_names(roles),
                                         citizen_only=roles == ("citizen",), home=home_for(user)), 403)


def safe_next(target: str | None) -> str | None:
    """Only local paths: no open redirects."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
