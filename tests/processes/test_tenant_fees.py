"""One shared Bewohnerparkausweis, three municipalities: each charges its own fee (issue 17).

The process is deployed once, as the provider deploys it for every tenant. Musterstadt and
Beispieldorf each upload their own fee table (gebuehr.dmn) as an override; Neustadt has none.
A case of each tenant runs against the simulators with a save/restore at every wait (the
scenario rig's engine has no case cache) and must charge the tenant's own fee: in the decision
variable, in the payment platform's transaction, in the payment request mail and in the PDF
decision.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import insert, select

from connectors.simulators import runner
from engine.persistence import tables as t
from engine.persistence.tenant_tables import tenants
from engine.services import documents, overrides
from engine.tenancy import all_tenants, tenant_scope

from .conftest import PROCESSES, WEB, Scenario
from .test_bewohnerparkausweis import KEY, antrag

FEE_DMN = PROCESSES / KEY / "gebuehr.dmn"
SHARED_ZONE_A = 18000


def fee_table(zone_a_cent: int, other_cent: int) -> bytes:
    """The shared fee table with the municipality's own amounts for zone A and the other zones."""
    text = FEE_DMN.read_text(encoding="utf-8")
    assert text.count("<text>18000</text>") == 1 and text.count("<text>12000</text>") == 1
    return text.replace("<text>18000</text>", f"<text>{zone_a_cent}</text>") \
        .replace("<text>12000</text>", f"<text>{other_cent}</text>").encode()


def add_tenant(scenario: Scenario, tenant_id: str, name: str) -> None:
    with scenario.engine.db.begin() as conn:
        if conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first() is None:
            conn.execute(insert(tenants).values(id=tenant_id, name=name, settings={}, connectors={}, active=True,
                                                created_at=scenario.clock.now()))


@pytest.fixture
def s(scenario: Scenario) -> Scenario:
    scenario.deploy(KEY, shared=True)   # the provider's library: every tenant sees it
    for tenant_id, name in (("musterstadt", "Stadt Musterstadt"), ("beispieldorf", "Gemeinde Beispieldorf"),
                            ("neustadt", "Stadt Neustadt")):
        add_tenant(scenario, tenant_id, name)
    overrides.upload(scenario.engine, "musterstadt", KEY, "gebuehr.dmn", fee_table(15000, 10000), actor="provider")
    overrides.upload(scenario.engine, "beispieldorf", KEY, "gebuehr.dmn", fee_table(6000, 4500), actor="provider")
    return scenario


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def run_case(s: Scenario, tenant_id: str, **changes: Any) -> tuple[str, dict[str, Any]]:
    """Apply, pay and retrieve the decision as a citizen of ``tenant_id``; every step is one
    command on the stored case, in the tenant's scope (the worker runs each job in its job's tenant)."""
    with tenant_scope(tenant_id):
        case_id = s.start(KEY, antrag(**changes))
        key = s.case(case_id)["business_key"]
        assert s.status(case_id) == "waiting" and s.elements_waiting(case_id) == ["zahlung_gebucht", "zahlung_warten"]
        assert s.pay(case_id) == "delivered"
        assert s.message("bescheid_abgerufen", key) == "delivered"
        data = s.data(case_id)
        assert data["ergebnis"] == "erteilt"
    return case_id, data


def charged(s: Scenario, case_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the case charged, as each back office and the decision saw it."""
    tx = WEB.get(f"{s.bo.urls['payment']}/epaybl/v1/transaktionen/{data['zahlung']['transaktions_id']}",
                 headers={"Authorization": f"Bearer {runner.DEMO_SECRETS['payment_token']}"}).json()
    [mail] = [m for m in s.bo.mails(data["aktenzeichen"]) if m["subject"].startswith("Bitte zahlen Sie die Gebühr")]
    [decision] = [d for d in documents.list_for_case(s.engine, case_id) if d.filename.startswith("bescheid_")]
    return {"variable": data["gebuehr_cent"], "payment": tx["betrag_cent"], "payment_status": tx["status"],
            "mail": mail["body"], "decision": pdf_text(documents.get(s.engine, decision.id)[1])}


@pytest.mark.parametrize(("tenant_id", "cent", "shown"), [
    ("musterstadt", 15000, "150,00 €"), ("beispieldorf", 6000, "60,00 €"), ("neustadt", SHARED_ZONE_A, "180,00 €")])
def test_each_tenant_charges_its_own_fee(s: Scenario, tenant_id: str, cent: int, shown: str) -> None:
    case_id, data = run_case(s, tenant_id)
    assert data["zone"] == "A"
    with tenant_scope(tenant_id):
        seen = charged(s, case_id, data)
    assert (seen["variable"], seen["payment"], seen["payment_status"]) == (cent, cent, "BOOKED")
    assert shown in seen["mail"]
    assert f"eine Gebühr von {shown} festgesetzt" in seen["decision"], seen["decision"]
    for other in {"150,00 €", "60,00 €", "180,00 €"} - {shown}:
        assert other not in seen["decision"] and other not in seen["mail"]


def test_tenants_cases_side_by_side_keep_their_variants(s: Scenario) -> None:
    """Cases of two tenants interleaved step by step (the parsed-definition cache holds both
    variants at once). Beispieldorf's case goes to a clerk first, so its fee is decided only
    after a wait, on the stored case: a fee change uploaded meanwhile must not reach it (it
    runs on the override versions it started with); a case started after the change pays it."""
    with tenant_scope("musterstadt"):
        muster = s.start(KEY, antrag())
        assert s.data(muster)["gebuehr_cent"] == 15000
    with tenant_scope("beispieldorf"):
        beispiel = s.start(KEY, antrag(privater_stellplatz=True))
        assert "gebuehr_cent" not in s.data(beispiel)
    overrides.upload(s.engine, "beispieldorf", KEY, "gebuehr.dmn", fee_table(7000, 5000), actor="provider",
                     comment="Gebührensatzung 2027")
    with tenant_scope("beispieldorf"):
        s.complete(beispiel, "pruefen", {"entscheidung": "genehmigen"}, actor="sb1")
        assert s.pay(beispiel) == "delivered"
        assert s.data(beispiel)["gebuehr_cent"] == 6000
    with tenant_scope("musterstadt"):
        assert s.pay(muster) == "delivered"
        assert s.data(muster)["gebuehr_cent"] == 15000
    with all_tenants("the test compares both tenants' cases"), s.engine.db.connect() as conn:
        started = dict(conn.execute(select(t.cases.c.id, t.cases.c.variant_id)
                                    .where(t.cases.c.id.in_([muster, beispiel]))).tuples().all())
    assert started[muster] != started[beispiel] and None not in started.values()
    with tenant_scope("beispieldorf"):   # a new case takes the new fee
        later = s.start(KEY, antrag())
        assert s.data(later)["gebuehr_cent"] == 7000
        [started_event] = [e for e in s.case(later)["history"] if e["action"] == "started"]
    assert started_event["details"]["overrides"] == {"gebuehr.dmn": 2}


def test_without_a_tenant_scope_the_shared_fee_applies(s: Scenario) -> None:
    case_id = s.start(KEY, antrag())
    assert s.data(case_id)["gebuehr_cent"] == SHARED_ZONE_A


def test_a_withdrawn_override_gives_the_shared_fee_again(s: Scenario) -> None:
    overrides.withdraw(s.engine, "musterstadt", KEY, "gebuehr.dmn", actor="provider")
    with tenant_scope("musterstadt"):
        case_id = s.start(KEY, antrag())
        assert s.data(case_id)["gebuehr_cent"] == SHARED_ZONE_A

