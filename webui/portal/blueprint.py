"""The portal blueprint and what its route modules share."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from webui.auth import current_user

bp = Blueprint("portal", __name__)


def signed_in_user() -> Any:
    """The signed-in person (routes that call this require a role, so there is one)."""
    user = current_user()
    assert user is not None
    return user
