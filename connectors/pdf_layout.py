"""Lay out an official letter (Bescheid, Bescheinigung) as PDF with fpdf2.

The body uses a tiny line markup produced by the Jinja templates: ``# `` title, ``## `` section,
``- `` bullet, ``| label | value`` table row, blank line = paragraph break. Text is set in DejaVu
Sans (a Unicode TTF shipped by Debian's fonts-dejavu-core) when present, otherwise in Helvetica
with the text folded to Latin-1. The letter ends with the legal-remedy text (for decisions) and
a verification block (QR code + Prüfcode); the authoritative content is embedded as
``inhalt.json`` so a verifier can recompute its hash from the file alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu")]
LATIN1_FOLD = {"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-", "€": "EUR",
               "…": "...", "•": "-", "ı": "i"}


@dataclass(frozen=True)
class Letter:
    authority: str
    office: str
    authority_address: str
    recipient: list[str]
    date: str                   # DD.MM.YYYY
    aktenzeichen: str
    document_id: str
    body: str                   # line markup
    legal_remedy: str | None
    verification_code: str
    verification_url: str
    content_json: bytes
    issued: datetime


def find_font(configured: str | None = None) -> tuple[Path, Path] | None:
    """(regular, bold) TTF: a configured file (bold = ``<name>-Bold.ttf`` beside it, if present) or
    directory, else DejaVu Sans from the usual places; None when no Unicode font is found."""
    if configured and Path(configured).is_file():
        regular = Path(configured)
        bold = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
        return regular, bold if bold.is_file() else regular
    candidates = [Path(configured)] if configured else FONT_DIRS
    for folder in candidates:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    return None


class _Pdf(FPDF):
    family = "helvetica"
    letter: Letter
    unicode = False

    def t(self, text: str) -> str:
        if self.unicode:
            return text
        for src, dst in LATIN1_FOLD.items():
            text = text.replace(src, dst)
        return text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.t(f"{self.letter.authority} · Aktenzeichen {self.letter.aktenzeichen} · "
                               f"Dokument {self.letter.document_id} · Seite {self.page_no()} von {{nb}}"),
                  align="C")


def render_pdf(letter: Letter, font: str | None = None) -> tuple[bytes, int]:
    pdf = _Pdf(format="A4")
    pdf.letter = letter
    fonts = find_font(font)
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
        pdf.family, pdf.unicode = "DejaVu", True
    pdf.set_margins(22, 18, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_lang("de-DE")
    pdf.set_creation_date(letter.issued)
    pdf.set_creator("amtsflow")
    pdf.set_author(pdf.t(letter.authority))
    pdf.set_keywords(pdf.t(f"Prüfcode {letter.verification_code}"))
    pdf.add_page()
    _letterhead(pdf, letter)
    title_set = False
    for block in _blocks(letter.body):
        kind, text = block
        if kind == "title":
            if not title_set:
                pdf.set_title(pdf.t(text))
                title_set = True
            pdf.set_font(pdf.family, "B", 14)
            pdf.multi_cell(0, 7, pdf.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
        elif kind == "section":
            pdf.ln(2)
            pdf.set_font(pdf.family, "B", 11)
            pdf.multi_cell(0, 6, pdf.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif kind == "row":
            label, _, value = text.partition("\t")
            pdf.set_font(pdf.family, "B", 10)
            pdf.cell(50, 6, pdf.t(label))
            pdf.set_font(pdf.family, "", 10)
            pdf.multi_cell(0, 6, pdf.t(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind == "bullet":
            pdf.set_font(pdf.family, "", 10)
            pdf.cell(6, 5.5, pdf.t("–"))
            pdf.multi_cell(0, 5.5, pdf.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif kind == "gap":
            pdf.ln(3)
        else:
            pdf.set_font(pdf.family, "", 10)
            pdf.multi_cell(0, 5.5, pdf.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if letter.legal_remedy:
        pdf.ln(5)
        pdf.set_font(pdf.family, "B", 11)
        pdf.multi_cell(0, 6, pdf.t("Rechtsbehelfsbelehrung"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "", 10)
        pdf.multi_cell(0, 5.5, pdf.t(letter.legal_remedy), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _verification(pdf, letter)
    pdf.embed_file(bytes=letter.content_json, basename="inhalt.json", mime_type="application/json",
                   desc="Maschinenlesbarer, signierter Inhalt dieses Dokuments", modification_date=letter.issued)
    return bytes(pdf.output()), pdf.page_no()


def _letterhead(pdf: _Pdf, letter: Letter) -> None:
    pdf.set_font(pdf.family, "B", 13)
    pdf.cell(0, 7, pdf.t(letter.authority), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 9)
    pdf.cell(0, 5, pdf.t(f"{letter.office} · {letter.authority_address}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    top = pdf.get_y()
    pdf.set_font(pdf.family, "", 10)
    for line in letter.recipient:
        pdf.cell(95, 5.5, pdf.t(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(125, top)
    for label, value in (("Datum", letter.date), ("Aktenzeichen", letter.aktenzeichen),
                         ("Dokument", letter.document_id)):
        pdf.set_x(125)
        pdf.cell(0, 5.5, pdf.t(f"{label}: {value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(bottom, pdf.get_y()) + 10)


def _verification(pdf: _Pdf, letter: Letter) -> None:
    qr = io.BytesIO()
    segno.make(f"{letter.verification_url}?code={letter.verification_code}", error="m").save(
        qr, kind="png", scale=4, border=1)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    pdf.image(qr, x=pdf.l_margin, y=top, w=28, h=28)
    pdf.set_xy(pdf.l_margin + 33, top)
    pdf.set_font(pdf.family, "B", 10)
    pdf.cell(0, 5.5, pdf.t(f"Prüfcode: {letter.verification_code}"), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 9)
    pdf.multi_cell(0, 5, pdf.t("Dieses Dokument wurde elektronisch erstellt und ist ohne Unterschrift gültig. "
                               f"Die Echtheit können Sie unter {letter.verification_url} mit dem Prüfcode "
                               "oder durch Scannen des QR-Codes prüfen."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + 30))


def _blocks(markup: str) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(("text", " ".join(paragraph)))
            paragraph.clear()

    for raw in markup.splitlines():
        line = raw.strip()
        if not line:
            flush()
            if blocks and blocks[-1][0] not in ("gap", "title", "section"):
                blocks.append(("gap", ""))
        elif line.startswith("## "):
            flush()
            blocks.append(("section", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            blocks.append(("title", line[2:].strip()))
        elif line.startswith("- "):
            flush()
            blocks.append(("bullet", line[2:].strip()))
        elif line.startswith("|"):
            flush()
            cells = [c.strip() for c in line.strip("|").split("|", 1)]
            blocks.append(("row", "\t".join(cells + [""] * (2 - len(cells)))))
        else:
            paragraph.append(line)
    flush()
    return blocks
