"""Tenants as a use case (engine.services.tenants) and through `amtsflow tenants` (issue 17)."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from engine.domain.errors import Conflict, NotFound
from engine.services import tenants
from engine.services.tenant_settings import TenantInvalid, contrast_with_white
from webui.cli import main



def png(width: int = 1, height: int = 1) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#004b87").save(buffer, "PNG")
    return buffer.getvalue()


PNG_1X1 = png()
SVG_OK = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>Wappen</title><rect width="10" height="10" fill="#004b87"/></svg>'


def test_default_tenant_exists_and_a_tenant_is_added_listed_shown(engine):
    assert [x.id for x in tenants.list_tenants(engine)] == ["default"]
    added = tenants.add_tenant(
        engine, "musterstadt", "Stadt Musterstadt", host="Musterstadt.Serviceportal.Example.", path_prefix="/musterstadt/",
        settings={"primary_colour": "#004B87", "accent_colour": "#a3c", "address": "Rathausplatz 1\n12345 Musterstadt",
                  "imprint_url": "https://musterstadt.example/impressum", "contact_email": "info@musterstadt.example"},
        connectors={"payment": {"url": "https://pay.example/api", "secrets": {"api_key": "MUSTERSTADT_PAY_KEY"}}})
    assert (added.host, added.path_prefix, added.active) == ("musterstadt.serviceportal.example", "musterstadt", True)
    assert added.settings["primary_colour"] == "#004b87" and added.settings["accent_colour"] == "#aa33cc"
    assert added.settings["address"] == ["Rathausplatz 1", "12345 Musterstadt"]
    assert added.connectors == {"payment": {"url": "https://pay.example/api", "secrets": {"api_key": "MUSTERSTADT_PAY_KEY"}}}
    assert sorted(x.id for x in tenants.list_tenants(engine)) == ["default", "musterstadt"]
    assert tenants.get_tenant(engine, "musterstadt").name == "Stadt Musterstadt"
    with pytest.raises(Conflict):
        tenants.add_tenant(engine, "musterstadt", "Noch einmal")
    with pytest.raises(NotFound):
        tenants.get_tenant(engine, "nirgendwo")


def _problems(call, *args, **kwargs) -> dict[str, tuple[str, str]]:
    with pytest.raises(TenantInvalid) as info:
        call(*args, **kwargs)
    return info.value.problems


def test_invalid_values_are_refused_in_english_and_german(engine):
    problems = _problems(tenants.add_tenant, engine, "Muster_Stadt", "", host="bad host:8080", path_prefix="studio",
                         settings={"primary_colour": "#ffcc00", "accent_colour": "blue", "portal_url": "javascript:alert(1)",
                                   "favourite": "x"},
                         connectors={"payment": {"url": "https://u:p@pay.example", "secrets": {}},
                                     "mail": {"url": "https://mail.example", "secrets": {"password": "hunter2!"}}},
                         reserved_prefixes={"studio", "api"})
    assert set(problems) == {"id", "name", "host", "path_prefix", "primary_colour", "accent_colour", "portal_url",
                             "favourite", "connectors.payment", "connectors.mail"}
    assert "contrast of 1.51:1" in problems["primary_colour"][0] and "zu hell" in problems["primary_colour"][1]
    assert "application itself" in problems["path_prefix"][0] and "belegt" in problems["path_prefix"][1]
    assert "environment" in problems["connectors.mail"][0] and "Umgebungsvariablen" in problems["connectors.mail"][1]
    assert [x.id for x in tenants.list_tenants(engine)] == ["default"]      # nothing stored


def test_contrast_threshold_is_wcag_aa():
    assert contrast_with_white("#767676") >= 4.5 > contrast_with_white("#777777")   # the known AA boundary grey


def test_host_and_prefix_are_unique_and_update_merges(engine):
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", host="musterstadt.example", path_prefix="musterstadt",
                       settings={"primary_colour": "#004b87", "imprint_url": "https://m.example/impressum"})
    problems = _problems(tenants.add_tenant, engine, "beispieldorf", "Gemeinde Beispieldorf", host="musterstadt.example",
                         path_prefix="musterstadt")
    assert set(problems) == {"host", "path_prefix"} and "musterstadt" in problems["host"][0]
    tenants.add_tenant(engine, "beispieldorf", "Gemeinde Beispieldorf", path_prefix="beispieldorf")
    assert set(_problems(tenants.update_tenant, engine, "beispieldorf", path_prefix="musterstadt")) == {"path_prefix"}
    changed = tenants.update_tenant(engine, "musterstadt", settings={"accent_colour": "#8b0000", "imprint_url": ""})
    assert dict(changed.settings) == {"primary_colour": "#004b87", "accent_colour": "#8b0000"}
    assert tenants.deactivate_tenant(engine, "musterstadt").active is False
    route = tenants.routing_table(engine)
    assert set(route.by_prefix) == {"beispieldorf"} and not route.by_host and route.count == 2
    assert route.default is not None and route.default.id == "default"


def test_logo_is_sniffed_limited_and_svg_only_when_it_is_plain_drawing(engine):
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt")
    with_png = tenants.set_logo(engine, "musterstadt", PNG_1X1)
    assert with_png.settings["logo"]["type"] == "image/png"
    assert tenants.logo(engine, with_png) == (PNG_1X1, "image/png")
    assert tenants.set_logo(engine, "musterstadt", SVG_OK).settings["logo"]["type"] == "image/svg+xml"
    for bad, expected in [
            (b"GIF89a not really", "not a PNG"),
            (b"%PDF-1.7 " + b"x" * 100, "not a PNG"),
            (b"\x89PNG" + b"\0" * (600 * 1024), "bytes"),
            (SVG_OK.replace(b"<title>", b"<script>alert(1)</script><title>"), "<script>"),
            (SVG_OK.replace(b"<rect ", b'<rect onload="alert(1)" '), "onload"),
            (SVG_OK.replace(b"<rect ", b'<image href="https://evil.example/x.png"/><rect '), "<image>"),
            (SVG_OK.replace(b'fill="#004b87"', b'fill="url(https://evil.example/#g)"'), "refers outside"),
            (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "safely"),
            (SVG_OK.replace(b"<rect ", b'<foreignObject><p>x</p></foreignObject><rect '), "foreignobject")]:
        problems = _problems(tenants.set_logo, engine, "musterstadt", bad)
        assert expected in problems["logo"][0], (bad[:60], problems)
    assert tenants.get_tenant(engine, "musterstadt").settings["logo"]["type"] == "image/svg+xml"   # unchanged
    assert "logo" not in tenants.set_logo(engine, "musterstadt", None).settings


def test_big_raster_logo_is_refused(engine):
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt")
    assert "pixels" in _problems(tenants.set_logo, engine, "musterstadt", png(5000, 10))["logo"][0]


@pytest.fixture
def cli(engine):
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), obj=engine, catch_exceptions=False)
    return run


def test_cli_add_list_show_update(cli, engine, tmp_path):
    logo = tmp_path / "wappen.svg"
    logo.write_bytes(SVG_OK)
    out = cli("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt", "--host", "musterstadt.example",
              "--path-prefix", "musterstadt", "--set", "primary_colour=#004b87", "--address", "Rathausplatz 1",
              "--address", "12345 Musterstadt", "--connector", "payment=https://pay.example",
              "--connector-secret", "payment.api_key=MUSTERSTADT_PAY_KEY", "--logo", str(logo))
    assert out.exit_code == 0, out.output
    listed = cli("tenants", "list").output.splitlines()
    assert "musterstadt\tmusterstadt.example /musterstadt/\tactive\tStadt Musterstadt" in listed
    shown = json.loads(cli("tenants", "show", "musterstadt", "--json").output)
    assert shown["settings"]["address"] == ["Rathausplatz 1", "12345 Musterstadt"]
    assert shown["settings"]["logo"]["type"] == "image/svg+xml"
    assert shown["connectors"]["payment"] == {"url": "https://pay.example", "secrets": {"api_key": "MUSTERSTADT_PAY_KEY"}}
    assert cli("tenants", "update", "musterstadt", "--name", "Hansestadt Musterstadt", "--inactive").exit_code == 0
    text = cli("tenants", "show", "musterstadt").output
    assert "name: Hansestadt Musterstadt" in text and "active: False" in text


def test_cli_refuses_with_one_english_line_per_problem_and_reserved_prefixes_from_the_url_map(cli):
    out = cli("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt", "--path-prefix", "engine-rest",
              "--set", "primary_colour=#ffff00", "--connector-secret", "payment.api_key=geheim123")
    assert out.exit_code == 1
    lines = [line for line in out.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 3 and any("path_prefix: path prefix 'engine-rest' is a path of the application" in x for x in lines)
    for reserved in ("studio", "api", "static", "health", "metrics", "assets", "inbox"):
        refused = cli("tenants", "add", "x" + reserved, "--name", "X", "--path-prefix", reserved)
        assert refused.exit_code == 1 and "application itself" in refused.output, reserved
    assert cli("tenants", "show", "nirgendwo").exit_code == 1
