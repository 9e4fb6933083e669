"""The CLI contract of ARCHITECTURE.md, through Flask's CLI runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.bootstrap import bootstrap
from engine.services import identity
from engine.settings import Settings
from tests.integration.helpers import MODELS
from webui.cli import main


@pytest.fixture
def runner(database_url, clock):
    engine = bootstrap(Settings(database_url=database_url), clock=clock)
    identity.create_group(engine, "sachbearbeitung", "Sachbearbeitung")   # --user is checked like a person
    identity.create_user(engine, "sb1", "Sabine Beispiel", roles=["clerk"], groups_=["sachbearbeitung"])
    identity.create_user(engine, "erika", "Erika Mustermann", roles=["citizen"])
    cli = CliRunner()

    def run(*args: str):
        return cli.invoke(main, list(args), obj=engine, catch_exceptions=False)

    run.engine = engine  # type: ignore[attr-defined]
    yield run
    engine.db.dispose()


def test_deploy_start_tasks_complete_case(runner):
    out = runner("deploy", str(MODELS / "usertask.bpmn"))
    assert out.exit_code == 0 and out.output.strip() == "usertask v1"
    assert runner("deploy", str(MODELS / "usertask.bpmn")).output.strip() == "usertask v1 (unchanged)"
    started = runner("start", "usertask", "--data", '{"antragsteller": "Erika"}', "--business-key", "AZ-1")
    case_id = started.output.strip()
    tasks = json.loads(runner("tasks", "--group", "sachbearbeitung", "--json").output)
    assert [set(t) >= {"id", "case_id", "name", "element_id", "candidate_groups", "assignee", "due"} for t in tasks] == [True]
    assert tasks[0]["case_id"] == case_id
    assert runner("complete", tasks[0]["id"], "--data", "{}", "--user", "sb1").exit_code == 0
    view = json.loads(runner("case", case_id, "--json").output)
    assert {k: view[k] for k in ("id", "process_key", "version", "status", "business_key")} == {
        "id": case_id, "process_key": "usertask", "version": 1, "status": "completed", "business_key": "AZ-1"}
    assert view["data"]["antragsteller"] == "Erika" and view["open_tasks"] == []
    assert runner("audit-verify", case_id).exit_code == 0


def test_invalid_deploy_exits_2_with_one_line_per_problem(runner, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text((MODELS / "usertask.bpmn").read_text().replace('targetRef="end"', 'targetRef="nirgends"')
                   .replace("<bpmn:userTask", '<bpmn:complexGateway id="cg"/><bpmn:userTask'))
    out = runner("deploy", str(bad))
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines() if hasattr(out, "stderr") else out.output.strip().splitlines()
    assert any(":12: cg: complex gateways are not supported" in line for line in lines), lines
    assert any("f2: targetRef 'nirgends' points to no element" in line for line in lines), lines
    assert all(line.startswith(str(bad) + ":") for line in lines)


def test_message_and_worker_commands(runner):
    runner("deploy", str(MODELS / "messages.bpmn"))
    case_id = runner("start", "zahlung", "--business-key", "KZ-1").output.strip()
    out = runner("message", "zahlung_eingegangen", "--key", "KZ-1", "--data", '{"betrag": 5}', "--message-id", "x1")
    assert out.output.strip() == f"delivered {case_id}"
    assert runner("message", "zahlung_eingegangen", "--key", "KZ-1", "--message-id", "x1").output.startswith("duplicate")
    assert runner("signal", "fristverlaengerung").output.strip() == "delivered to 1 case(s)"
    assert runner("worker", "--once").output.strip() == "ran 0 job(s)"
    assert json.loads(runner("case", case_id, "--json").output)["status"] == "completed"


def test_bad_json_data_is_refused(runner):
    runner("deploy", str(MODELS / "usertask.bpmn"))
    out = runner("start", "usertask", "--data", "{kaputt")
    assert out.exit_code == 2 and "not valid JSON" in out.output


_PROBE = """
import json, sys
forbidden = json.loads(sys.argv[2])
from webui.cli import main
sys.argv = ["amtsflow", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted(m for m in forbidden if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}))
"""


_WEB = ["flask", "werkzeug", "flask_wtf", "flask_babel", "flask_limiter", "webui.app"]
_RUNTIME = ["SpiffWorkflow", "jsonschema", "lxml", "engine.bootstrap", "engine.runtime.parsing", "engine.plugins"]


@pytest.mark.parametrize("args,forbidden", [
    (["tasks", "--json"], _WEB + _RUNTIME),
    (["case", "nicht-da", "--json"], _WEB + _RUNTIME),
    # completing runs the model, but checks no password and no e-mail address here
    (["complete", "nicht-da"], _WEB + ["email_validator"]),
    (["--help"], _WEB + _RUNTIME + ["sqlalchemy"]),
])
def test_engine_commands_do_not_load_the_web_stack(args, forbidden, sqlite_url, tmp_path):
    """`amtsflow tasks`, `case`, `complete` and `--help` start fast (issue 13): no Flask, no web
    app (nor Werkzeug for the password hashes); the read commands no runtime either
    (SpiffWorkflow, parsers, connector discovery), the help not even the database layer."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    env.update(AMTSFLOW_DATABASE_URL=sqlite_url, AMTSFLOW_EMBEDDED_WORKER="0")
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(forbidden)], capture_output=True, text=True,
                          env=env, cwd=str(MODELS.parents[1]), timeout=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], done.stderr
    assert result["code"] in (0, 1), done.stderr


_EXIT_PROBE = """
import atexit, json, sys, threading, time

class Teardown:
    def __del__(self):
        print("torn down", flush=True)

KEPT = Teardown()   # freed only by the interpreter's teardown of this module
atexit.register(lambda: print("atexit ran", flush=True))
if sys.argv[2] == "thread":   # a thread of its own still running when the command ends
    threading.Thread(target=lambda: (time.sleep(1.5), print("thread finished", flush=True))).start()
from webui.cli import run
sys.argv = ["amtsflow", *json.loads(sys.argv[1])]
run()
"""


@pytest.mark.parametrize("args,status,out,err", [
    (["tasks", "--json"], 0, "[]", ""),
    (["case", "nicht-da"], 1, "", "error: case nicht-da not found"),
    (["nicht-da"], 2, "", "No such command"),
])
def test_the_console_script_ends_without_the_teardown_and_with_the_commands_status(args, status, out, err,
                                                                                   sqlite_url):
    """`amtsflow` (webui.cli:run) ends the process once the command is done, without freeing
    every module (about 0.14 s of each command): the status, the output, the errors and the
    atexit handlers are what the command gave; a thread of the command's own still running is
    waited for (the usual exit)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMTSFLOW_")}
    env.update(AMTSFLOW_DATABASE_URL=sqlite_url, AMTSFLOW_EMBEDDED_WORKER="0")
    for mode in ("alone", "thread"):
        done = subprocess.run([sys.executable, "-c", _EXIT_PROBE, json.dumps(args), mode], capture_output=True,
                              text=True, env=env, cwd=str(MODELS.parents[1]), timeout=60)
        assert done.returncode == status, done.stderr
        assert out in done.stdout and err in done.stderr
        assert "atexit ran" in done.stdout
        if mode == "alone":
            assert "torn down" not in done.stdout
        else:
            assert "thread finished" in done.stdout   # waited for (an immediate end would have cut it off)


def test_the_console_script_is_run():
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "amtsflow"]
    assert script.value == "webui.cli:run"


def test_help_lists_only_amtsflow_commands():
    out = CliRunner().invoke(main, ["--help"])
    assert out.exit_code == 0
    for ours in ("deploy", "start", "tasks", "complete", "case", "message", "worker", "serve", "demo", "check"):
        assert ours in out.output
    for flask_only in ("--app", "--env-file", "--debug", "limiter", "routes", "shell"):
        assert flask_only not in out.output


def test_with_a_user_the_cli_writes_only_form_fields_without_one_the_operator_writes_any(runner):
    """Issue 12.1: ``--user`` makes the data that person's submission; the test task has no form."""
    runner("deploy", str(MODELS / "usertask.bpmn"))
    refused = runner("start", "usertask", "--data", '{"antragsteller": "Erika"}', "--user", "erika")
    assert refused.exit_code == 1 and "antragsteller: Zu diesem Schritt gehört kein Formular" in refused.output
    case_id = runner("start", "usertask", "--data", '{"antragsteller": "Erika"}').output.strip()
    [task] = json.loads(runner("tasks", "--case", case_id, "--json").output)
    out = runner("complete", task["id"], "--data", '{"bescheid": "erteilt"}', "--user", "sb1")
    assert out.exit_code == 1 and "bescheid: Zu diesem Schritt gehört kein Formular" in out.output
    assert runner("complete", task["id"], "--data", "{}", "--user", "sb1").exit_code == 0
    view = json.loads(runner("case", case_id, "--json").output)
    assert view["status"] == "completed" and "bescheid" not in view["data"]


def test_a_database_without_the_schema_is_one_line_with_what_to_do(tmp_path):
    empty = tmp_path / "leer.sqlite"
    out = CliRunner().invoke(main, ["tasks"], env={"AMTSFLOW_DATABASE_URL": f"sqlite:///{empty}",
                                                   "AMTSFLOW_EMBEDDED_WORKER": "0"})
    assert out.exit_code == 1
    assert "amtsflow db upgrade" in out.output and "Traceback" not in out.output


def test_complete_with_a_user_is_refused_unless_the_task_is_theirs(runner):
    """Issue 14.8: ``--user erika`` (a citizen) may not complete the clerks' task; nor may an unknown
    name; sb1 of the task's group may."""
    runner("deploy", str(MODELS / "usertask.bpmn"))
    case_id = runner("start", "usertask", "--data", '{"antragsteller": "Erika"}').output.strip()
    [task] = json.loads(runner("tasks", "--case", case_id, "--json").output)
    citizen = runner("complete", task["id"], "--data", "{}", "--user", "erika")
    assert citizen.exit_code == 1 and "is not offered to erika" in citizen.output
    assert "candidate groups: sachbearbeitung" in citizen.output
    nobody = runner("complete", task["id"], "--data", "{}", "--user", "niemand")
    assert nobody.exit_code == 1 and "no active account 'niemand'" in nobody.output
    assert json.loads(runner("case", case_id, "--json").output)["status"] != "completed"
    assert runner("complete", task["id"], "--data", "{}", "--user", "sb1").exit_code == 0


def test_deploy_shared_gives_every_tenant_the_process_numbered_above_their_own(runner, tmp_path):
    """The provider's library (issue 17) from the command line: every municipality starts it,
    its versions never collide with a municipality's own ones, an unchanged file is not deployed
    again, and a timer start event is refused (its cases would all start in one municipality)."""
    from sqlalchemy import func, select

    from engine.persistence import tables as t
    from engine.tenancy import all_tenants

    assert runner("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt",
                  "--path-prefix", "musterstadt").exit_code == 0
    out = runner("deploy", "--shared", str(MODELS / "usertask.bpmn"))
    assert out.exit_code == 0 and out.output.strip() == "usertask v1 for every tenant", out.output
    assert runner("--tenant", "musterstadt", "start", "usertask", "--data", '{"antragsteller": "Erika"}').exit_code == 0
    assert runner("start", "usertask", "--data", '{"antragsteller": "Max"}').exit_code == 0
    assert runner("deploy", "--shared", str(MODELS / "usertask.bpmn")).output.strip() == \
        "usertask v1 (unchanged) for every tenant"
    changed = tmp_path / "usertask.bpmn"
    changed.write_text((MODELS / "usertask.bpmn").read_text().replace('name="', 'name="Neu: ', 1))
    assert runner("--tenant", "musterstadt", "deploy", str(changed)).output.strip() == "usertask v2"
    assert runner("deploy", "--shared", str(MODELS / "usertask.bpmn")).output.strip() == \
        "usertask v1 (unchanged) for every tenant"   # the library's newest: unchanged, whatever a tenant has
    library = tmp_path / "library" / "usertask.bpmn"
    library.parent.mkdir()
    library.write_text((MODELS / "usertask.bpmn").read_text().replace('name="', 'name="Bibliothek: ', 1))
    assert runner("deploy", "--shared", str(library)).output.strip() == "usertask v3 for every tenant"
    with all_tenants("test"), runner.engine.db.connect() as conn:
        versions = conn.execute(select(t.process_definitions.c.tenant_id, func.count()).group_by(
            t.process_definitions.c.tenant_id).order_by(t.process_definitions.c.tenant_id)).all()
    assert sorted(versions, key=str) == sorted([(None, 2), ("musterstadt", 1)], key=str)
    out = runner("deploy", "--shared", str(MODELS / "reminder.bpmn"))
    assert out.exit_code == 2 and "timer start event in a process deployed for every tenant" in out.output


def test_a_shared_version_ends_the_start_timers_of_the_versions_it_supersedes(runner, tmp_path):
    from sqlalchemy import select

    from engine.persistence import tables as t
    from engine.tenancy import all_tenants

    assert runner("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt",
                  "--path-prefix", "musterstadt").exit_code == 0
    assert runner("--tenant", "musterstadt", "deploy", str(MODELS / "reminder.bpmn")).output.strip() == "reminder v1"

    def start_timers() -> list[str]:
        with all_tenants("test"), runner.engine.db.connect() as conn:
            return list(conn.execute(select(t.jobs.c.tenant_id).where(t.jobs.c.kind == "start_timer")).scalars())

    assert start_timers() == ["musterstadt"]
    plain = tmp_path / "reminder.bpmn"
    plain.write_text((MODELS / "reminder.bpmn").read_text().replace(
        '<bpmn:timerEventDefinition><bpmn:timeCycle>"R3/PT1H"</bpmn:timeCycle></bpmn:timerEventDefinition>', ""))
    assert runner("deploy", "--shared", str(plain)).output.strip() == "reminder v2 for every tenant"
    assert start_timers() == []


def test_incidents_of_every_municipality_at_once(runner):
    """An operator of a regional installation lists every tenant's open incidents in one command,
    each with its tenant, to act on it with --tenant."""
    assert runner("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt",
                  "--path-prefix", "musterstadt").exit_code == 0
    failed = {}
    for tenant in ("default", "musterstadt"):   # the called process is deployed nowhere: an incident
        assert runner("--tenant", tenant, "deploy", str(MODELS / "camunda/calls/call_latest.bpmn")).exit_code == 0
        failed[tenant] = runner("--tenant", tenant, "start", "call_latest").output.strip().splitlines()[-1]
    own = runner("incidents", "list").output.strip().splitlines()
    assert len(own) == 1 and "tenant=" not in own[0]
    every = runner("incidents", "list", "--all-tenants").output.strip().splitlines()
    assert sorted(line.split()[1] for line in every) == ["tenant=default", "tenant=musterstadt"]
    rows = json.loads(runner("incidents", "list", "--all-tenants", "--json").output)
    assert sorted(r["tenant"] for r in rows) == ["default", "musterstadt"]
    ms = next(r for r in rows if r["tenant"] == "musterstadt")
    assert runner("--tenant", "musterstadt", "incidents", "show", ms["id"]).exit_code == 0


def test_audit_verify_finds_a_chain_whose_last_events_were_removed(runner):
    """The links alone cannot show that a chain's last events were deleted (who decided is
    gone, the rest still chains): the case row names the head, and audit-verify compares."""
    from sqlalchemy import delete, func, select

    from engine.persistence import tables as t

    runner("deploy", str(MODELS / "usertask.bpmn"))
    case_id = runner("start", "usertask", "--data", '{"antragsteller": "Erika"}').output.strip()
    [task] = json.loads(runner("tasks", "--case", case_id, "--json").output)
    assert runner("complete", task["id"], "--data", "{}", "--user", "sb1").exit_code == 0
    assert runner("audit-verify", case_id).output.strip() == "audit chain intact"
    with runner.engine.db.begin() as conn:
        last = conn.execute(select(func.max(t.audit_events.c.id)).where(t.audit_events.c.case_id == case_id)).scalar()
        conn.execute(delete(t.audit_events).where(t.audit_events.c.id == last))
    out = runner("audit-verify", case_id)
    assert out.exit_code == 1 and "events at the end were removed" in out.output
    unknown = runner("audit-verify", "00000000-0000-0000-0000-000000000000")
    assert unknown.exit_code == 1 and "no such case" in unknown.output


def test_audit_verify_all_checks_every_case_of_every_tenant(runner, monkeypatch):
    from sqlalchemy import update

    from engine.persistence import tables as t
    from engine.services import audit
    from engine.tenancy import tenant_scope

    monkeypatch.setattr(audit, "VERIFY_BATCH", 2)   # several batches
    assert runner("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt",
                  "--path-prefix", "musterstadt").exit_code == 0
    started = {}
    for tenant in ("default", "musterstadt"):
        assert runner("--tenant", tenant, "deploy", str(MODELS / "usertask.bpmn")).exit_code == 0
        started[tenant] = [runner("--tenant", tenant, "start", "usertask", "--data", '{"antragsteller": "E"}')
                           .output.strip() for _ in range(3)]
    out = runner("audit-verify", "--all")
    assert out.exit_code == 0 and out.stdout.strip() == "audit chain intact" and "6 case(s) checked" in out.stderr
    with tenant_scope("musterstadt"), runner.engine.db.begin() as conn:   # one event's actor rewritten
        conn.execute(update(t.audit_events).where(t.audit_events.c.case_id == started["musterstadt"][1])
                     .values(actor="jemand-anderes"))
    out = runner("audit-verify", "--all")
    assert out.exit_code == 1 and out.stdout.strip() == "1 problem(s)"
    assert "tenant musterstadt: event " in out.stderr and "content was changed" in out.stderr
    named = runner("--tenant", "default", "audit-verify", "--all")
    assert named.exit_code == 0 and "3 case(s) checked" in named.stderr


def test_a_worker_says_that_it_serves_every_tenant_when_one_is_named(runner):
    named = runner("--tenant", "default", "worker", "--once")
    assert named.exit_code == 0 and "does not limit a worker; --only-tenant does" in named.stderr
    assert "--only-tenant" not in runner("worker", "--once").stderr


def test_audit_verify_finds_a_deployment_whose_event_was_removed(runner):
    """The chain of deployments records no head of its own; every deployment and override
    version must have its event in it, so removing the last one shows."""
    from sqlalchemy import delete, func, select

    from engine.persistence import tables as t

    runner("deploy", str(MODELS / "usertask.bpmn"))
    assert runner("audit-verify").output.strip() == "audit chain intact"
    with runner.engine.db.begin() as conn:
        last = conn.execute(select(func.max(t.audit_events.c.id)).where(t.audit_events.c.case_id.is_(None))).scalar()
        conn.execute(delete(t.audit_events).where(t.audit_events.c.id == last))
    out = runner("audit-verify")
    assert out.exit_code == 1 and "its event is missing from the chain" in out.output


def test_audit_verify_finds_the_last_override_or_tenant_switch_removed(runner, tmp_path):
    """An override's or a tenant switch's event has no record of its own to be compared with:
    the chain's recorded head (audit_heads, migration 0031) shows that the last ones are gone."""
    from pathlib import Path

    from sqlalchemy import delete, func, select

    from engine.persistence import tables as t
    from engine.services.tenants import record_switch

    process = Path(__file__).resolve().parents[2] / "processes" / "bewohnerparkausweis"
    assert runner("deploy", str(process)).exit_code == 0
    fee = tmp_path / "gebuehr.dmn"
    fee.write_bytes((process / "gebuehr.dmn").read_bytes().replace(b"<text>18000</text>", b"<text>15000</text>"))
    done = runner("overrides", "upload", "--tenant", "default", "bewohnerparkausweis", str(fee))
    assert done.exit_code == 0, done.output
    record_switch(runner.engine, "betrieb", "default")
    assert runner("audit-verify").output.strip() == "audit chain intact"
    for _event in ("tenant_switched", "override_uploaded"):
        with runner.engine.db.begin() as conn:
            last = conn.execute(select(func.max(t.audit_events.c.id)).where(t.audit_events.c.case_id.is_(None))).scalar()
            assert conn.execute(select(t.audit_events.c.action).where(t.audit_events.c.id == last)).scalar() == _event
            conn.execute(delete(t.audit_events).where(t.audit_events.c.id == last))
        out = runner("audit-verify")
        assert out.exit_code == 1 and "ends before its recorded head: events at the end were removed" in out.output
        every = runner("audit-verify", "--all")
        assert every.exit_code == 1 and "tenant default: the chain of deployments and overrides ends before" \
            in every.output
    with runner.engine.db.begin() as conn:   # removing the head as well shows too
        conn.execute(delete(t.audit_heads))
    out = runner("audit-verify")
    assert out.exit_code == 1 and "has events but no recorded head" in out.output


def test_audit_verify_holds_after_a_provider_uploads_a_tenants_override(runner, tmp_path):
    """The provider uploads a municipality's override from the command line (its event goes to
    the chain the command acts in): every tenant's chain of deployments stays intact."""
    from pathlib import Path

    process = Path(__file__).resolve().parents[2] / "processes" / "bewohnerparkausweis"
    assert runner("tenants", "add", "musterstadt", "--name", "Stadt Musterstadt",
                  "--path-prefix", "musterstadt").exit_code == 0
    assert runner("deploy", "--shared", str(process)).exit_code == 0
    fee = tmp_path / "gebuehr.dmn"
    fee.write_bytes((process / "gebuehr.dmn").read_bytes().replace(b"<text>18000</text>", b"<text>15000</text>"))
    done = runner("overrides", "upload", "--tenant", "musterstadt", "bewohnerparkausweis", str(fee))
    assert done.exit_code == 0, done.output
    for tenant in ("default", "musterstadt"):
        out = runner("--tenant", tenant, "audit-verify")
        assert out.exit_code == 0 and out.stdout.strip() == "audit chain intact", (tenant, out.output)
    from sqlalchemy import select

    from engine.persistence import tables as t
    from engine.tenancy import tenant_scope
    with tenant_scope("musterstadt"), runner.engine.db.connect() as conn:   # in the municipality's chain
        assert conn.execute(select(t.audit_events.c.action).where(t.audit_events.c.case_id.is_(None))).scalars().all() \
            == ["override_uploaded"]
