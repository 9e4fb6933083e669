"""Issue 12.2: a message is delivered to exactly the case it names, never to an arbitrary one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.domain.errors import AmbiguousCorrelation
from engine.persistence import tables as t
from engine.runtime.parsing import SourceFile
from engine.services import messages, queries
from engine.services.cases import start_case
from engine.services.deploy import deploy
from tests.integration.helpers import MODELS, deploy_models


def _second_payment_process(engine):
    """The same payment wait under another process key (e.g. a fee of another service)."""
    text = (MODELS / "messages.bpmn").read_text(encoding="utf-8")
    text = text.replace('id="zahlung"', 'id="zahlung_b"').replace('id="eingang"', 'id="eingang_b"')
    deploy(engine, [SourceFile("zahlung_b.bpmn", text.encode())], actor="test")


def _message_rows(engine) -> int:
    with engine.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.messages)).scalar_one())


def test_a_message_matching_two_waiting_cases_is_refused_and_names_both(engine):
    deploy_models(engine, "messages.bpmn")
    _second_payment_process(engine)
    first = start_case(engine, "zahlung", {}, business_key="KZ-2026-1")
    second = start_case(engine, "zahlung_b", {}, business_key="KZ-2026-1")
    with pytest.raises(AmbiguousCorrelation) as caught:
        messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2026-1", {"betrag": 30}, message_id="pay-9")
    error = caught.value
    assert first in error.message and second in error.message              # operators: the case ids
    assert "zahlung_eingegangen" in error.message and "KZ-2026-1" in error.message
    assert "mehreren wartenden Vorgängen" in error.user_message and first in error.user_message
    for case_id in (first, second):                                        # nobody got it ...
        view = queries.get_case(engine, case_id)
        assert "betrag" not in view["data"] and view["status"] == "waiting"
    assert _message_rows(engine) == 0                                      # ... and nothing was recorded
    # the message id stays unused: once the ambiguity is resolved the sender can retry it
    from engine.services.cases import cancel_case

    cancel_case(engine, second, reason="test")
    out = messages.correlate_message(engine, "zahlung_eingegangen", "KZ-2026-1", {"betrag": 30}, message_id="pay-9")
    assert (out.status, out.case_id) == ("delivered", first)


def test_a_message_without_key_matching_two_cases_without_key_is_refused(engine):
    deploy_models(engine, "messages.bpmn")
    _second_payment_process(engine)
    # a model may correlate on its own properties; here both wait with the same (empty) key
    a = start_case(engine, "zahlung", {})
    b = start_case(engine, "zahlung_b", {})
    with engine.db.begin() as conn:
        conn.execute(t.subscriptions.update().where(t.subscriptions.c.case_id.in_([a, b]))
                     .values(correlation_key=None))
    with pytest.raises(AmbiguousCorrelation):
        messages.correlate_message(engine, "zahlung_eingegangen", None, {"betrag": 1})
