"""Electronic delivery of decisions (§ 41 (2a) VwVfG).

A decision made available for retrieval counts as delivered on the day after it is
retrieved; if it is not retrieved within ten days, the process sends it by post. The
portal reports each retrieval here; the case of that decision continues if it waits for
``bescheid_abgerufen`` (never another case with the same business key), any other retrieval
changes nothing.
"""

from __future__ import annotations

from engine.bootstrap import Engine
from engine.services import documents, messages, queries

RETRIEVED = "bescheid_abgerufen"


def record_retrieval(engine: Engine, case_id: str, document_id: str, actor: str) -> str:
    """Called when the addressee downloads a document; returns the message outcome."""
    doc, _content = documents.get(engine, document_id)
    if doc.case_id != case_id or doc.kind != "decision":
        return "ignored"
    case = queries.get_case(engine, case_id, with_history=False)
    if case["status"] in ("completed", "cancelled") or not case["business_key"]:
        return "ignored"
    now = engine.clock.now()
    outcome = messages.correlate_message(
        engine, RETRIEVED, case["business_key"], {"abgerufen_am": now.isoformat(), "dokument": doc.filename},
        message_id=f"abruf-{document_id}", actor=actor, only_if_waiting=True, to_case=case_id)
    return outcome.status
