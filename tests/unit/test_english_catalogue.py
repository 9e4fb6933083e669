"""Every text the web interface marks for translation has its English entry: a page served in
English (``?lang=en``) shows no German text of ours (the processes' own texts, forms and
names stay as their owners wrote them)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "webui" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _marked() -> dict[str | tuple[str, ...], str]:
    """Message id -> the first file that uses it, as `pybabel extract -F webui/babel.cfg -k _ -k N_` finds them."""
    with open(ROOT / "webui" / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found: dict[str | tuple[str, ...], str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        if message:
            found.setdefault(message, filename)
    return found


def test_every_marked_text_has_an_english_translation() -> None:
    with open(CATALOGUE, "rb") as po:
        catalogue = read_po(po)

    def translated(message: str | tuple[str, ...]) -> bool:
        entry = catalogue.get(message[0] if isinstance(message, tuple) else message)
        if entry is None:
            return False
        return all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string)

    missing = {message: where for message, where in _marked().items() if not translated(message)}
    assert not missing, f"{len(missing)} texts without English translation, e.g. " + "; ".join(
        f"{m!r} ({w})" for m, w in list(missing.items())[:5])
