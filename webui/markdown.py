"""Model texts for people (BPMN documentation, spiff instructionsForEndUser, form descriptions) as
safe HTML: Markdown without raw HTML (markdown-it-py, CommonMark), then an allow-list sanitiser
(nh3). Headings start at h3 so that they sit below the page's own headings; links get KERN's class."""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "a", "br", "h3", "h4", "h5", "h6"}
ATTRIBUTES = {"a": {"href", "title", "class"}, "ul": {"class"}, "ol": {"class"}, "p": {"class"}}
CLASSES = {"a": {"kern-link"}, "ul": {"kern-list"}, "ol": {"kern-list"}, "p": {"kern-body"}}
KERN_CLASSES = {"link_open": "kern-link", "bullet_list_open": "kern-list", "ordered_list_open": "kern-list",
                "paragraph_open": "kern-body"}


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

    def kern(state: Any) -> None:
        for token in state.tokens:
            for child in [token, *(token.children or [])]:
                if child.type in KERN_CLASSES:
                    child.attrSet("class", KERN_CLASSES[child.type])
                if child.type in ("heading_open", "heading_close"):
                    child.tag = f"h{min(6, int(child.tag[1]) + 2)}"

    md.core.ruler.push("kern_classes", kern)
    return md


def render(text: str) -> Markup:
    html = _parser().render(text or "")
    clean = nh3.clean(html, tags=TAGS, attributes={k: set(v) - {"class"} for k, v in ATTRIBUTES.items()},
                      allowed_classes=CLASSES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 with an allow-list just above
