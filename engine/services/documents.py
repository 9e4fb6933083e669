"""Documents: uploads by citizens and clerks, decisions; type checked by content, not by name."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState, NotFound
from engine.persistence.db import unit_of_work
from engine.persistence.document_tables import documents

MAX_BYTES = 10 * 1024 * 1024
KINDS = ("attachment", "decision")
# media type -> (magic prefix, allowed file name endings)
ALLOWED = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}


class UploadRefused(InvalidState):
    """An upload was refused (size, type); nothing was stored."""


@dataclass(frozen=True)
class Document:
    id: str
    case_id: str | None
    kind: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime


def sniff(content: bytes) -> str | None:
    """The media type the first bytes prove, or None."""
    for media_type, (magic, _) in ALLOWED.items():
        if content.startswith(magic):
            return media_type
    return None


def safe_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    cleaned = "".join(ch for ch in base if ch.isalnum() or ch in "._- äöüÄÖÜß")[:200].strip(" .")
    return cleaned or "dokument"


def check_upload(filename: str, content: bytes, max_bytes: int = MAX_BYTES) -> str:
    """The media type of an acceptable upload; raises UploadRefused with a German message."""
    name = safe_filename(filename)
    if not content:
        raise UploadRefused(f"upload {name}: empty file", user_message=f"Die Datei „{name}“ ist leer.")
    if len(content) > max_bytes:
        limit = max_bytes // (1024 * 1024)
        raise UploadRefused(f"upload {name}: {len(content)} bytes > {max_bytes}",
                            user_message=f"Die Datei „{name}“ ist zu groß (höchstens {limit} MB).")
    media_type = sniff(content)
    if media_type is None:
        raise UploadRefused(f"upload {name}: content is not PDF, PNG or JPEG",
                            user_message=f"Die Datei „{name}“ ist kein PDF-, PNG- oder JPEG-Dokument.")
    if not name.lower().endswith(ALLOWED[media_type][1]):
        raise UploadRefused(f"upload {name}: name does not match content {media_type}",
                            user_message=f"Der Inhalt der Datei „{name}“ passt nicht zur Dateiendung.")
    return media_type


@dataclass(frozen=True)
class Upload:
    """A file that passed :func:`check_upload` and waits to be stored with its submission
    (in the same transaction as the case start or task completion that refers to it)."""

    id: str
    filename: str
    content: bytes
    media_type: str


def accept(filename: str, content: bytes, max_bytes: int = MAX_BYTES, document_id: str | None = None) -> Upload:
    """Check an upload (UploadRefused with a German message) and give it its document id."""
    media_type = check_upload(filename, content, max_bytes)
    return Upload(document_id or str(uuid.uuid4()), safe_filename(filename), content, media_type)


def insert_uploads(conn: Any, uploads: Iterable[Upload], *, case_id: str, uploaded_by: str, now: datetime) -> None:
    """Store a submission's uploads on the caller's connection (its transaction)."""
    for upload in uploads:
        conn.execute(insert(documents).values(
            id=upload.id, case_id=case_id, kind="attachment", filename=upload.filename, media_type=upload.media_type,
            size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(), content=upload.content,
            uploaded_by=uploaded_by, created_at=now))


def store(engine: Engine, filename: str, content: bytes, *, uploaded_by: str, case_id: str | None = None,
          kind: str = "attachment", max_bytes: int = MAX_BYTES, document_id: str | None = None) -> Document:
    """Store an uploaded document. With ``document_id`` (an id derived from where the document
    came from), storing it again is a no-op that returns the stored document."""
    if kind not in KINDS:
        raise InvalidState(f"unknown document kind {kind!r}", user_message="Unbekannte Dokumentart.")
    media_type = check_upload(filename, content, max_bytes)
    doc = Document(id=document_id or str(uuid.uuid4()), case_id=case_id, kind=kind, filename=safe_filename(filename),
                   media_type=media_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                   uploaded_by=uploaded_by, created_at=engine.clock.now())
    try:
        with unit_of_work(engine.db) as uow:
            if document_id is not None and (stored := _metadata(uow.conn, document_id)) is not None:
                return stored
            uow.conn.execute(insert(documents).values(content=content, **doc.__dict__))
            uow.commit()
    except IntegrityError:
        if document_id is None:
            raise
        with engine.db.connect() as conn:  # stored concurrently under the same id
            stored = _metadata(conn, document_id)
        if stored is None:
            raise
        return stored
    return doc


def _metadata(conn: Any, document_id: str) -> Document | None:
    row = conn.execute(select(*[documents.c[f] for f in Document.__dataclass_fields__])
                       .where(documents.c.id == document_id)).first()
    return _document(row) if row is not None else None


def _document(row: object) -> Document:
    return Document(**{f: getattr(row, f) for f in Document.__dataclass_fields__})


def list_for_case(engine: Engine, case_id: str) -> list[Document]:
    cols = [documents.c[f] for f in Document.__dataclass_fields__]
    with engine.db.connect() as conn:
        rows = conn.execute(select(*cols).where(documents.c.case_id == case_id).order_by(documents.c.created_at))
        return [_document(r) for r in rows]


def get(engine: Engine, document_id: str) -> tuple[Document, bytes]:
    with engine.db.connect() as conn:
        row = conn.execute(select(documents).where(documents.c.id == document_id)).first()
    if row is None:
        raise NotFound(f"document {document_id} not found", user_message="Das Dokument wurde nicht gefunden.")
    return _document(row), bytes(row.content)
