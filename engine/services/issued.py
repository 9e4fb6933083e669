"""Generated documents (decisions, certificates) found by their document id, for the public
verification page: the PDFs that may carry a given verification code.

A generated document lives in the document store (kind ``decision``, file name
``<template>_<document id>.pdf`` as the documents connector names it; the job executor stores every
generated document there). Cases from before that kept the connector's result in their data
(``document_id`` + ``content_base64``): only when the store has nothing, the case data is searched,
a text search over the cases table without an index, fine for a rate-limited public page.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator

from sqlalchemy import Text, cast, select

from engine.bootstrap import Engine
from engine.persistence import tables as t
from engine.persistence.document_tables import documents

DOCUMENT_ID = re.compile(r"^[A-Z2-7]{12}$")      # base32, as connectors.documents.document_id_for
MAX_CANDIDATES = 20


def pdfs_for_document_id(engine: Engine, document_id: str) -> list[bytes]:
    """PDF files that claim to be the generated document ``document_id`` (unverified)."""
    if not DOCUMENT_ID.match(document_id):
        return []
    d = documents
    with engine.db.connect() as conn:
        stored = conn.execute(select(d.c.content).where(d.c.kind == "decision",
                                                        d.c.filename.like(f"%{document_id}.pdf"))
                              .limit(MAX_CANDIDATES)).scalars().all()
        if stored:
            return [bytes(c) for c in stored]
        datas = conn.execute(select(t.cases.c.data).where(cast(t.cases.c.data, Text).contains(document_id))
                             .limit(MAX_CANDIDATES)).scalars().all()
    found: list[bytes] = []
    for data in datas:
        found.extend(_embedded(data, document_id))
    return found[:MAX_CANDIDATES]


def _embedded(value: Any, document_id: str) -> Iterator[bytes]:
    if isinstance(value, dict):
        if value.get("document_id") == document_id and isinstance(value.get("content_base64"), str):
            try:
                yield base64.b64decode(value["content_base64"], validate=True)
            except (binascii.Error, ValueError):
                pass
        for item in value.values():
            yield from _embedded(item, document_id)
    elif isinstance(value, list):
        for item in value:
            yield from _embedded(item, document_id)
