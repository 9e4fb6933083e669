"""Blueprint registration (each audience has its own package)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprints of every audience (portal, inbox, studio, admin, api)."""
