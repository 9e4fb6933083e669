"""A tenant's logo or coat of arms: the type sniffed from the bytes, the size limited, SVG only
when it holds nothing but drawing (no scripts, event handlers, external references, styles)."""

from __future__ import annotations

import io
import re

from engine.runtime.xmlsafe import UnsafeXml, parse_untrusted

MAX_LOGO_BYTES = 512 * 1024
MAX_PIXELS = 4096
RASTER = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SVG_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "title", "desc",
    "defs", "lineargradient", "radialgradient", "stop", "clippath", "mask", "symbol", "use",
}
SVG_ATTRIBUTES = {
    "id", "class", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width", "height",
    "viewbox", "points", "fill", "fill-rule", "fill-opacity", "stroke", "stroke-width", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-opacity", "stroke-dasharray", "opacity", "transform",
    "offset", "stop-color", "stop-opacity", "gradientunits", "gradienttransform", "clip-path", "clip-rule",
    "mask", "version", "preserveaspectratio", "role", "aria-label", "aria-hidden", "xmlns", "href",
    "fx", "fy", "spreadmethod", "clippathunits", "maskunits", "lang",
}
_REFERENCE = re.compile(r"url\(\s*(?!#)", re.IGNORECASE)


class LogoRefused(ValueError):
    """The upload is not an acceptable logo: ``english`` for operators, ``german`` for people."""

    def __init__(self, english: str, german: str) -> None:
        super().__init__(english)
        self.english = english
        self.german = german


def sniff_logo(content: bytes) -> str:
    """The media type of an acceptable logo, else LogoRefused."""
    if not content:
        raise LogoRefused("the logo file is empty", "Die Logodatei ist leer.")
    if len(content) > MAX_LOGO_BYTES:
        raise LogoRefused(f"the logo has {len(content)} bytes, at most {MAX_LOGO_BYTES} are allowed",
                          f"Die Logodatei ist zu groß (höchstens {MAX_LOGO_BYTES // 1024} KB).")
    head = content[:512].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or b"<svg" in head:
        check_svg(content)
        return "image/svg+xml"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            kind, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        kind, size = None, (0, 0)
    if kind not in RASTER:
        raise LogoRefused("the logo is not a PNG, JPEG, GIF, WebP or SVG image",
                          "Die Datei ist kein Bild im Format PNG, JPEG, GIF, WebP oder SVG.")
    if max(size) > MAX_PIXELS:
        raise LogoRefused(f"the logo is {size[0]}x{size[1]} pixels, at most {MAX_PIXELS} per side",
                          f"Das Bild ist zu groß (höchstens {MAX_PIXELS} Pixel je Seite).")
    return RASTER[kind]


def check_svg(content: bytes) -> None:
    """Refuse an SVG with anything but drawing: scripts, event handlers, foreign objects, styles,
    external references (links, images, fonts), entities."""
    try:
        root = parse_untrusted(content, "logo.svg", max_bytes=MAX_LOGO_BYTES)
    except UnsafeXml as exc:
        raise LogoRefused(f"the SVG logo cannot be read safely: {exc.problem.message}",
                          "Die SVG-Datei ist ungültig oder enthält nicht erlaubte Bestandteile.") from None
    if _local(str(root.tag)) != "svg":
        raise LogoRefused("the logo's root element is not <svg>", "Die Datei ist kein SVG-Bild.")
    for element in root.iter():
        name = _local(str(element.tag))
        if name not in SVG_ELEMENTS:
            raise LogoRefused(f"the SVG logo contains <{name}>, which is not allowed in a logo",
                              f"Das SVG-Bild enthält das nicht erlaubte Element „{name}“ "
                              "(z. B. Skripte, Stile, eingebettete Inhalte).")
        for attribute, value in element.attrib.items():
            attr = _local(attribute)
            if attr not in SVG_ATTRIBUTES or attr.startswith("on"):
                raise LogoRefused(f"the SVG logo has the attribute {attr!r} on <{name}>",
                                  f"Das SVG-Bild enthält das nicht erlaubte Attribut „{attr}“.")
            if attr == "href" and not value.startswith("#"):
                raise LogoRefused("the SVG logo refers to another file or address",
                                  "Das SVG-Bild verweist auf andere Dateien oder Adressen; das ist nicht erlaubt.")
            if _REFERENCE.search(value) or "javascript:" in value.lower():
                raise LogoRefused(f"the SVG logo refers outside itself in {attr!r}",
                                  "Das SVG-Bild verweist auf andere Dateien oder Adressen; das ist nicht erlaubt.")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()
