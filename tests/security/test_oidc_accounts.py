# ruff: noqa: F811  (the fixtures imported from _app are test parameters)
"""Issue 12.6: single sign-on keys citizens' accounts by (issuer, subject) exactly.

The identity provider's answer is replaced by a fake client that returns the verified claims
(token exchange and signature checks have their own tests); everything after it runs for real."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine.services import cases, queries
from tests.integration.helpers import deploy_models

from ._app import app, people  # noqa: F401  (fixtures)
from tests.conftest import in_scope
from tests.web.conftest import csrf_token

ISSUER = "https://idp.example.de/realms/bund"


class FakeProvider:
    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}

    def callback(self, args: dict[str, str]) -> dict[str, Any]:
        return dict(self.claims)


@pytest.fixture
def provider(app: Flask) -> FakeProvider:
    fake = FakeProvider()
    app.config["AMTSFLOW_OIDC"] = {"issuer": ISSUER, "trust_claim": "acr", "name": "BundID"}
    app.extensions["amtsflow_oidc"] = fake
    return fake


def sign_in(app: Flask, provider: FakeProvider, sub: str, name: str = "Erika Mustermann", iss: str = ISSUER) -> Any:
    """A fresh browser signs in through the OIDC callback; the signed-in user's name, or None."""
    provider.claims = {"iss": iss, "sub": sub, "name": name, "acr": "substantial"}
    client = app.test_client()
    client.get("/anmelden/oidc/zurueck?code=x&state=y")
    with client.session_transaction() as session:
        return session.get("user"), client


def test_subjects_that_differ_only_in_case_are_two_people(app, provider, engine):
    deploy_models(engine, "messages.bpmn")
    first, first_client = sign_in(app, provider, "AbCdEf")
    second, _client = sign_in(app, provider, "abcdef", name="Max Mustermann")
    assert first and second and first != second
    case_id = cases.start_case(engine, "zahlung", {}, actor=first)
    assert [c["id"] for c in queries.list_cases(engine, started_by=first)] == [case_id]
    assert queries.list_cases(engine, started_by=second) == []
    again, _client = sign_in(app, provider, "AbCdEf")
    assert again == first                                 # the same subject is the same account


@pytest.mark.parametrize("sub", ["a+b@example", "x/y/z", "c3ViamVjdA==", "ÄÖÜ-ß", "x" * 255])
def test_subjects_with_any_characters_can_sign_in(app, provider, sub):
    user, client = sign_in(app, provider, sub)
    assert user is not None
    assert client.get("/meine-antraege").status_code == 200


def test_the_same_subject_of_another_issuer_is_another_person(app, provider):
    one, _client = sign_in(app, provider, "12345")
    other, _client = sign_in(app, provider, "12345", iss="https://other-idp.example")
    assert one and other and one != other


def test_the_standard_claims_an_application_form_may_use_stay_in_the_session_only(app, provider, engine):
    provider.claims = {"iss": ISSUER, "sub": "claims", "name": "Leyla Yılmaz", "acr": "high",
                       "given_name": "Leyla", "family_name": "Yılmaz", "birthdate": "1978-01-30",
                       "email": "leyla@example.org", "phone_number": "+49 30 1234",
                       "address": {"street_address": "Marktplatz 3", "postal_code": "12345", "locality": "Musterstadt"}}
    client = app.test_client()
    client.get("/anmelden/oidc/zurueck?code=x&state=y")
    with client.session_transaction() as session:
        assert session["prefill"] == {"given_name": "Leyla", "family_name": "Yılmaz", "birthdate": "1978-01-30",
                                      "email": "leyla@example.org", "street_address": "Marktplatz 3",
                                      "postal_code": "12345", "locality": "Musterstadt"}
    assert client.post("/abmelden", data={"csrf_token": csrf_token(client, "/meine-antraege")}).status_code in (302, 303)
    with client.session_transaction() as session:        # signing out ends them
        assert "prefill" not in session and "user" not in session


def test_a_long_display_name_is_shortened_not_refused(app, provider, engine):
    from engine.services import identity

    user, _client = sign_in(app, provider, "long-name", name="Maria " + "Sophia " * 60 + "Musterfrau")
    assert user is not None
    shown = identity.get_user(engine, user).display_name
    assert len(shown) <= 200 and shown.startswith("Maria Sophia") and shown.endswith("…")


def test_a_subject_longer_than_the_standard_allows_is_refused_politely(app, provider):
    user, client = sign_in(app, provider, "x" * 256)
    assert user is None


def test_an_account_of_the_old_sign_in_goes_to_the_exact_subject_only(engine, people):
    from engine.services import citizen_accounts, identity

    legacy = identity.create_user(engine, "oidc:abcdef", "Erika Mustermann", roles=["citizen"])
    same = citizen_accounts.sign_in_external(engine, ISSUER, "abcdef", "Erika Mustermann", "substantial")
    assert same.id == legacy.id and same.username == "oidc:abcdef"
    other = citizen_accounts.sign_in_external(engine, ISSUER, "AbCdEf", "Max Mustermann", "basic")
    assert other.id != legacy.id and other.username.startswith("sso:")


def test_concurrent_first_sign_ins_of_one_person_make_one_account(engine, people):
    import threading

    from engine.services import citizen_accounts, identity

    found: list[str] = []
    errors: list[BaseException] = []

    def sign_in_once() -> None:
        try:
            found.append(citizen_accounts.sign_in_external(engine, ISSUER, "Zz+1/=", "Zora", "high").id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=in_scope(sign_in_once)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(found)) == 1
    assert len([u for u in identity.list_users(engine) if u.display_name == "Zora"]) == 1
