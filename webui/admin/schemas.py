"""JSON Schemas of the admin forms (rendered and validated like every other form)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from engine.bootstrap import Engine
from engine.persistence.identity_tables import ROLES, TRUST_LEVELS
from engine.services import identity, messages

N_ = str    # marks text for the catalogue: the form renders titles, descriptions and names translated
ROLE_NAMES = {"citizen": N_("Bürgerin/Bürger"), "clerk": N_("Sachbearbeitung"),
              "owner": N_("Prozessverantwortung"), "admin": N_("Administration"),
              "provider": N_("Anbieterbetrieb (alle Mandanten)")}
TRUST_NAMES = {"basic": N_("niedrig"), "substantial": N_("substanziell"), "high": N_("hoch")}
NAME_PATTERN = "^[a-z0-9._-]+$"

GROUP: dict[str, Any] = {
    "type": "object", "required": ["name", "title"],
    "properties": {
        "name": {"type": "string", "title": N_("Kennung"), "pattern": NAME_PATTERN, "minLength": 1,
                 "maxLength": 200,
                 "description": N_("Wie im Prozessmodell (Lane-Name), z. B. sachbearbeitung")},
        "title": {"type": "string", "title": N_("Bezeichnung"), "minLength": 1, "maxLength": 200},
    },
}


def translated(value: Any) -> Any:
    """A copy of a form's schema or UI schema with its titles, descriptions and option names in
    the answer's language (the forms render them as they are)."""
    if isinstance(value, dict):
        return {k: (gettext(v) if k in ("title", "description") and isinstance(v, str) and v else
                    [gettext(n) for n in v] if k == "ui:enumNames" else translated(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [translated(v) for v in value]
    return value


def _user_fields(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    group_names = [g["name"] for g in identity.list_groups(engine)]
    properties = {
        "display_name": {"type": "string", "title": N_("Name"), "minLength": 1, "maxLength": 200},
        "roles": {"type": "array", "title": N_("Rollen"), "minItems": 1, "uniqueItems": True,
                  "items": {"type": "string", "enum": list(ROLES)}},
        "groups": {"type": "array", "title": N_("Gruppen"), "uniqueItems": True,
                   "items": {"type": "string", "enum": group_names}},
        "trust_level": {"type": "string", "title": N_("Vertrauensniveau (nur Bürgerinnen und Bürger)"),
                        "enum": list(TRUST_LEVELS)},
        "password": {"type": "string", "title": N_("Passwort"), "minLength": identity.MIN_PASSWORD,
                     "maxLength": 200,
                     "description": gettext("Mindestens %(num)d Zeichen.", num=identity.MIN_PASSWORD)},
    }
    ui = {"roles": {"ui:enumNames": [ROLE_NAMES[r] for r in ROLES]},
          "groups": {"ui:enumNames": group_names},
          "trust_level": {"ui:enumNames": [TRUST_NAMES[t] for t in TRUST_LEVELS], "ui:widget": "radio"},
          "password": {"ui:widget": "password"}}
    return properties, ui


def new_user(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    properties, ui = _user_fields(engine)
    schema = {"type": "object", "required": ["username", "display_name", "roles"],
              "properties": {"username": {"type": "string", "title": N_("Benutzername"), "pattern": NAME_PATTERN,
                                          "minLength": 1, "maxLength": 200},
                             **properties,
                             "email": {"type": "string", "title": N_("E-Mail"), "format": "email"}}}
    return translated(schema), translated({"ui:order": ["username", "display_name", "email", "roles", "groups",
                                                      "trust_level", "password"], **ui})


def edit_user(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    properties, ui = _user_fields(engine)
    properties["active"] = {"type": "boolean", "title": N_("Konto aktiv")}
    properties["password"]["title"] = N_("Neues Passwort")
    properties["password"]["description"] = N_("Leer lassen, um das Passwort nicht zu ändern.")
    return translated({"type": "object", "required": ["display_name", "roles"], "properties": properties}), \
        translated({"ui:order": ["display_name", "roles", "groups", "trust_level", "active", "password"], **ui})


def token(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    names = [u.username for u in identity.list_users(engine) if u.active and not u.has_role("citizen")]
    schema: dict[str, Any] = {"type": "object", "required": ["username", "name"], "properties": {
        "username": {"type": "string", "title": N_("Benutzerkonto"), "enum": names},
        "name": {"type": "string", "title": N_("Bezeichnung des Tokens"), "minLength": 1, "maxLength": 200,
                 "description": N_("Zum Beispiel: FIT-Connect-Eingang")}}}
    scopes = token_scopes(engine)
    if scopes:
        schema["properties"]["scopes"] = {
            "type": "array", "title": N_("Rechte als Fachverfahren"), "uniqueItems": True,
            "items": {"type": "string", "enum": list(scopes)},
            "description": N_("Nur für Systeme: Aktenzeichen vorgeben, vorbehaltene Nachrichten senden.")}
    return translated(schema), {"username": {"ui:widget": "select"}, "scopes": {"ui:enumNames": list(scopes.values())}}


def token_scopes(engine: Engine) -> dict[str, str]:
    """The rights a system token can carry: choosing Aktenzeichen, and each message a deployed
    process reserves for systems (service.toml nachrichten_nur_systeme)."""
    names = messages.reserved_message_names(engine)
    return {identity.BUSINESS_KEY_SCOPE: "Aktenzeichen beim Start vorgeben",
            **{identity.MESSAGE_SCOPE + n: f"Nachricht „{n}“ senden" for n in names}}
