"""Identity and document services on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.domain.errors import Conflict, InvalidState, NotFound
from engine.persistence.identity_tables import api_tokens, users
from engine.services import documents, identity
from tests.web.helpers import PDF, PNG


def test_users_groups_and_password_authentication(engine, production_password_hashes):
    identity.create_group(engine, "sachbearbeitung", "Sachbearbeitung")
    user = identity.create_user(engine, "SB1", "Sabine Berger", roles=["clerk"], password="geheim-genug-1",
                                groups_=["sachbearbeitung"])
    assert user.username == "sb1" and user.groups == ("sachbearbeitung",) and user.has_password
    assert identity.authenticate(engine, "sb1", "geheim-genug-1") == user
    assert identity.authenticate(engine, "sb1", "falsch-falsch") is None
    assert identity.authenticate(engine, "niemand", "geheim-genug-1") is None
    with engine.db.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert "geheim-genug-1" not in stored
    assert stored.split("$")[0] == generate_password_hash("x").split("$")[0]   # werkzeug's default method
    identity.update_user(engine, "sb1", active=False)
    assert identity.authenticate(engine, "sb1", "geheim-genug-1") is None


def test_invalid_accounts_are_refused_in_german(engine):
    with pytest.raises(InvalidState) as err:
        identity.create_user(engine, "x", "X", roles=["kaiser"], password="lang-genug-123")
    assert "Rolle" in err.value.user_message
    with pytest.raises(InvalidState) as err:
        identity.create_user(engine, "x", "X", roles=["clerk"], password="kurz")
    assert "mindestens 10 Zeichen" in err.value.user_message
    with pytest.raises(NotFound):
        identity.create_user(engine, "x", "X", roles=["clerk"], password="lang-genug-123", groups_=["gibtsnicht"])
    assert identity.list_users(engine) == []
    identity.create_user(engine, "x", "X", roles=["clerk"])
    with pytest.raises(Conflict):
        identity.create_user(engine, "x", "X", roles=["clerk"])


def test_api_tokens_are_stored_as_digests_and_can_be_revoked(engine):
    identity.create_user(engine, "fitconnect", "FIT-Connect-Eingang", roles=["clerk"])
    token_id, token = identity.create_api_token(engine, "fitconnect", "Eingang")
    with engine.db.connect() as conn:
        row = conn.execute(select(api_tokens)).one()
    assert row.token_hash == identity.token_digest(token) and token not in row.token_hash
    assert identity.user_for_token(engine, token).username == "fitconnect"
    assert identity.user_for_token(engine, token + "x") is None
    identity.revoke_api_token(engine, token_id)
    assert identity.user_for_token(engine, token) is None
    with pytest.raises(NotFound):
        identity.revoke_api_token(engine, token_id)


def test_a_token_is_one_lookup_and_its_use_is_recorded_once_a_minute(engine, clock):
    """Every API request looks its token up: the account, its groups and scopes come back from
    one read, and the token's last use is written at most once a minute, not per request; a
    revocation or a deactivated account counts at once (nothing is cached)."""
    identity.create_group(engine, "kasse", "Kasse")
    identity.create_group(engine, "sachbearbeitung", "Sachbearbeitung")
    identity.create_user(engine, "fv", "Fachverfahren", roles=["clerk"], groups_=["sachbearbeitung", "kasse"])
    token_id, token = identity.create_api_token(engine, "fv", "Eingang", scopes=["business_key"])

    def last_used():
        with engine.db.connect() as conn:
            return conn.execute(select(api_tokens.c.last_used_at)).scalar_one()

    found = identity.identify_token(engine, token)
    assert found is not None and found.tenant_id == "default"
    assert (found.user.username, found.user.groups, found.user.scopes) == ("fv", ("kasse", "sachbearbeitung"),
                                                                          ("business_key",))
    first = last_used()
    assert first is not None
    clock.advance(timedelta(seconds=30))
    assert identity.identify_token(engine, token) is not None
    assert last_used() == first                      # within the minute: not written again
    clock.advance(timedelta(seconds=31))
    assert identity.identify_token(engine, token) is not None
    assert last_used() > first
    identity.update_user(engine, "fv", active=False)
    assert identity.identify_token(engine, token) is None
    identity.update_user(engine, "fv", active=True)
    identity.revoke_api_token(engine, token_id)
    assert identity.identify_token(engine, token) is None and identity.tenant_for_token(engine, token) is None


def test_demo_accounts_get_fresh_random_passwords(engine):
    first = identity.create_demo_accounts(engine).passwords
    second = identity.create_demo_accounts(engine).passwords
    assert set(first) == {"erika", "sb1", "sb2", "kasse1", "po", "admin"}
    assert first["sb1"] != second["sb1"]
    assert identity.authenticate(engine, "sb1", second["sb1"]).groups == ("sachbearbeitung",)
    assert identity.get_user(engine, "erika").trust_level == "substantial"
    assert identity.get_user(engine, "kasse1").groups == ("kasse",)


def test_citizen_sign_in_through_an_identity_provider(engine):
    user = identity.sign_in_citizen(engine, "bund:1234", "Erika Mustermann", "high")
    assert user.roles == ("citizen",) and user.trust_level == "high" and not user.has_password
    again = identity.sign_in_citizen(engine, "bund:1234", "Erika M.", "basic")
    assert again.id == user.id and again.trust_level == "basic"


def test_documents_are_sniffed_by_content(engine):
    doc = documents.store(engine, "../../etc/nachweis.pdf", PDF, uploaded_by="erika")
    assert doc.filename == "nachweis.pdf" and doc.media_type == "application/pdf" and doc.case_id is None
    assert documents.get(engine, doc.id)[1] == PDF
    for name, content, message in [
        ("virus.pdf", b"MZ\x90\x00" + b"\0" * 100, "kein PDF-, PNG- oder JPEG-Dokument"),
        ("seite.pdf", b"<html><script>alert(1)</script></html>", "kein PDF-, PNG- oder JPEG-Dokument"),
        ("bild.pdf", PNG, "passt nicht zur Dateiendung"),
        ("leer.pdf", b"", "ist leer"),
        ("gross.pdf", PDF + b"0" * 2048, "zu groß"),
    ]:
        with pytest.raises(documents.UploadRefused) as err:
            documents.store(engine, name, content, uploaded_by="erika", max_bytes=1024 * 1024 if name != "gross.pdf" else 1024)
        assert message in err.value.user_message
    assert len([documents.get(engine, doc.id)]) == 1


def test_case_links_resolve_only_with_the_secret(engine, clock):
    from tests.integration.helpers import deploy_models
    from engine.services import cases
    deploy_models(engine, "usertask.bpmn")
    case_id = cases.start_case(engine, "usertask", {}, actor="erika")
    token = identity.create_case_link(engine, case_id, "erika")
    assert identity.case_for_link(engine, token) == case_id
    assert identity.case_for_link(engine, token[:-1]) is None
