"""Issue 17 in a real browser: two municipalities on one installation, each portal with its own
name, colours and logo (KERN's action colour), and the provider's tenant pages; axe and screenshots."""

from __future__ import annotations

from typing import Any

from engine.services import identity, tenants

LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 48"><title>Wappen</title>'
        b'<path d="M2 2h36v22c0 12-8 19-18 22C10 43 2 36 2 24z" fill="#004b87"/>'
        b'<path d="M12 14h16v16H12z" fill="#ffffff"/></svg>')
PASSWORD = "anbieter-passwort-1"


def _setup(engine: Any) -> None:
    tenants.add_tenant(engine, "musterstadt", "Stadt Musterstadt", path_prefix="musterstadt", settings={
        "primary_colour": "#004b87", "accent_colour": "#8b0000", "address": ["Rathausplatz 1", "12345 Musterstadt"],
        "imprint_url": "https://musterstadt.example/impressum"})
    tenants.set_logo(engine, "musterstadt", LOGO)
    tenants.add_tenant(engine, "beispieldorf", "Gemeinde Beispieldorf", path_prefix="beispieldorf", settings={
        "primary_colour": "#1b5e20", "accent_colour": "#6a1b9a", "address": ["Dorfstraße 2", "54321 Beispieldorf"]})
    identity.create_user(engine, "anbieter", "Petra Betrieb", roles=["provider"], password=PASSWORD)


def _brand(page: Any) -> dict[str, str]:
    return page.page.evaluate("""() => {
        const brand = document.querySelector('.site-brand');
        return {name: brand.innerText.trim(), colour: getComputedStyle(brand).color,
                action: getComputedStyle(document.documentElement).getPropertyValue('--kern-color-action-default').trim(),
                border: getComputedStyle(document.querySelector('.site-header')).borderBottomColor,
                logo: brand.querySelector('img') ? brand.querySelector('img').naturalWidth : 0,
                title: document.title};
    }""")


def test_two_municipalities_show_their_own_name_colours_and_logo(open_page, server):
    _setup(server["engine"])
    page = open_page()
    page.goto("/musterstadt/")
    muster = _brand(page)
    assert muster["name"] == "Stadt Musterstadt" and muster["title"].endswith("– Stadt Musterstadt")
    assert muster["action"] == "#004b87" and muster["colour"] == "rgb(0, 75, 135)"
    assert muster["border"] == "rgb(139, 0, 0)" and muster["logo"] > 0
    page.check("tenant-musterstadt-portal")
    page.goto("/beispieldorf/")
    dorf = _brand(page)
    assert dorf["name"] == "Gemeinde Beispieldorf" and dorf["action"] == "#1b5e20"
    assert dorf["colour"] == "rgb(27, 94, 32)" and dorf["border"] == "rgb(106, 27, 154)" and dorf["logo"] == 0
    page.check("tenant-beispieldorf-portal")
    page.goto("/beispieldorf/impressum")
    assert "Dorfstraße 2" in page.page.inner_text("main")
    page.check("tenant-beispieldorf-impressum")
    page.goto("/")
    default = _brand(page)
    assert default["name"] == "Serviceportal Musterstadt" and default["logo"] == 0
    page.check("tenant-default-portal")


def test_provider_pages_are_accessible(open_page, server):
    _setup(server["engine"])
    page = open_page()
    page.goto("/anmelden?next=/anbieter/")
    page.page.fill("#f-username", "anbieter")
    page.page.fill("#f-password", PASSWORD)
    page.page.click("button[type=submit]")
    page.page.wait_for_url("**/anbieter/")
    assert "Gemeinde Beispieldorf" in page.page.inner_text("main")
    page.check("tenant-provider-list")
    page.page.select_option("#f-tenant", "beispieldorf")
    page.page.click("form[action$='/wechseln'] button")
    page.page.wait_for_url("**/anbieter/")
    assert "Sie arbeiten für Gemeinde Beispieldorf" in page.page.inner_text("main")
    page.goto("/anbieter/mandanten/musterstadt")
    page.check("tenant-provider-edit")
    page.page.fill("#f-primary_colour", "#ffcc00")
    page.page.click("form[enctype] button[type=submit]")
    assert "zu hell" in page.page.inner_text("main")
    page.check("tenant-provider-edit-error")
