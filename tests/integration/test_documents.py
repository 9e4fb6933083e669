"""Document storage: an id chosen by the caller makes storing the same document again a no-op."""

from __future__ import annotations

from engine.services import documents

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_storing_under_the_same_id_again_keeps_the_first_copy(engine):
    first = documents.store(engine, "antrag.pdf", PDF, uploaded_by="fitconnect", document_id="sub-1:att-1")
    again = documents.store(engine, "anders.pdf", PDF + b"%x\n", uploaded_by="fitconnect", document_id="sub-1:att-1")
    assert again == first
    stored, content = documents.get(engine, "sub-1:att-1")
    assert stored.filename == "antrag.pdf" and content == PDF


def test_without_an_id_every_upload_is_a_new_document(engine):
    one = documents.store(engine, "a.pdf", PDF, uploaded_by="erika")
    two = documents.store(engine, "a.pdf", PDF, uploaded_by="erika")
    assert one.id != two.id
