"""Tenant overrides of a shared process: what an upload refuses, versions and audit, compare,
withdraw, and the variant a case starts on (issue 17, item 3). Both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select

from engine.bootstrap import Engine
from engine.domain.errors import DeploymentError, NotFound
from engine.persistence import tables as t
from engine.persistence.tenant_tables import tenants
from engine.services import audit, cases, overrides
from engine.services.deploy import deploy, read_paths
from engine.tenancy import tenant_scope

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "bewohnerparkausweis"
KEY = "bewohnerparkausweis"
DMN = (PROCESS / "gebuehr.dmn").read_bytes()
FORM = (PROCESS / "forms" / "parkausweis-pruefung.schema.json").read_bytes()
SERVICE = (PROCESS / "service.toml").read_bytes()
PARKING = {"antragsteller": {"familienname": "Weber", "vornamen": "Jonas", "geburtsdatum": "1985-11-02",
                             "email": "jonas.weber@example.org"},
           "fahrzeug": {"kennzeichen": "MS-JW 85", "nutzung": "halter"}, "privater_stellplatz": True,
           "sozialpass": False, "elektronische_bekanntgabe": True}


@pytest.fixture
def shared(engine: Engine) -> Engine:
    deploy(engine, read_paths([str(PROCESS)]), actor="provider", shared=True)
    with engine.db.begin() as conn:
        for tenant_id in ("musterstadt", "beispieldorf"):
            conn.execute(insert(tenants).values(id=tenant_id, name=tenant_id.title(), settings={}, connectors={},
                                                active=True, created_at=engine.clock.now()))
    return engine


def refused(engine: Engine, name: str, content: bytes, tenant: str = "musterstadt") -> str:
    with pytest.raises(DeploymentError) as info:
        overrides.upload(engine, tenant, KEY, name, content, actor="owner")
    return "\n".join(str(p) for p in info.value.problems)


def test_upload_refuses_what_a_deployment_or_the_process_would_not_take(shared: Engine) -> None:
    assert "parkausweis_gebuehr" in refused(shared, "gebuehr.dmn", DMN.replace(b'name="gebuehr_cent"', b'name="x"'))
    assert "Eingaben" in refused(shared, "gebuehr.dmn", DMN.replace(b"<text>zone</text>", b"<text>zon</text>"))
    # a rule the decision engine cannot evaluate: found by parsing the whole variant, as a deployment does
    assert refused(shared, "gebuehr.dmn", DMN.replace(b"<text>18000</text>", b"<text>18000 +* </text>"))
    assert "kein gültiges DMN" in refused(shared, "gebuehr.dmn", b"<definitions")
    assert "entscheidung" in refused(shared, "parkausweis-pruefung.schema.json",
                                     FORM.replace(b'"entscheidung"', b'"beschluss"'))
    assert "aktenzeichen" in refused(shared, "service.toml", SERVICE.replace(b'"BP-{jahr}', b'"X-{jahr}'))
    assert "gibt es in der gemeinsamen" in refused(shared, "service.toml", SERVICE + b"\n[neu]\nx = 1\n")
    assert "nicht mandantenweise" in refused(shared, "process.bpmn", (PROCESS / "process.bpmn").read_bytes())
    assert "gibt es in" in refused(shared, "andere.dmn", DMN)
    with pytest.raises(NotFound):
        overrides.upload(shared, "nirgendwo", KEY, "gebuehr.dmn", DMN, actor="owner")
    assert overrides.list_current(shared, "musterstadt") == []


def test_versions_history_compare_and_withdrawal_are_audited(shared: Engine) -> None:
    first = overrides.upload(shared, "musterstadt", KEY, "gebuehr.dmn", DMN.replace(b"18000", b"15000"),
                             actor="owner", comment="Satzung 2026")
    labels = FORM.replace(b'"Entscheidung"', b'"Ihre Entscheidung"')
    overrides.upload(shared, "musterstadt", KEY, "parkausweis-pruefung.schema.json", labels, actor="owner")
    second = overrides.upload(shared, "musterstadt", KEY, "gebuehr.dmn", DMN.replace(b"18000", b"16000"),
                              actor="owner")
    assert (first.version, second.version, first.min_version, first.max_version) == (1, 2, 1, None)
    current = overrides.list_current(shared, "musterstadt", KEY)
    assert [(o.file_name, o.version) for o in current] == [("gebuehr.dmn", 2), ("parkausweis-pruefung.schema.json", 1)]
    assert overrides.list_current(shared, "beispieldorf") == []
    comparison = overrides.compare(shared, "musterstadt", KEY, "gebuehr.dmn")
    assert "-        <outputEntry id=\"parkausweis_gebuehr_r2_o1\"><text>18000</text></outputEntry>" in comparison.diff
    assert any(line.startswith("+") and "16000" in line for line in comparison.diff)
    assert overrides.compare(shared, "beispieldorf", KEY, "gebuehr.dmn").override is None
    overrides.withdraw(shared, "musterstadt", KEY, "gebuehr.dmn", actor="owner")
    assert [o.file_name for o in overrides.list_current(shared, "musterstadt")] == ["parkausweis-pruefung.schema.json"]
    assert [(o.version, o.withdrawn) for o in overrides.history(shared, "musterstadt", KEY, "gebuehr.dmn")] == \
        [(3, True), (2, False), (1, False)]
    with pytest.raises(NotFound):
        overrides.withdraw(shared, "musterstadt", KEY, "gebuehr.dmn", actor="owner")
    with tenant_scope("musterstadt"), shared.db.connect() as conn:   # in the municipality's chain, whoever uploads
        actions = conn.execute(select(t.audit_events.c.action, t.audit_events.c.details)
                               .where(t.audit_events.c.action.like("override_%")).order_by(t.audit_events.c.id)).all()
        assert audit.verify(conn, None) == []
    assert [(a, d["file"], d["version"]) for a, d in actions] == [
        ("override_uploaded", "gebuehr.dmn", 1), ("override_uploaded", "parkausweis-pruefung.schema.json", 1),
        ("override_uploaded", "gebuehr.dmn", 2), ("override_withdrawn", "gebuehr.dmn", 3)]


def test_a_form_override_changes_labels_of_the_tenants_tasks_only(shared: Engine) -> None:
    labels = FORM.replace(b'"Entscheidung"', b'"Ihre Entscheidung (Beispieldorf)"')
    overrides.upload(shared, "beispieldorf", KEY, "parkausweis-pruefung.schema.json", labels, actor="owner")
    data = PARKING
    shared.connectors.clear()
    titles = {}
    for tenant in ("musterstadt", "beispieldorf"):
        with tenant_scope(tenant):   # the case is the tenant's: read in its scope too
            case_id = cases.start_case(shared, KEY, dict(data), actor="buerger1", internal=True)
            with shared.db.connect() as conn:
                variant = conn.execute(select(t.cases.c.variant_id).where(t.cases.c.id == case_id)).scalar()
            parsed = shared.definitions.get(
                conn_free_definition(shared, case_id), None, variant)
        form = parsed.model.element("pruefen").form
        titles[tenant] = form.schema["properties"]["entscheidung"]["title"] if form else None
    assert titles == {"musterstadt": "Entscheidung", "beispieldorf": "Ihre Entscheidung (Beispieldorf)"}


def conn_free_definition(engine: Engine, case_id: str) -> str:
    with engine.db.connect() as conn:
        return str(conn.execute(select(t.cases.c.definition_id).where(t.cases.c.id == case_id)).scalar())


def test_cli_uploads_lists_diffs_and_deletes(shared: Engine, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from webui.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, ["overrides", *args], obj=shared, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    own = tmp_path / "gebuehr-musterstadt.dmn"
    own.write_bytes(DMN.replace(b"<text>18000</text>", b"<text>15000</text>"))
    assert run("upload", "--tenant", "musterstadt", KEY, str(own), "--name", "gebuehr.dmn") == \
        (0, f"{KEY} gebuehr.dmn v1 (ab v1)\n", "")
    bad = tmp_path / "gebuehr.dmn"
    bad.write_bytes(DMN.replace(b'id="parkausweis_gebuehr"', b'id="gebuehr"'))
    code, _, err = run("upload", "--tenant", "musterstadt", KEY, str(bad))
    assert code == 2 and err.startswith(f"gebuehr.dmn:0: {KEY} v1: Entscheidung parkausweis_gebuehr fehlt")
    code, out, _ = run("list", "--tenant", "musterstadt")
    assert code == 0 and out.startswith(f"{KEY}  gebuehr.dmn  v1  ab v1  cli")
    code, out, _ = run("diff", "--tenant", "musterstadt", KEY, "gebuehr.dmn")
    assert code == 0 and "+        <outputEntry id=\"parkausweis_gebuehr_r2_o1\"><text>15000</text></outputEntry>" in out
    assert run("delete", "--tenant", "musterstadt", KEY, "gebuehr.dmn")[:2] == (0, f"{KEY} gebuehr.dmn v2: withdrawn\n")
    assert run("list", "--tenant", "musterstadt")[:2] == (0, "")
    code, out, _ = run("show", "--tenant", "musterstadt", KEY, "gebuehr.dmn")
    assert code == 0 and out.startswith("v2  zurückgezogen") and "\nv1  " in out


def test_the_portal_shows_each_tenant_its_own_start_form(shared: Engine) -> None:
    from webui import casework

    start = (PROCESS / "forms" / "parkausweis-antrag.schema.json").read_bytes()
    own = start.replace(b'"title": "Familienname"', b'"title": "Nachname (Beispieldorf)"')
    overrides.upload(shared, "beispieldorf", KEY, "parkausweis-antrag.schema.json", own, actor="owner")
    titles = {}
    for tenant in ("musterstadt", "beispieldorf"):
        with tenant_scope(tenant):
            [service] = [s for s in casework.latest_services(shared) if s.key == KEY]
        assert service.form is not None
        titles[tenant] = service.form.schema["properties"]["antragsteller"]["properties"]["familienname"]["title"]
    assert titles == {"musterstadt": "Familienname", "beispieldorf": "Nachname (Beispieldorf)"}


def test_a_start_sees_an_override_another_process_changed(shared: Engine) -> None:
    """A web process remembers the variant its starts run on; an override uploaded or withdrawn
    by another process (another engine, a cache of its own) reaches its next start."""
    from engine.bootstrap import bootstrap

    other = bootstrap(shared.settings, clock=shared.clock)
    shared.connectors.clear()

    def variant_of_next_start() -> str | None:
        with tenant_scope("musterstadt"):
            case_id = cases.start_case(shared, KEY, dict(PARKING), actor="buerger1", internal=True)
            with shared.db.connect() as conn:
                return conn.execute(select(t.cases.c.variant_id).where(t.cases.c.id == case_id)).scalar()

    try:
        assert variant_of_next_start() is None                 # the shared files
        first = overrides.upload(other, "musterstadt", KEY, "gebuehr.dmn", DMN.replace(b"18000", b"15000"),
                                 actor="owner")
        uploaded = variant_of_next_start()
        assert uploaded is not None
        overrides.upload(other, "musterstadt", KEY, "gebuehr.dmn", DMN.replace(b"18000", b"16000"), actor="owner")
        changed = variant_of_next_start()
        assert changed not in (None, uploaded)
        overrides.withdraw(other, "musterstadt", KEY, first.file_name, actor="owner")
        assert variant_of_next_start() is None
    finally:
        other.db.dispose()
