"""Administration: users, groups, roles and API tokens (forms rendered from JSON Schemas)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.domain.errors import AmtsflowError
from engine.services import identity
from webui.admin import schemas
from webui.auth import engine, require_roles
from webui.forms.submit import form_view, parse_request

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@require_roles("admin")
def _admins_only() -> None:
    return None


@bp.get("/")
def index() -> Any:
    return render_template("admin/index.html", users=identity.list_users(engine()),
                           role_names={role: _(name) for role, name in schemas.ROLE_NAMES.items()},
                           groups=identity.list_groups(engine()), tokens=identity.list_api_tokens(engine()),
                           group_form=form_view(schemas.translated(schemas.GROUP), {}, {}, name="gruppe"),
                           token_form=form_view(*schemas.token(engine()), {}, name="token"))


@bp.route("/benutzer/neu", methods=["GET", "POST"])
def new_user() -> Any:
    schema, ui = schemas.new_user(engine())
    if request.method == "GET":
        return render_template("admin/user.html", form_view=form_view(schema, ui, {}), target=None)
    parsed = parse_request(schema, ui)
    if not parsed.errors:
        d = parsed.data
        try:
            identity.create_user(engine(), d["username"], d["display_name"], roles=d.get("roles", []),
                                 password=d.get("password"), trust_level=d.get("trust_level"),
                                 email=d.get("email"), groups_=d.get("groups", []))
            flash(_("Das Benutzerkonto „%(name)s“ wurde angelegt.", name=d["username"]), "success")
            return redirect(url_for("admin.index"), 303)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return render_template("admin/user.html", form_view=form_view(schema, ui, parsed.raw, parsed.errors),
                           target=None), 400


@bp.route("/benutzer/<username>", methods=["GET", "POST"])
def edit_user(username: str) -> Any:
    user = identity.get_user(engine(), username)
    if user is None:
        abort(404)
    schema, ui = schemas.edit_user(engine())
    if request.method == "GET":
        values = {"display_name": user.display_name, "roles": list(user.roles), "groups": list(user.groups),
                  "active": "true" if user.active else "false", "trust_level": user.trust_level or ""}
        return render_template("admin/user.html", form_view=form_view(schema, ui, values), target=user)
    parsed = parse_request(schema, ui)
    if not parsed.errors:
        d = parsed.data
        try:
            identity.update_user(engine(), username, display_name=d["display_name"], roles=d.get("roles", []),
                                 active=d.get("active", False), password=d.get("password"),
                                 trust_level=d.get("trust_level"), groups_=d.get("groups", []))
            flash(_("Das Benutzerkonto „%(name)s“ wurde gespeichert.", name=username), "success")
            return redirect(url_for("admin.index"), 303)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return render_template("admin/user.html", form_view=form_view(schema, ui, parsed.raw, parsed.errors),
                           target=user), 400


@bp.post("/gruppen")
def new_group() -> Any:
    parsed = parse_request(schemas.GROUP, {})
    if not parsed.errors:
        try:
            identity.create_group(engine(), parsed.data["name"], parsed.data["title"])
            flash(_("Die Gruppe wurde angelegt."), "success")
            return redirect(url_for("admin.index"), 303)
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return _index_with_errors(group_errors=parsed)


@bp.post("/tokens")
def new_token() -> Any:
    schema, ui = schemas.token(engine())
    parsed = parse_request(schema, ui)
    if not parsed.errors:
        try:
            _id, token = identity.create_api_token(engine(), parsed.data["username"], parsed.data["name"],
                                                   scopes=parsed.data.get("scopes") or [])
            return render_template("admin/token.html", token=token, name=parsed.data["name"])
        except AmtsflowError as exc:
            parsed.errors["_form"] = [exc.user_message]
    return _index_with_errors(token_errors=parsed)


@bp.post("/tokens/<token_id>/widerrufen")
def revoke_token(token_id: str) -> Any:
    try:
        identity.revoke_api_token(engine(), token_id)
        flash(_("Das Token wurde widerrufen."), "success")
    except AmtsflowError as exc:
        flash(exc.user_message, "danger")
    return redirect(url_for("admin.index"), 303)


def _index_with_errors(group_errors: Any = None, token_errors: Any = None) -> Any:
    token_schema, token_ui = schemas.token(engine())
    group_form = form_view(schemas.translated(schemas.GROUP), {}, group_errors.raw, group_errors.errors, name="gruppe") if group_errors \
        else form_view(schemas.translated(schemas.GROUP), {}, {}, name="gruppe")
    token_form = form_view(token_schema, token_ui, token_errors.raw, token_errors.errors, name="token") \
        if token_errors else form_view(token_schema, token_ui, {}, name="token")
    return render_template("admin/index.html", users=identity.list_users(engine()),
                           role_names={role: _(name) for role, name in schemas.ROLE_NAMES.items()},
                           groups=identity.list_groups(engine()), tokens=identity.list_api_tokens(engine()),
                           group_form=group_form, token_form=token_form), 400
