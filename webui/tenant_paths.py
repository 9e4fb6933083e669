"""The first path segments the web app itself uses (/studio, /api, /static ...), read from its
URL map: a tenant's path prefix must not be one of them."""

from __future__ import annotations

from flask import Flask


def app_segments(app: Flask) -> frozenset[str]:
    segments = {"static"}
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            segments.add(first.lower())
    return frozenset(segments)
