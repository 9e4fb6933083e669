"""amtsflow demo's data: one case of each standard process in its typical state, against the simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.registry import close_connectors, load_connectors
from connectors.simulators import runner
from engine.bootstrap import bootstrap
from engine.services import queries
from engine.settings import Settings
from webui.demo_cli import deploy_process_library
from webui.demo_data import seed_demo_cases

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def _year(engine) -> int:
    """The authority's current year (Aktenzeichen count per year in local time)."""
    from zoneinfo import ZoneInfo

    return engine.clock.now().astimezone(ZoneInfo(engine.settings.timezone)).year


@pytest.fixture
def demo_engine(sqlite_url):
    urls = runner.start_all(seed=1)
    connectors = load_connectors(runner.connector_config(urls))
    engine = bootstrap(Settings(database_url=sqlite_url, demo=True), connectors=connectors)
    yield engine
    engine.db.dispose()
    close_connectors(connectors)
    runner.stop()


def test_demo_deploys_all_four_processes_and_seeds_a_case_of_each(demo_engine):
    deployed = deploy_process_library(demo_engine, PROCESSES)
    assert sorted(line.split()[0] for line in deployed) == [
        "bewohnerparkausweis", "gewerbeanmeldung", "hundesteuer-anmeldung", "wohnsitz-ummeldung"]
    lines = seed_demo_cases(demo_engine)
    assert not [line for line in lines if line.startswith("skipped")], lines
    by_key = {c["business_key"]: c for c in queries.list_cases(demo_engine)}
    y = _year(demo_engine)                     # the engine assigns each process's Aktenzeichen format
    assert set(by_key) == {f"BP-{y}-00000{n}" for n in range(1, 6)} | {f"HS-{y}-000001", f"HS-{y}-000002",
                                                                       f"GA-{y}-000001", f"UM-{y}-000001"}
    assert all(c["status"] in ("waiting", "running") for c in by_key.values()), by_key
    open_tasks = {key: [t["element_id"] for t in queries.get_case(demo_engine, c["id"])["open_tasks"]]
                  for key, c in by_key.items()}
    assert open_tasks == {f"BP-{y}-000001": [], f"BP-{y}-000002": [], f"BP-{y}-000003": ["pruefen"],
                          f"BP-{y}-000004": ["ablehnung_freigeben"], f"BP-{y}-000005": ["unterlagen_nachreichen"],
                          f"HS-{y}-000001": [], f"HS-{y}-000002": ["pruefen"], f"GA-{y}-000001": [],
                          f"UM-{y}-000001": []}
    assert lines[0] == f"BP-{y}-000001 bewohnerparkausweis: waits for the payment"
    assert seed_demo_cases(demo_engine) == ["cases exist already; none added"]


def test_clerk_review_tasks_are_due_within_the_sla(demo_engine):
    deploy_process_library(demo_engine, PROCESSES)
    seed_demo_cases(demo_engine)
    [task] = [t for t in queries.list_tasks(demo_engine) if t["business_key"] == f"BP-{_year(demo_engine)}-000003"]
    assert task["element_id"] == "pruefen" and task["due"] is not None
    from datetime import datetime, timedelta

    created = datetime.fromisoformat(task["created_at"])
    assert datetime.fromisoformat(task["due"]) - created == timedelta(days=5)


def test_each_demo_case_belongs_to_the_person_who_applied(demo_engine):
    """Issue 14.6: erika's "Meine Anträge" shows her cases only, not Jonas Weber's rejection."""
    from engine.services import identity
    from tests.web.conftest import login_as, make_app
    from webui.accounts.views import DEMO_PEOPLE

    deploy_process_library(demo_engine, PROCESSES)
    seed_demo_cases(demo_engine)
    owners = {}
    for c in queries.list_cases(demo_engine):
        person = queries.get_case(demo_engine, c["id"])["data"]["antragsteller"]
        owners.setdefault(c["started_by"], set()).add(f'{person["vornamen"]} {person["familienname"]}')
    assert owners == {"erika": {"Erika Mustermann"}, "leyla": {"Leyla Yılmaz"}, "jonas": {"Jonas Weber"},
                      "max": {"Max Mustermann"}, "mehmet": {"Mehmet Zimmermann"}}
    assert set(owners) <= set(DEMO_PEOPLE)           # each can sign in through the demo identity provider
    for username in owners:
        identity.sign_in_citizen(demo_engine, username, DEMO_PEOPLE[username], "substantial")
    client = login_as(make_app(demo_engine).test_client(), "erika")
    page = client.get("/meine-antraege").get_data(as_text=True)
    y = _year(demo_engine)
    assert f"BP-{y}-000001" in page and f"BP-{y}-000005" in page
    assert f"BP-{y}-000003" not in page and f"BP-{y}-000004" not in page and "HS-" not in page


def test_replay_over_the_demo_database_reports_no_difference(demo_engine):
    """The upgrade check (README, "Upgrading") over the demo's nine cases: 0 differences; with
    one subscription deleted by hand it names that case."""
    from click.testing import CliRunner
    from sqlalchemy import delete

    from engine.persistence import tables as t
    from webui.cli import main

    deploy_process_library(demo_engine, PROCESSES)
    seed_demo_cases(demo_engine)
    out = CliRunner().invoke(main, ["replay"], obj=demo_engine, catch_exceptions=False)
    assert out.exit_code == 0 and out.output.strip() == "9 case(s) checked, 0 with differences", out.output
    waiting = next(c for c in queries.list_cases(demo_engine) if c["business_key"].endswith("000001")
                   and c["process_key"] == "bewohnerparkausweis")
    with demo_engine.db.begin() as conn:
        conn.execute(delete(t.subscriptions).where(t.subscriptions.c.case_id == waiting["id"]))
    out = CliRunner().invoke(main, ["replay"], obj=demo_engine, catch_exceptions=False)
    assert out.exit_code == 1 and f"case {waiting['id']} (bewohnerparkausweis v1): messages only in the state" \
        in out.output
