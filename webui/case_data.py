"""A case's data as people read it on the clerk's task page (issue 14.7): the start form's sections
and labels, German dates and amounts, option labels instead of codes, document names instead of
ids; the process's declared summary and reasons for manual review first; the remaining
(technical) variables apart, with their names, for those who ask for them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal

from engine.services.read_models import Form
from engine.services.task_context import FieldSetting, TaskContext
from webui.forms.fields import order

BERLIN = ZoneInfo("Europe/Berlin")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DOCUMENT_FORMATS = ("document", "binary", "data-url")


@dataclass
class Entry:
    label: str
    text: str = ""
    items: list[str] = field(default_factory=list)   # a list value, one line each
    link: str | None = None                           # a document: where to download it
    name: str = ""                                    # the variable's dotted name


@dataclass
class Section:
    title: str
    entries: list[Entry]


@dataclass
class CaseDisplay:
    review_notes: list[str]
    summary: list[Entry]
    sections: list[Section]          # the start form, as the citizen entered it
    steps: list[Entry]               # fields of the process's other task forms that have values
    technical: list[Entry]           # everything else, by variable name


@dataclass(frozen=True)
class _Field:
    label: str
    schema: Mapping[str, Any]
    ui: Mapping[str, Any]


def build(context: TaskContext, data: Mapping[str, Any], documents: Mapping[str, str],
          link: Callable[[str], str]) -> CaseDisplay:
    """``documents``: id -> file name of the case's documents; ``link``: id -> download URL."""
    fmt = _Formatter(context.fields, documents, link)
    start = _fields(context.start_form)
    steps_fields: dict[str, _Field] = {}
    for form in context.other_forms:
        for name, f in _fields(form).items():
            steps_fields.setdefault(name, f)
    own = _fields(context.task_form)
    known = {**steps_fields, **start}
    notes = _notes(data.get(context.review_notes_variable)) if context.review_notes_variable else []
    summary = [e for name in context.summary if (e := fmt.entry(name, _get(data, name), known.get(name)))]
    sections = _sections(context.start_form, data, fmt)
    steps = [e for name, f in steps_fields.items()
             if name not in start and name not in own and (e := fmt.entry(name, _get(data, name), f))]
    shown = {n.split(".")[0] for n in [*start, *steps_fields, *own, *context.summary]}
    if context.review_notes_variable:
        shown.add(context.review_notes_variable)
    technical = [e for key, value in _leaves({k: v for k, v in data.items() if k not in shown})
                 if (e := fmt.entry(key, value, None, technical=True))]
    return CaseDisplay(notes, summary, sections, steps, technical)


def entries(context: TaskContext, names: list[str], data: Mapping[str, Any], documents: Mapping[str, str],
            link: Callable[[str], str]) -> list[Entry]:
    """Just these variables, labelled and formatted (a citizen's task page: what the task declares)."""
    fmt = _Formatter(context.fields, documents, link)
    known: dict[str, _Field] = {}
    for form in [context.task_form, *context.other_forms, context.start_form]:
        known.update(_fields(form))
    return [e for name in names if (e := fmt.entry(name, _get(data, name), known.get(name)))]


def _notes(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return list(dict.fromkeys(str(v).strip() for v in items if v is not None and str(v).strip()))


def _get(data: Mapping[str, Any], name: str) -> Any:
    value: Any = data
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _fields(form: Form | None, schema: Mapping[str, Any] | None = None, ui: Mapping[str, Any] | None = None,
            prefix: str = "") -> dict[str, _Field]:
    """Dotted name -> label and schema of every scalar field of a form, in the form's order."""
    if schema is None:
        if form is None:
            return {}
        schema, ui = form.schema, form.ui_schema
    ui = ui or {}
    out: dict[str, _Field] = {}
    for name in order(schema, ui):
        sub, sub_ui = schema["properties"][name], ui.get(name) or {}
        if not isinstance(sub, Mapping):
            continue
        if sub.get("type") == "object":
            out.update(_fields(None, sub, sub_ui, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = _Field(str(sub_ui.get("ui:title") or sub.get("title") or name), sub, sub_ui)
    return out


def _sections(form: Form | None, data: Mapping[str, Any], fmt: "_Formatter") -> list[Section]:
    """The start form's groups as sections; its loose top-level fields in one section of their own."""
    if form is None:
        return []
    schema, ui = form.schema, form.ui_schema
    sections: list[Section] = []
    loose: list[Entry] = []
    for name in order(schema, ui):
        sub, sub_ui = schema["properties"][name], ui.get(name) or {}
        if isinstance(sub, Mapping) and sub.get("type") == "object":
            entries = [e for path, f in _fields(None, sub, sub_ui, f"{name}.").items()
                       if (e := fmt.entry(path, _get(data, path), f))]
            if entries:
                sections.append(Section(str(sub_ui.get("ui:title") or sub.get("title") or name), entries))
        elif isinstance(sub, Mapping):
            f = _Field(str(sub_ui.get("ui:title") or sub.get("title") or name), sub, sub_ui)
            if (e := fmt.entry(name, data.get(name), f)):
                loose.append(e)
    if loose:
        sections.append(Section("Weitere Angaben", loose))
    return sections


def _leaves(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


class _Formatter:
    def __init__(self, settings: Mapping[str, FieldSetting], documents: Mapping[str, str],
                 link: Callable[[str], str]) -> None:
        self.settings, self.documents, self.link = settings, documents, link

    def entry(self, name: str, value: Any, f: _Field | None, *, technical: bool = False) -> Entry | None:
        setting = self.settings.get(name) or (FieldSetting(format="cent") if name.endswith("_cent") else FieldSetting())
        label = name if technical else (setting.title or (f.label if f else "") or _readable(name))
        if value is None or value == "" or value == [] or value == {}:
            return Entry(label, "–", name=name) if technical else None
        schema = f.schema if f else {}
        if isinstance(value, str) and (schema.get("format") in DOCUMENT_FORMATS
                                       or (f and f.ui.get("ui:widget") == "file")):
            filename = self.documents.get(value)
            return Entry(label, filename or value, link=self.link(value) if filename else None, name=name)
        if isinstance(value, list):
            items = [self.text(v, schema.get("items") or {}, f, setting) for v in value]
            return Entry(label, items=items, name=name)
        if isinstance(value, Mapping):
            parts = [self.text(v, {}, None, FieldSetting()) for _, v in _leaves(value) if v not in (None, "")]
            return Entry(label, ", ".join(parts), name=name)
        return Entry(label, self.text(value, schema, f, setting), name=name)

    def text(self, value: Any, schema: Mapping[str, Any], f: _Field | None, setting: FieldSetting) -> str:
        if value is True:
            return "ja"
        if value is False:
            return "nein"
        names = (f.ui.get("ui:enumNames") if f else None) or schema.get("enumNames")
        options = schema.get("enum")
        if names and options and value in options and options.index(value) < len(names):
            return str(names[options.index(value)])
        if setting.format in ("cent", "euro") and isinstance(value, (int, float)):
            amount = value / 100 if setting.format == "cent" else value
            return format_currency(amount, "EUR", locale="de_DE")
        if isinstance(value, (int, float)):
            return format_decimal(value, locale="de_DE")
        if isinstance(value, str):
            return _german_moment(value)
        if isinstance(value, Mapping):      # an entry of a list of records: its values, readable
            return ", ".join(f"{_readable(k)}: {self.text(v, {}, None, FieldSetting())}" for k, v in _leaves(value)
                             if v not in (None, ""))
        if isinstance(value, list):
            return ", ".join(self.text(v, {}, None, FieldSetting()) for v in value)
        return str(value)


def _german_moment(text: str) -> str:
    """ISO dates as 16.12.2026; ISO moments in Berlin time as 16.12.2026, 14:30 Uhr; other text as is."""
    try:
        if ISO_DATE.match(text):
            return date.fromisoformat(text).strftime("%d.%m.%Y")
        if ISO_MOMENT.match(text):
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                moment = moment.astimezone(BERLIN)
            return moment.strftime("%d.%m.%Y, %H:%M Uhr")
    except ValueError:
        return text
    return text


def _readable(name: str) -> str:
    last = name.split(".")[-1].replace("_", " ")
    return last[:1].upper() + last[1:]
