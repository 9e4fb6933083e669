"""JSON Schemas of the admin forms (rendered and validated like every other form)."""

from __future__ import annotations

from typing import Any

from engine.bootstrap import Engine
from engine.persistence.identity_tables import ROLES, TRUST_LEVELS
from engine.services import identity, messages

ROLE_NAMES = {"citizen": "Bürgerin/Bürger", "clerk": "Sachbearbeitung", "owner": "Prozessverantwortung",
              "admin": "Administration", "provider": "Anbieterbetrieb (alle Mandanten)"}
TRUST_NAMES = {"basic": "niedrig", "substantial": "substanziell", "high": "hoch"}
NAME_PATTERN = "^[a-z0-9._-]+$"

GROUP: dict[str, Any] = {
    "type": "object", "required": ["name", "title"],
    "properties": {
        "name": {"type": "string", "title": "Kennung", "pattern": NAME_PATTERN, "minLength": 1, "maxLength": 200,
                 "description": "Wie im Prozessmodell (Lane-Name), z. B. sachbearbeitung"},
        "title": {"type": "string", "title": "Bezeichnung", "minLength": 1, "maxLength": 200},
    },
}


def _user_fields(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    group_names = [g["name"] for g in identity.list_groups(engine)]
    properties = {
        "display_name": {"type": "string", "title": "Name", "minLength": 1, "maxLength": 200},
        "roles": {"type": "array", "title": "Rollen", "minItems": 1, "uniqueItems": True,
                  "items": {"type": "string", "enum": list(ROLES)}},
        "groups": {"type": "array", "title": "Gruppen", "uniqueItems": True,
                   "items": {"type": "string", "enum": group_names}},
        "trust_level": {"type": "string", "title": "Vertrauensniveau (nur Bürgerinnen und Bürger)",
                        "enum": list(TRUST_LEVELS)},
        "password": {"type": "string", "title": "Passwort", "minLength": identity.MIN_PASSWORD, "maxLength": 200,
                     "description": f"Mindestens {identity.MIN_PASSWORD} Zeichen."},
    }
    ui = {"roles": {"ui:enumNames": [ROLE_NAMES[r] for r in ROLES]},
          "groups": {"ui:enumNames": group_names},
          "trust_level": {"ui:enumNames": [TRUST_NAMES[t] for t in TRUST_LEVELS], "ui:widget": "radio"},
          "password": {"ui:widget": "password"}}
    return properties, ui


def new_user(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    properties, ui = _user_fields(engine)
    schema = {"type": "object", "required": ["username", "display_name", "roles"],
              "properties": {"username": {"type": "string", "title": "Benutzername", "pattern": NAME_PATTERN,
                                          "minLength": 1, "maxLength": 200},
                             **properties,
                             "email": {"type": "string", "title": "E-Mail", "format": "email"}}}
    return schema, {"ui:order": ["username", "display_name", "email", "roles", "groups", "trust_level", "password"],
                    **ui}


def edit_user(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    properties, ui = _user_fields(engine)
    properties["active"] = {"type": "boolean", "title": "Konto aktiv"}
    properties["password"]["title"] = "Neues Passwort"
    properties["password"]["description"] = "Leer lassen, um das Passwort nicht zu ändern."
    return {"type": "object", "required": ["display_name", "roles"], "properties": properties}, \
        {"ui:order": ["display_name", "roles", "groups", "trust_level", "active", "password"], **ui}


def token(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    names = [u.username for u in identity.list_users(engine) if u.active and not u.has_role("citizen")]
    schema: dict[str, Any] = {"type": "object", "required": ["username", "name"], "properties": {
        "username": {"type": "string", "title": "Benutzerkonto", "enum": names},
        "name": {"type": "string", "title": "Bezeichnung des Tokens", "minLength": 1, "maxLength": 200,
                 "description": "Zum Beispiel: FIT-Connect-Eingang"}}}
    scopes = token_scopes(engine)
    if scopes:
        schema["properties"]["scopes"] = {
            "type": "array", "title": "Rechte als Fachverfahren", "uniqueItems": True,
            "items": {"type": "string", "enum": list(scopes)},
            "description": "Nur für Systeme: Aktenzeichen vorgeben, vorbehaltene Nachrichten senden."}
    return schema, {"username": {"ui:widget": "select"}, "scopes": {"ui:enumNames": list(scopes.values())}}


def token_scopes(engine: Engine) -> dict[str, str]:
    """The rights a system token can carry: choosing Aktenzeichen, and each message a deployed
    process reserves for systems (service.toml nachrichten_nur_systeme)."""
    names = messages.reserved_message_names(engine)
    return {identity.BUSINESS_KEY_SCOPE: "Aktenzeichen beim Start vorgeben",
            **{identity.MESSAGE_SCOPE + n: f"Nachricht „{n}“ senden" for n in names}}
