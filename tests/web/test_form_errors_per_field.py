"""Issue 14, item 10: an empty application shows one error per field (never one per group), and
yes/no checkboxes that may stay unticked carry no "*" (the real parking-permit form)."""

from __future__ import annotations

import re

from engine.services import forms
from tests.processes.test_bewohnerparkausweis import KEY
from tests.web.conftest import form_tokens, login_as
from engine.services.deploy import deploy, read_paths
from tests.processes.conftest import PROCESSES

APPLY = f"/leistungen/{KEY}/antrag"


def _deploy(engine) -> None:  # noqa: ANN001
    deploy(engine, read_paths([str(PROCESSES / KEY)]), actor="test")


def _summary(page: str) -> list[str]:
    block = page.split('id="error-summary"', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'<a class="kern-link" href="#[^"]+">(.*?)</a>',
                                                                       block, re.S)]


def test_empty_parking_application_lists_each_missing_field(client, web_engine):
    _deploy(web_engine)
    login_as(client, "erika")
    response = client.post(APPLY, data=form_tokens(client, APPLY), content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    items = _summary(page)
    for label in ("Familienname", "Vornamen", "Geburtsdatum", "E-Mail-Adresse", "Amtliches Kennzeichen",
                  "Wie nutzen Sie das Fahrzeug?"):
        assert f"{label}: Bitte füllen Sie dieses Feld aus." in items, items
    assert not any(i.startswith(("Fahrzeug:", "Antragstellerin / Antragsteller:")) for i in items), items
    for anchor in ("f-antragsteller__familienname", "f-fahrzeug__kennzeichen", "f-fahrzeug__nutzung"):
        assert f'href="#{anchor}"' in page
    assert 'aria-describedby="f-antragsteller__familienname-error"' in page


def test_optional_yes_no_checkboxes_carry_no_required_marker(client, web_engine):
    _deploy(web_engine)
    login_as(client, "erika")
    page = client.get(APPLY).get_data(as_text=True)
    for name in ("privater_stellplatz", "sozialpass", "elektronische_bekanntgabe"):
        label = page.split(f'<label class="kern-label" for="f-{name}">', 1)[1].split("</label>", 1)[0]
        assert "required-marker" not in label and "Pflichtfeld" not in label and "optional" not in label, label
        assert f'id="f-{name}"' in page and 'aria-required' not in page.split(f'id="f-{name}"', 1)[1].split(">", 1)[0]
    assert "required-marker" in page.split('for="f-antragsteller__familienname"', 1)[1].split("</label>", 1)[0]


def test_a_confirmation_checkbox_stays_required(client, web_engine, deployed):
    login_as(client, "erika")
    page = client.get("/leistungen/webantrag/antrag").get_data(as_text=True)
    assert "required-marker" in page.split('for="f-einwilligung"', 1)[1].split("</label>", 1)[0]


def test_engine_reports_fields_of_a_missing_group_and_keeps_a_group_without_required_fields():
    schema = {"type": "object", "required": ["person", "extra"], "properties": {
        "person": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "extra": {"type": "object", "properties": {"note": {"type": "string"}}}}}
    try:
        forms.validate(schema, {})
    except forms.FormValidationError as exc:
        assert exc.field_errors == {"person.name": ["Bitte füllen Sie dieses Feld aus."],
                                    "extra": ["Bitte füllen Sie dieses Feld aus."]}
    else:
        raise AssertionError("empty data accepted")
