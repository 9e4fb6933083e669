"""Issue 17: each tenant's name, colours, logo and links in the pages; the default tenant as before."""

from __future__ import annotations

import pytest

from engine.services import tenants
from tests.web.conftest import make_app

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#8b0000"/></svg>'


@pytest.fixture
def client(engine):
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt", settings={
        "primary_colour": "#004b87", "accent_colour": "#8b0000", "imprint_url": "https://musterstadt.example/impressum",
        "address": ["Rathausplatz 1", "12345 Musterstadt"]})
    tenants.set_logo(engine, "musterstadt", SVG)
    tenants.add_tenant(engine, "beispieldorf", "Gemeinde Beispieldorf", path_prefix="beispieldorf",
                       settings={"address": ["Dorfstraße 2", "54321 Beispieldorf"], "contact_phone": "05555 1234"})
    return make_app(engine).test_client()


def test_default_tenant_looks_as_before(client):
    page = client.get("/").get_data(as_text=True)
    assert "/assets/mandant/" not in page and "site-brand__logo" not in page
    assert "– Serviceportal Musterstadt</title>" in page and 'href="/impressum"' in page


def test_tenant_name_colours_logo_and_links(client):
    page = client.get("/musterstadt/").get_data(as_text=True)
    assert "– Stadt Musterstadt</title>" in page and ">Stadt Musterstadt</a>" in page
    assert 'href="https://musterstadt.example/impressum"' in page
    version = page.split("/musterstadt/assets/mandant/stil.css?v=", 1)[1][:12]
    css = client.get(f"/musterstadt/assets/mandant/stil.css?v={version}")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "--kern-color-action-default: #004b87;" in text and "--amtsflow-accent: #8b0000;" in text
    assert "public" in css.headers["Cache-Control"]
    logo = client.get(f"/musterstadt/assets/mandant/logo?v={version}")
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml" and logo.get_data() == SVG
    assert "sandbox" in logo.headers["Content-Security-Policy"]


def test_tenant_without_colours_or_logo_adds_no_style_and_shows_its_address(client):
    page = client.get("/beispieldorf/").get_data(as_text=True)
    assert "stil.css" not in page and "site-brand__logo" not in page
    assert client.get("/beispieldorf/assets/mandant/logo").status_code == 404
    imprint = client.get("/beispieldorf/impressum").get_data(as_text=True)
    assert "Gemeinde Beispieldorf<br>Dorfstraße 2<br>54321 Beispieldorf" in imprint and "05555 1234" in imprint
    assert "Rathausplatz" not in imprint
