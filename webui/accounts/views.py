"""Sign-in: local accounts (staff), a demo identity provider and OpenID Connect (citizens)."""

from __future__ import annotations

import secrets
from typing import Any, Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.domain import prefill
from engine.domain.errors import AmtsflowError
from engine.services import citizen_accounts, identity
from engine.services.identity import User
from webui.accounts import oidc
from webui.auth import PREFILL_SESSION_KEY, engine, home_for, safe_next, sign_in, sign_out

bp = Blueprint("accounts", __name__)

# the applicants of the demo cases (webui/demo_data.py), each with their own "Meine Anträge"
DEMO_PEOPLE = {"erika": "Erika Mustermann", "leyla": "Leyla Yılmaz", "jonas": "Jonas Weber",
               "max": "Max Mustermann", "mehmet": "Mehmet Zimmermann"}
# What the demo identity provider vouches for besides the name, as OpenID Connect claims (the
# back-office simulators' register holds the same persons: connectors/simulators/seed.py).
DEMO_ATTRIBUTES: dict[str, dict[str, Any]] = {
    person: {"family_name": family, "given_name": given, "birthdate": born, "email": f"{person}.{mail}@example.org",
             "address": {"street_address": street, "postal_code": code, "locality": town, "country": "Deutschland"}}
    for person, family, given, born, mail, street, code, town in (
        ("erika", "Mustermann", "Erika", "1964-08-12", "mustermann", "Hauptstraße 12", "12345", "Musterstadt"),
        ("leyla", "Yılmaz", "Leyla", "1978-01-30", "yilmaz", "Marktplatz 3", "12345", "Musterstadt"),
        ("jonas", "Weber", "Jonas", "1985-11-02", "weber", "Lindenweg 4", "12345", "Musterstadt"),
        ("max", "Mustermann", "Max", "1962-03-01", "mustermann", "Hauptstraße 12", "12345", "Musterstadt"),
        ("mehmet", "Zimmermann", "Mehmet", "1954-10-06", "zimmermann", "Bahnhofstraße 2", "54321", "Altstadt"))}
TRUST_LABELS = {"basic": "niedrig (Benutzername und Passwort)", "substantial": "substanziell (ELSTER-Zertifikat)",
                "high": "hoch (Online-Ausweisfunktion)"}
CODE_MAX_AGE = 120


@bp.route("/anmelden", methods=["GET", "POST"])
def login() -> Any:
    errors: dict[str, str] = {}
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not username:
            errors["username"] = _("Bitte geben Sie Ihren Benutzernamen ein.")
        if not password:
            errors["password"] = _("Bitte geben Sie Ihr Passwort ein.")
        if not errors:
            user = identity.authenticate(engine(), username, password)
            if user is not None and user.has_role("clerk", "owner", "admin", "provider"):
                sign_in(user, "password")
                return redirect(safe_next(request.args.get("next")) or home_for(user))
            errors["username"] = _("Benutzername oder Passwort ist falsch.")
    status = 400 if errors else 200
    return render_template("accounts/login.html", errors=errors, username=username), status


@bp.post("/abmelden")
def logout() -> Any:
    sign_out()
    flash(_("Sie wurden abgemeldet."), "success")
    return redirect(url_for("portal.index"))


@bp.get("/anmelden/buerger")
def citizen_login() -> Any:
    target = safe_next(request.args.get("next")) or url_for("portal.my_cases")
    session["after_login"] = target
    return render_template("accounts/citizen_login.html", oidc=current_app.config["AMTSFLOW_OIDC"],
                           demo=current_app.config["AMTSFLOW_DEMO_IDP"])


@bp.get("/anmelden/demo")
def demo_start() -> Any:
    """The relying-party half: send the browser to the identity provider with state and nonce."""
    if not current_app.config["AMTSFLOW_DEMO_IDP"]:
        abort(404)
    session["demo_state"] = secrets.token_urlsafe(16)
    session["demo_nonce"] = secrets.token_urlsafe(16)
    return redirect(url_for("accounts.demo_idp", state=session["demo_state"], nonce=session["demo_nonce"],
                            redirect_uri=url_for("accounts.demo_callback")))


@bp.route("/demo-idp/authorize", methods=["GET", "POST"])
def demo_idp() -> Any:
    """The identity-provider half (demo only): pick a person and a trust level, return a signed code."""
    if not current_app.config["AMTSFLOW_DEMO_IDP"]:
        abort(404)
    state, nonce = request.values.get("state", ""), request.values.get("nonce", "")
    redirect_uri = safe_next(request.values.get("redirect_uri"))
    if not state or not nonce or redirect_uri != url_for("accounts.demo_callback"):
        abort(400)
    error = None
    if request.method == "POST":
        person, level = request.form.get("person", ""), request.form.get("trust_level", "")
        if person in DEMO_PEOPLE and level in TRUST_LABELS:
            code = _serializer().dumps({"sub": person, "name": DEMO_PEOPLE[person], "acr": level, "nonce": nonce,
                                        **DEMO_ATTRIBUTES.get(person, {})})
            return redirect(f"{redirect_uri}?code={code}&state={state}")
        error = _("Bitte wählen Sie eine Person und ein Vertrauensniveau.")
    return render_template("accounts/demo_idp.html", people=DEMO_PEOPLE, levels=TRUST_LABELS, state=state,
                           nonce=nonce, redirect_uri=redirect_uri, error=error), (400 if error else 200)


@bp.get("/anmelden/demo/zurueck")
def demo_callback() -> Any:
    expected_state = session.pop("demo_state", None)
    nonce = session.pop("demo_nonce", None)
    if not expected_state or not secrets.compare_digest(request.args.get("state", ""), expected_state):
        abort(400)
    try:
        claims = _serializer().loads(request.args.get("code", ""), max_age=CODE_MAX_AGE)
    except BadSignature:
        abort(400)
    if claims.get("nonce") != nonce:
        abort(400)
    return _finish_citizen(lambda: identity.sign_in_citizen(engine(), claims["sub"], claims["name"], claims["acr"]),
                           claims["acr"], "demo-idp", claims)


@bp.get("/anmelden/oidc")
def oidc_start() -> Any:
    client = oidc.client(current_app)
    if client is None:
        abort(404)
    return redirect(client.authorization_url(url_for("accounts.oidc_callback", _external=True)))


@bp.get("/anmelden/oidc/zurueck")
def oidc_callback() -> Any:
    client = oidc.client(current_app)
    if client is None:
        abort(404)
    claims = client.callback(request.args.to_dict())
    config = current_app.config["AMTSFLOW_OIDC"]
    level = oidc.trust_level(claims.get(config["trust_claim"]))
    name = claims.get("name") or " ".join(filter(None, [claims.get("given_name"), claims.get("family_name")]))
    issuer, subject = str(claims.get("iss") or config["issuer"]), str(claims.get("sub") or "")
    return _finish_citizen(lambda: citizen_accounts.sign_in_external(
        engine(), issuer, subject, str(name or _("Bürgerin/Bürger")), level), level, "oidc", claims)


def _finish_citizen(account: Callable[[], User], level: str, method: str, claims: dict[str, Any]) -> Any:
    target = session.get("after_login") or url_for("portal.my_cases")
    try:
        user = account()
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
        return redirect(url_for("accounts.citizen_login"))
    sign_in(user, method)
    session["trust_level"] = level
    attributes = prefill.kept(claims)   # application forms start with them (engine/domain/prefill.py)
    if attributes:
        session[PREFILL_SESSION_KEY] = attributes
    flash(_("Sie sind angemeldet."), "success")
    return redirect(safe_next(target) or home_for(user))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="amtsflow-demo-idp")
