"""The account commands (webui/cli_web.py), invoked with the test engine as the root object."""

from __future__ import annotations

from click.testing import CliRunner

from engine.services import identity
from webui.cli_web import commands


def test_account_commands(app, web_engine):
    runner = CliRunner()
    [accounts] = commands
    out = runner.invoke(accounts, obj=web_engine, args=["group", "ordnungsamt", "--title", "Ordnungsamt"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(accounts, obj=web_engine, args=["create", "oa1", "--name", "Olga Amt", "--role", "clerk", "--group", "ordnungsamt",
                                   "--password", "lang-genug-42"])
    assert out.exit_code == 0, out.output
    assert identity.authenticate(web_engine, "oa1", "lang-genug-42").groups == ("ordnungsamt",)
    out = runner.invoke(accounts, obj=web_engine, args=["token", "oa1", "--name", "Test"])
    assert out.exit_code == 0 and identity.user_for_token(web_engine, out.output.strip()).username == "oa1"
    out = runner.invoke(accounts, obj=web_engine, args=["create", "oa1", "--name", "X", "--role", "clerk", "--password", "lang-genug-42"])
    assert out.exit_code == 1 and "exists" in out.output
    out = runner.invoke(accounts, obj=web_engine, args=["demo"])
    assert out.exit_code == 0 and out.output.splitlines()[0].startswith("erika")
