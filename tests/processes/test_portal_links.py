"""Issue 14.5: the links in the citizen's mails lead to the portal the citizen used
(portal_url(), AMTSFLOW_PUBLIC_URL); einstellungen.dmn's address applies only when the engine
knows none."""

from __future__ import annotations

from typing import Iterator

import pytest

from engine.bootstrap import Engine, bootstrap
from engine.ports import FakeClock
from engine.settings import Settings

from .conftest import Backoffices, Scenario
from .test_hundesteuer import KEY, anmeldung

SETTING = "https://service.musterstadt.example/meine-antraege"


@pytest.fixture(params=["https://portal.stadt-beispiel.example", None], ids=["public-url", "no-public-url"])
def portal_engine(request: pytest.FixtureRequest, database_url: str, clock: FakeClock) -> Iterator[Engine]:
    eng = bootstrap(Settings(database_url=database_url, public_url=request.param, max_command_seconds=10.0),
                    clock=clock)
    yield eng
    eng.db.dispose()


def test_the_notice_mail_links_to_the_portal_the_engine_serves(portal_engine: Engine, clock: FakeClock,
                                                               backoffices: Backoffices) -> None:
    portal_engine.connectors.update(backoffices.connectors)
    s = Scenario(portal_engine, clock, backoffices)
    s.deploy(KEY)
    case_id = s.start(KEY, anmeldung())
    key = s.case(case_id)["business_key"]
    [mail] = [m for m in s.bo.mails(key) if "zum Abruf bereit" in m["subject"]]
    public = portal_engine.settings.public_url
    expected = f"{public}/meine-antraege" if public else SETTING
    assert expected in mail["body"]
    if public:
        assert "service.musterstadt.example" not in mail["body"]
