"""FIT-Connect-shaped intake: callback authentication and submission parsing (no network here).

A submission consists of metadata (required), data (JSON per the service's form schema) and
attachments. The metadata's ``contentStructure`` carries SHA-512 hashes of the data and of every
attachment and the ``submissionSchema`` (schema URI + MIME type); ``parse_submission`` checks all of
it and validates the data against the form schema. Real FIT-Connect encrypts metadata, data and
attachments as JWE; this shape carries them in plain text over TLS (no JWE layer).

Callbacks from the Zustelldienst are authenticated with HMAC-SHA512 over ``"<timestamp>.<body>"``
(headers ``callback-authentication`` and ``callback-timestamp``); see ``verify_callback``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from connectors.signing import CallbackRefused, ReplayGuard, verify_signed

SIGNATURE_HEADER = "callback-authentication"
TIMESTAMP_HEADER = "callback-timestamp"
NEW_SUBMISSIONS = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"
PROBLEM_BASE = "https://schema.fitko.de/fit-connect/events/problems/"

__all__ = ["CallbackRefused", "verify_callback", "parse_callback", "parse_submission", "build_metadata",
           "Submission", "Attachment", "Problem", "SubmissionRejected"]


def verify_callback(headers: Mapping[str, str], body: bytes, secret: str, now: datetime | float,
                    replay_guard: ReplayGuard | None = None) -> None:
    """Refuse (``CallbackRefused``) a callback that is unsigned, wrongly signed, older (or newer)
    than 5 minutes or, given a replay guard, already received."""
    verify_signed(headers, body, secret, now, signature_header=SIGNATURE_HEADER,
                  timestamp_header=TIMESTAMP_HEADER, digest="sha512", replay_guard=replay_guard)


def parse_callback(body: bytes) -> list[str]:
    """The submission ids announced by an (already verified) new-submissions callback."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CallbackRefused("callback body is not JSON") from None
    ids = payload.get("submissionIds") if isinstance(payload, dict) else None
    if payload.get("type") != NEW_SUBMISSIONS or not isinstance(ids, list) \
            or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise CallbackRefused("callback is not a new-submissions notification")
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class Problem:
    """A reason to reject a submission (sent back to the sender in the reject event)."""

    type: str
    title: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"type": PROBLEM_BASE + self.type, "title": self.title, "detail": self.detail}


class SubmissionRejected(Exception):
    def __init__(self, submission_id: str, problems: list[Problem]) -> None:
        super().__init__(f"submission {submission_id} rejected: " + "; ".join(p.detail for p in problems))
        self.submission_id = submission_id
        self.problems = problems


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    mime_type: str
    purpose: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Submission:
    submission_id: str
    case_id: str
    destination_id: str
    leika: str                          # serviceType.identifier, e.g. urn:de:fim:leika:leistung:99...
    service_name: str
    schema_uri: str
    data: dict[str, Any]
    attachments: list[Attachment]
    payment: Mapping[str, Any] | None = None
    reply_channel: Mapping[str, Any] | None = None


def sha512(content: bytes) -> str:
    return hashlib.sha512(content).hexdigest()


def build_metadata(data: bytes, schema_uri: str, attachments: list[tuple[str, str, str, bytes]],
                   reply_channel: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Sender side: metadata for ``data`` and ``attachments`` = [(id, filename, mime, content)]."""
    meta: dict[str, Any] = {"contentStructure": {
        "data": {"hash": {"type": "sha512", "content": sha512(data)},
                 "submissionSchema": {"schemaUri": schema_uri, "mimeType": "application/json"}},
        "attachments": [{"attachmentId": aid, "hash": {"type": "sha512", "content": sha512(content)},
                         "purpose": "attachment", "filename": name, "mimeType": mime}
                        for aid, name, mime, content in attachments]}}
    if reply_channel:
        meta["replyChannel"] = dict(reply_channel)
    return meta


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, Mapping) else None
    return obj


def parse_submission(submission: Mapping[str, Any], attachments: Mapping[str, bytes],
                     schema_for: Callable[[str], Mapping[str, Any] | None]) -> Submission:
    """Check hashes, schema and attachments of a fetched submission; raise ``SubmissionRejected``
    with every problem found. ``schema_for(schema_uri)`` gives the service's form JSON Schema."""
    sid = str(submission.get("submissionId", ""))
    problems: list[Problem] = []
    meta = submission.get("metadata")
    structure = _get(meta, "contentStructure")
    schema_uri = str(_get(structure, "data", "submissionSchema", "schemaUri") or "")
    if not isinstance(structure, Mapping) or not schema_uri:
        raise SubmissionRejected(sid, [Problem("missing-schema", "Metadaten unvollständig",
                                               "metadata.contentStructure with submissionSchema is required")])
    try:
        raw = base64.b64decode(str(submission.get("data") or ""), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
        problems.append(Problem("syntax-violation", "Fachdaten nicht lesbar", "data is not valid base64"))
    if not raw and not problems:
        problems.append(Problem("syntax-violation", "Fachdaten fehlen", "the submission carries no data"))
    if raw and _get(structure, "data", "hash", "type") != "sha512":
        problems.append(Problem("hash-mismatch", "Hash-Verfahren", "data hash must be SHA-512"))
    elif raw and _get(structure, "data", "hash", "content") != sha512(raw):
        problems.append(Problem("hash-mismatch", "Prüfsumme stimmt nicht", "SHA-512 of the data does not match"))
    data: Any = None
    if raw and not problems:
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            problems.append(Problem("syntax-violation", "Fachdaten kein JSON", "data is not JSON"))
    schema = schema_for(schema_uri)
    if schema is None:
        problems.append(Problem("unsupported-schema", "Schema unbekannt",
                                f"no form schema for {schema_uri} at this destination"))
    elif data is not None:
        try:
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        except SchemaError as exc:
            raise ValueError(f"form schema for {schema_uri} is invalid: {exc.message}") from None
        for err in errors[:10]:
            where = "/".join(str(p) for p in err.path) or "(root)"
            problems.append(Problem("schema-violation", "Fachdaten verletzen das Schema", f"{where}: {err.message}"))
    declared = {str(a.get("attachmentId")): a for a in _get(structure, "attachments") or [] if isinstance(a, Mapping)}
    announced = {str(a) for a in submission.get("attachments") or []}
    if set(declared) != announced:
        problems.append(Problem("attachments-mismatch", "Anlagen passen nicht",
                                "attachments in metadata and submission differ"))
    parsed: list[Attachment] = []
    for aid, entry in declared.items():
        content = attachments.get(aid)
        if content is None:
            problems.append(Problem("missing-attachments", "Anlage fehlt", f"attachment {aid} was not delivered"))
        elif _get(entry, "hash", "type") != "sha512" or _get(entry, "hash", "content") != sha512(content):
            problems.append(Problem("hash-mismatch", "Prüfsumme stimmt nicht", f"SHA-512 of attachment {aid}"))
        else:
            parsed.append(Attachment(aid, str(entry.get("filename") or aid), str(entry.get("mimeType") or
                                     "application/octet-stream"), str(entry.get("purpose") or "attachment"), content))
    if data is not None and not isinstance(data, dict):
        problems.append(Problem("schema-violation", "Fachdaten", "data must be a JSON object"))
    if problems:
        raise SubmissionRejected(sid, problems)
    return Submission(sid, str(submission.get("caseId", "")), str(submission.get("destinationId", "")),
                      str(_get(submission, "serviceType", "identifier") or ""),
                      str(_get(submission, "serviceType", "name") or ""), schema_uri, data, parsed,
                      _get(meta, "paymentInformation"), _get(meta, "replyChannel"))
