# ruff: noqa: F811  (the fixtures imported from _app are test parameters)
"""Issue 12.2/12.7: operators make system tokens with rights (CLI and admin page); a token
without rights is the person's token, as before."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.domain.errors import InvalidState
from engine.services import identity
from engine.services.deploy import deploy, read_paths
from webui.cli_web import commands

from ._app import PROCESSES, app, as_user, client, people  # noqa: F401  (fixtures)
from tests.web.conftest import csrf_token


def test_the_cli_makes_a_token_with_scopes(engine, people):
    [accounts] = commands
    out = CliRunner().invoke(accounts, obj=engine, args=["token", "kasse", "--name", "ePayBL",
                                                         "--scope", "message:zahlung_gebucht"])
    assert out.exit_code == 0, out.output
    user = identity.user_for_token(engine, out.output.strip())
    assert user.username == "kasse" and user.scopes == ("message:zahlung_gebucht",)
    bad = CliRunner().invoke(accounts, obj=engine, args=["token", "kasse", "--name", "x", "--scope", "alles"])
    assert bad.exit_code == 1 and "scope" in bad.output


def test_unknown_scopes_are_refused(engine, people):
    for scope in ("admin", "message:", "message: x", "business_key "):
        with pytest.raises(InvalidState):
            identity.create_api_token(engine, "sb1", "x", scopes=[scope])


def test_the_admin_page_offers_the_reserved_messages_as_rights(engine, client):
    deploy(engine, read_paths([str(PROCESSES / "bewohnerparkausweis")]), actor="po")
    as_user(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Nachricht „zahlung_gebucht“ senden" in page and "Aktenzeichen beim Start vorgeben" in page
    answer = client.post("/admin/tokens", data={"csrf_token": csrf_token(client, "/admin/"), "username": "kasse",
                                                "name": "ePayBL", "scopes": "message:zahlung_gebucht"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    [token] = identity.list_api_tokens(engine)
    assert token.scopes == ("message:zahlung_gebucht",)
    assert "Rechte: message:zahlung_gebucht" in client.get("/admin/").get_data(as_text=True)
