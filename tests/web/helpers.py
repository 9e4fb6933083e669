"""Shared helpers for web tests: sample files and model paths."""

from __future__ import annotations

from pathlib import Path

MODELS = Path(__file__).parent / "models"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 120
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

WEBANTRAG = ["webantrag.bpmn", "webantrag-start.schema.json", "webantrag-start.uischema.json",
             "webantrag-pruefung.schema.json", "webantrag-pruefung.uischema.json", "webantrag-nachreichen.schema.json"]
