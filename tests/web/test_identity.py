"""Identity and document services on SQLite and PostgreSQL."""

from __future__ import annotations

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
