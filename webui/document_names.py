"""Readable German names for documents people download (link text and Content-Disposition).

The documents connector names a generated PDF after its template and its id
(``bescheid_bewohnerparkausweis_3f2a...pdf``); people get ``Bescheid-Bewohnerparkausweis-
BP-2026-000001.pdf``. Files people uploaded keep the name they gave them.
"""

from __future__ import annotations

import re
from typing import Any

GENERATED = re.compile(r"^(?P<template>[a-z][a-z0-9_]*?)_(?P<id>[0-9a-f][0-9a-f-]{7,})\.pdf$")
TEMPLATES = {
    "bescheid_ablehnung": "Ablehnungsbescheid",
    "bescheid_widerruf_bewohnerparkausweis": "Widerrufsbescheid-Bewohnerparkausweis",
    "bescheinigung_bewohnerparkausweis": "Bewohnerparkausweis",
    "bescheinigung_gewerbeanmeldung": "Empfangsbescheinigung-Gewerbeanmeldung",
    "bescheinigung_meldebestaetigung": "Meldebestätigung",
}
UNSAFE = re.compile(r"[^\w.-]+")


def readable_name(filename: str, business_key: str | None) -> str:
    """The name a person sees and saves: template words and the Aktenzeichen for a generated
    document, the uploaded name otherwise."""
    match = GENERATED.match(filename)
    if match is None:
        return filename
    template = match["template"]
    title = TEMPLATES.get(template) or "-".join(part.capitalize() for part in template.split("_"))
    key = UNSAFE.sub("-", business_key).strip("-") if business_key else match["id"][:8]
    return f"{title}-{key}.pdf"


def document_name(doc: Any, case: Any) -> str:
    """Template filter: ``{{ d|document_name(case) }}``."""
    return readable_name(doc.filename, case.get("business_key") if isinstance(case, dict) else None)
