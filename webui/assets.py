"""Front-end packages installed by `npm ci`, served from node_modules (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__, url_prefix="/assets")

PACKAGES = {
    "kern": "@kern-ux/native/dist",
    "bpmn-js": "bpmn-js/dist",
    "echarts": "echarts/dist",
}
SUFFIXES = (".css", ".js", ".woff2", ".woff", ".svg", ".eot", ".ttf")


def _serve(package: str, filename: str) -> Response:
    root = Path(current_app.config["AMTSFLOW_NODE_MODULES"]) / PACKAGES[package]
    if not filename.endswith(SUFFIXES):
        abort(404)
    if not root.is_dir():
        current_app.logger.warning("%s is missing: run `npm ci` in the project folder", root)
        abort(404)
    response = send_from_directory(root, filename, max_age=86400)
    return response


@bp.get("/kern/<path:filename>")
def kern(filename: str) -> Response:
    return _serve("kern", filename)


@bp.get("/bpmn-js/<path:filename>")
def bpmn_js(filename: str) -> Response:
    return _serve("bpmn-js", filename)


@bp.get("/echarts/<path:filename>")
def echarts(filename: str) -> Response:
    return _serve("echarts", filename)
