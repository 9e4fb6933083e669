"""xdomea-shaped messages for handing a closed case to the records system (e-Akte).

``Abgabe.Abgabe.0401`` (hand-over of a Vorgang with its documents) travels as a ZIP named
``<ProzessID>_Abgabe.Abgabe.0401.zip`` holding ``<ProzessID>_Abgabe.Abgabe.0401.xml`` and the
primary documents (file names start with a UUID, as the xdomea file-name type requires); the
records system answers with ``Abgabe.ImportBestaetigen.0402`` (success or failure per object).
Element names follow xdomea 3.1 (``urn:xoev-de:xdomea:schema:3.1.0``); not every optional
element of the standard is produced, and the messages are not validated against the official XSD.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from lxml import etree

NS = "urn:xoev-de:xdomea:schema:3.1.0"
MSG_ABGABE = "Abgabe.Abgabe.0401"
MSG_IMPORT = "Abgabe.ImportBestaetigen.0402"
NACHRICHTENTYP_LIST = "urn:xoev-de:xdomea:codeliste:nachrichtentyp"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)          # fixed member time: document members are byte-stable


class XdomeaError(ValueError):
    """A message or package that does not have the expected xdomea shape."""


@dataclass(frozen=True)
class Party:
    kennung: str          # Behördenkennung
    name: str


@dataclass(frozen=True)
class Document:
    id: str
    titel: str
    dateiname: str        # name inside the ZIP: "<uuid>_<original name>"
    original: str
    format: str           # file format code, e.g. "pdf"
    content: bytes


@dataclass(frozen=True)
class Ack:
    prozess_id: str
    objekt_id: str
    erfolgreich: bool
    fehlermeldung: str


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = text
    return el


def _party(parent: etree._Element, role: str, party: Party) -> None:
    el = _sub(parent, role)
    kennung = _sub(el, "Behoerdenkennung")
    _sub(_sub(kennung, "Kennung"), "code", party.kennung)
    _sub(_sub(el, "Institution"), "Name", party.name)


def _head(root: etree._Element, prozess_id: str, typ: str, created: datetime, sender: Party,
          receiver: Party, flags: bool) -> None:
    kopf = _sub(root, "Kopf")
    _sub(kopf, "ProzessID", prozess_id)
    nt = _sub(kopf, "Nachrichtentyp")
    nt.set("listURI", NACHRICHTENTYP_LIST)
    nt.set("listVersionID", "2.0")
    _sub(nt, "code", typ.rsplit(".", 1)[1])
    _sub(kopf, "Erstellungszeitpunkt", created.isoformat(timespec="seconds"))
    _party(kopf, "Absender", sender)
    _party(kopf, "Empfaenger", receiver)
    system = _sub(kopf, "SendendesSystem")
    _sub(system, "InstanzID", sender.kennung)
    _sub(system, "Produktname", "amtsflow")
    if flags:
        _sub(kopf, "Importbestaetigung", "true")
        _sub(kopf, "Empfangsbestaetigung", "false")


def build_abgabe(prozess_id: str, created: datetime, sender: Party, receiver: Party, vorgang_id: str,
                 case: Mapping[str, str], documents: Iterable[Document]) -> bytes:
    """The 0401 message for one Vorgang (``case``: aktenzeichen, betreff, aktenplan, leika?, ende?)."""
    root = etree.Element(q(MSG_ABGABE), nsmap={"xdomea": NS})
    _head(root, prozess_id, MSG_ABGABE, created, sender, receiver, flags=True)
    vorgang = _sub(_sub(root, "Schriftgutobjekt"), "Vorgang")
    _sub(_sub(vorgang, "Identifikation"), "ID", vorgang_id)
    meta = _sub(vorgang, "AllgemeineMetadaten")
    _sub(meta, "Betreff", case["betreff"])
    _sub(meta, "Kennzeichen", case["aktenzeichen"])
    if case.get("leika"):
        _sub(meta, "Bemerkung", f"LeiKa-Leistung {case['leika']}")
    _sub(_sub(meta, "Medium"), "code", "001")                     # elektronisch
    _sub(_sub(vorgang, "Aktenplaneinheit"), "Kennzeichen", case["aktenplan"])
    if case.get("ende"):
        _sub(_sub(_sub(vorgang, "Lebenszyklus"), "Laufzeit"), "Ende", case["ende"])
    for doc in documents:
        dok = _sub(vorgang, "Dokument")
        _sub(_sub(dok, "Identifikation"), "ID", doc.id)
        _sub(_sub(dok, "AllgemeineMetadaten"), "Betreff", doc.titel)
        version = _sub(dok, "Version")
        _sub(version, "Nummer", "1")
        fmt = _sub(version, "Format")
        _sub(_sub(fmt, "Name"), "code", doc.format)
        primary = _sub(fmt, "Primaerdokument")
        _sub(primary, "Dateiname", doc.dateiname)
        _sub(primary, "DateinameOriginal", doc.original)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_import_ack(prozess_id: str, created: datetime, sender: Party, receiver: Party,
                     objekt_id: str, ok: bool, fehlermeldung: str = "") -> bytes:
    root = etree.Element(q(MSG_IMPORT), nsmap={"xdomea": NS})
    _head(root, prozess_id, MSG_IMPORT, created, sender, receiver, flags=False)
    obj = _sub(root, "AbgegebenesObjekt")
    _sub(obj, "IDSGO", objekt_id)
    _sub(obj, "Erfolgreich", "true" if ok else "false")
    if fehlermeldung:
        _sub(obj, "Fehlermeldung", fehlermeldung)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def parse_xml(data: bytes) -> etree._Element:
    """Parse without DTDs, entities or network access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise XdomeaError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise XdomeaError("DOCTYPE declarations are not accepted")
    return root


def text(root: etree._Element, path: str) -> str:
    found = root.findtext(path, namespaces={"x": NS})
    if found is None or not found.strip():
        raise XdomeaError(f"missing element {path}")
    return found.strip()


def parse_import_ack(data: bytes) -> Ack:
    root = parse_xml(data)
    if root.tag != q(MSG_IMPORT):
        raise XdomeaError(f"expected {MSG_IMPORT}, got {root.tag!s}")
    ok = text(root, "x:AbgegebenesObjekt/x:Erfolgreich")
    if ok not in ("true", "false"):
        raise XdomeaError("Erfolgreich must be true or false")
    return Ack(text(root, "x:Kopf/x:ProzessID"), text(root, "x:AbgegebenesObjekt/x:IDSGO"), ok == "true",
               (root.findtext("x:AbgegebenesObjekt/x:Fehlermeldung", namespaces={"x": NS}) or "").strip())


def package_name(prozess_id: str) -> str:
    return f"{prozess_id}_{MSG_ABGABE}"


def build_package(prozess_id: str, message: bytes, documents: Iterable[Document]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(package_name(prozess_id) + ".xml", ZIP_TIME), message, zipfile.ZIP_DEFLATED)
        for doc in documents:
            zf.writestr(zipfile.ZipInfo(doc.dateiname, ZIP_TIME), doc.content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()
