"""What an application form may fill in from the citizen's account: ``"ui:prefill"`` in its UI schema.

At sign-in an identity provider (BundID or another OpenID Connect provider) vouches for some of
the person's attributes, as OpenID Connect's standard claims (OpenID Connect Core 1.0, 5.1). A
form field names the claim it starts with, e.g. ``"familienname": {"ui:prefill": "family_name"}``.
The citizen sees the value in the field, may change it, and submits it like anything typed: the
server validates it as any other value. The portal keeps the claims in the signed session only,
never in the database; they end with the session.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

# the standard claims a field may name; birthdate is YYYY-MM-DD, the last four are parts of "address"
CLAIMS = ("family_name", "given_name", "birthdate", "email", "street_address", "postal_code", "locality", "country")
ADDRESS_PARTS = ("street_address", "postal_code", "locality", "country")   # inside the claim "address"
MAX_LENGTH = 200
KEY = "ui:prefill"


def kept(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims a form may use, as text: known names only, the address's parts on their own,
    nothing empty, longer than MAX_LENGTH, with control characters, or a birthdate that is not
    a whole date (OpenID Connect allows a year alone, or 0000 for a year withheld)."""
    found: dict[str, Any] = {name: claims.get(name) for name in CLAIMS if name not in ADDRESS_PARTS}
    address = claims.get("address")
    if isinstance(address, Mapping):
        found.update({part: address.get(part) for part in ADDRESS_PARTS})
    out = {}
    for name, value in found.items():
        if not isinstance(value, str):
            continue
        text = value.strip()
        if not text or len(text) > MAX_LENGTH or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
            continue
        if name == "birthdate" and not _whole_date(text):
            continue
        out[name] = text
    return out


def _whole_date(text: str) -> bool:
    try:
        return len(text) == 10 and date.fromisoformat(text).year > 1
    except ValueError:
        return False


def values(schema: Mapping[str, Any] | None, ui: Mapping[str, Any] | None,
           claims: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    """Dotted field name -> the claim's text, for every field whose UI schema names a claim the
    citizen's provider gave (nested objects too)."""
    out: dict[str, str] = {}
    for name, sub in ((schema or {}).get("properties") or {}).items():
        sub_ui = (ui or {}).get(name)
        sub_ui = sub_ui if isinstance(sub_ui, Mapping) else {}
        if isinstance(sub, Mapping) and sub.get("type") == "object":
            out.update(values(sub, sub_ui, claims, f"{prefix}{name}."))
        elif sub_ui.get(KEY) in claims:
            out[f"{prefix}{name}"] = claims[sub_ui[KEY]]
    return out


def problems(ui: Any, path: str = "") -> list[str]:
    """Deploy check: every ``ui:prefill`` names a known claim (English, for the model's author)."""
    if not isinstance(ui, Mapping):
        return []
    found = []
    for key, value in ui.items():
        if key == KEY:
            if not isinstance(value, str) or value not in CLAIMS:
                found.append(f"{KEY} of field '{path.rstrip('.') or '(form)'}' names {value!r}; "
                             f"the account gives: {', '.join(CLAIMS)}")
        elif not str(key).startswith("ui:"):
            found.extend(problems(value, f"{path}{key}."))
    return found


__all__ = ["CLAIMS", "KEY", "kept", "problems", "values"]
