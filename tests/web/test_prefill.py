"""A citizen's application form starts with what the identity provider vouched for at sign-in
(engine/domain/prefill.py, ``ui:prefill`` in the standard processes' start forms)."""

from __future__ import annotations

import html
import re

from tests.processes import test_hundesteuer as hunde
from tests.processes.conftest import Scenario, backoffices  # noqa: F401 - the simulators fixture
from tests.web.conftest import login_as
from tests.web.test_flows import _sign_in_citizen

FORM = f"/leistungen/{hunde.KEY}/antrag"


def _value(page: str, name: str) -> str:
    [tag] = re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    found = re.search(r'value="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else ""


def test_the_application_form_starts_with_the_account_attributes(client, web_engine, backoffices):  # noqa: F811
    web_engine.connectors.update(backoffices.connectors)
    Scenario(web_engine, None, backoffices).deploy(hunde.KEY)  # type: ignore[arg-type]
    _sign_in_citizen(client)                                   # erika, through the demo identity provider
    page = client.get(FORM).get_data(as_text=True)
    assert [_value(page, f"antragsteller.{n}") for n in ("familienname", "vornamen", "geburtsdatum", "email")] == [
        "Mustermann", "Erika", "1964-08-12", "erika.mustermann@example.org"]
    assert page.count("Aus Ihrem Nutzerkonto übernommen.") == 4
    assert _value(page, "hund.name") == ""                     # no claim named: empty as before

    login_as(client, "erika")                                  # a session without the provider's attributes
    page = client.get(FORM).get_data(as_text=True)
    assert _value(page, "antragsteller.familienname") == "" and "Nutzerkonto übernommen" not in page
