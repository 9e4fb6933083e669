"""``amtsflow db backup`` / ``db restore``: the embedded SQLite database copied consistently while
it is in use (commits still in the WAL file included), checked, never overwriting a file; a
restore keeps the database it replaces."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from engine.bootstrap import Engine, bootstrap
from engine.persistence.db import make_engine
from engine.persistence.migrate import upgrade
from engine.services import cases, heartbeats
from engine.services.heartbeats import JobStats
from engine.settings import Settings
from tests.conftest import TEST_COMMAND_SECONDS
from tests.integration.helpers import deploy_models
from webui.cli import main


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'live' / 'amtsflow.sqlite'}"
    (tmp_path / "live").mkdir()
    db = make_engine(url)
    upgrade(db)
    engine = bootstrap(Settings(database_url=url, case_cache_size=0, max_command_seconds=TEST_COMMAND_SECONDS), db=db)
    deploy_models(engine, "timers.bpmn")
    yield engine
    engine.db.dispose()


def _start(engine: Engine) -> str:
    return cases.start_case(engine, "timers", {"erinnerungen": 0, "stichtag": "2026-01-10T09:00:00+01:00"},
                            internal=True)


def _cli(engine: Engine, *args: str) -> Result:
    return CliRunner().invoke(main, ["db", *args], obj=engine, catch_exceptions=False)


def _case_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM cases")}
    finally:
        conn.close()


def test_a_backup_holds_the_commits_still_in_the_wal_and_nothing_uncommitted(live: Engine, tmp_path: Path) -> None:
    started = {_start(live) for _ in range(3)}
    database = Path(live.settings.database_url.removeprefix("sqlite:///"))
    assert (database.parent / "amtsflow.sqlite-wal").stat().st_size > 0   # not checkpointed: a file copy misses them
    writer = sqlite3.connect(database)
    writer.execute("BEGIN IMMEDIATE")   # a write under way while the backup runs
    writer.execute("UPDATE cases SET citizen_status = 'unfertig'")
    try:
        out = _cli(live, "backup", str(tmp_path / "sicherung.sqlite"))
    finally:
        writer.rollback()
        writer.close()
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith(f"backup written: {tmp_path / 'sicherung.sqlite'} (") and "3 case(s)" in out.stdout
    backup = tmp_path / "sicherung.sqlite"
    assert _case_ids(backup) == started
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # one file, no -wal beside it
    assert conn.execute("SELECT count(*) FROM cases WHERE citizen_status = 'unfertig'").fetchone()[0] == 0
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "sicherung.sqlite"]


def test_a_backup_never_overwrites_and_leaves_nothing_half_written(live: Engine, tmp_path: Path) -> None:
    existing = tmp_path / "alt.sqlite"
    existing.write_bytes(b"eine andere Datei")
    out = _cli(live, "backup", str(existing))
    assert out.exit_code == 1 and "exists already" in out.stderr and existing.read_bytes() == b"eine andere Datei"
    out = _cli(live, "backup", str(tmp_path / "fehlt" / "b.sqlite"))
    assert out.exit_code == 1 and "does not exist" in out.stderr


def test_restore_replaces_the_database_and_keeps_the_one_it_replaced(live: Engine, tmp_path: Path) -> None:
    before = {_start(live)}
    assert _cli(live, "backup", str(tmp_path / "b.sqlite")).exit_code == 0
    later = _start(live)
    live.db.dispose()
    out = _cli(live, "restore", str(tmp_path / "b.sqlite"))
    assert out.exit_code == 0, out.output
    database = Path(live.settings.database_url.removeprefix("sqlite:///"))
    assert _case_ids(database) == before
    [kept] = [p for p in database.parent.iterdir() if ".before-restore-" in p.name]
    assert _case_ids(kept) == before | {later}
    assert f"kept as {kept}" in out.stdout and "(schema " in out.stdout
    assert _start(live) not in before   # the engine goes on with the restored database


def test_restore_refuses_what_is_no_intact_amtsflow_database(live: Engine, tmp_path: Path) -> None:
    text = tmp_path / "notiz.txt"
    text.write_text("keine Datenbank")
    other = tmp_path / "fremd.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    assert _cli(live, "backup", str(tmp_path / "b.sqlite")).exit_code == 0
    damaged = tmp_path / "b.sqlite"
    data = bytearray(damaged.read_bytes())
    data[4096 * 3:4096 * 3 + 64] = b"\xff" * 64   # a page's header overwritten
    damaged.write_bytes(bytes(data))
    database = Path(live.settings.database_url.removeprefix("sqlite:///"))
    for path, reason in ((text, "is not an amtsflow database"), (other, "is not an amtsflow database"),
                         (damaged, "is damaged"), (tmp_path / "fehlt.sqlite", "there is no backup")):
        out = _cli(live, "restore", str(path))
        assert out.exit_code == 1 and reason in out.stderr, (path, out.output)
    assert not [p for p in database.parent.iterdir() if ".before-restore-" in p.name]


def test_restore_waits_for_running_workers_unless_forced(live: Engine, tmp_path: Path) -> None:
    assert _cli(live, "backup", str(tmp_path / "b.sqlite")).exit_code == 0
    heartbeats.beat(live, "host:4711:abc", "process", live.clock.now(), JobStats())
    out = _cli(live, "restore", str(tmp_path / "b.sqlite"))
    assert out.exit_code == 1 and "1 worker(s) reported" in out.stderr and "stop amtsflow serve" in out.stderr
    assert _cli(live, "restore", "--force", str(tmp_path / "b.sqlite")).exit_code == 0


def test_postgresql_is_referred_to_its_own_tools_without_its_password() -> None:
    from engine.persistence.backup import BackupRefused, backup

    with pytest.raises(BackupRefused) as refused:
        backup("postgresql+psycopg://amtsflow:geheim@db.example/amtsflow", Path("x.dump"))
    assert "pg_dump" in str(refused.value) and "geheim" not in str(refused.value)


def test_a_backup_restored_on_a_new_machine_creates_its_folder(live: Engine, tmp_path: Path) -> None:
    from engine.persistence.backup import restore

    started = {_start(live)}
    assert _cli(live, "backup", str(tmp_path / "b.sqlite")).exit_code == 0
    new = tmp_path / "neu" / "instance" / "amtsflow.sqlite"
    restored, kept = restore(f"sqlite:///{new}", tmp_path / "b.sqlite")
    assert kept is None and restored.cases == 1 and _case_ids(new) == started
