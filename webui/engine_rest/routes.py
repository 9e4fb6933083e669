"""The engine-rest blueprint with all its routes (the modules put them on ``base.bp``)."""

from __future__ import annotations

from flask import Blueprint

from webui.engine_rest import (deployments, external, external_query, instance_variables, instances,  # noqa: F401 (routes)
                               openapi, tasks)
from webui.engine_rest.base import bp


def register() -> Blueprint:
    return bp


__all__ = ["register"]
