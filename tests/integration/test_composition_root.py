"""One composition root (issue 13): the WSGI factory that the README tells operators to run
(``webui.app:create_app()`` under any WSGI server, configured only by AMTSFLOW_* variables)
wires the engine exactly as the ``amtsflow`` commands do, connectors included, so a model
calling an operation no connector offers is refused however it is uploaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.domain.errors import DeploymentError
from engine.runtime.parsing import SourceFile
from engine.services.deploy import deploy
from tests.integration.helpers import MODELS


@pytest.fixture
def wsgi_env(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "amtsflow.sqlite"
    shutil.copy(sqlite_template, db)
    for name in [n for n in __import__("os").environ if n.startswith("AMTSFLOW_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AMTSFLOW_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("AMTSFLOW_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("AMTSFLOW_EMBEDDED_WORKER", "0")


def _service_model(operation: str) -> SourceFile:
    content = (MODELS / "service.bpmn").read_bytes().replace(b'id="test.lookup"', f'id="{operation}"'.encode())
    return SourceFile("service.bpmn", content)


def test_the_wsgi_factory_checks_uploads_against_the_connectors(wsgi_env: None) -> None:
    from webui.app import create_app

    app = create_app()
    engine = app.extensions["amtsflow"]
    try:
        operations = engine.known_operations()
        assert operations is not None and "kfz.get_holder" in operations
        with pytest.raises(DeploymentError) as err:
            deploy(engine, [_service_model("kfz.gibt_es_nicht")], actor="po")
        assert any("kfz.gibt_es_nicht" in p.message for p in err.value.problems)
        [deployed] = deploy(engine, [_service_model("kfz.get_holder")], actor="po").processes
        assert deployed.version == 1
    finally:
        engine.db.dispose()


def test_the_cli_builds_the_same_engine_as_the_wsgi_factory(wsgi_env: None) -> None:
    import click

    from webui.app import create_app
    from webui.cli_engine import command_engine

    wsgi = create_app()
    with click.Context(click.Command("probe")) as ctx, ctx.scope():
        cli_operations = command_engine().known_operations()
    try:
        assert cli_operations and wsgi.extensions["amtsflow"].known_operations() == cli_operations
    finally:
        wsgi.extensions["amtsflow"].db.dispose()
