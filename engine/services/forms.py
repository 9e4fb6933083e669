"""Server-side validation of submitted form data against the form's JSON Schema.

Messages are German and point at a field (JSON pointer-ish path "antrag.kennzeichen"),
so that the web layer can render an error summary that links to each field.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.domain.errors import FormValidationError
from engine.services.form_formats import FORMATS, FormValidator, bound_date

TYPE_NAMES = {
    "string": "Text", "integer": "ganze Zahl", "number": "Zahl", "boolean": "Ja/Nein-Wert",
    "object": "Gruppe von Angaben", "array": "Liste", "null": "leerer Wert",
}
FORMAT_NAMES = {"date": "ein gültiges Datum (JJJJ-MM-TT)", "email": "eine gültige E-Mail-Adresse",
                "idn-email": "eine gültige E-Mail-Adresse", "date-time": "einen gültigen Zeitpunkt",
                "uri": "eine gültige Internetadresse"}

UNKNOWN_FIELDS = "Die Angaben enthalten unbekannte Felder."

def _keyword(error: ValidationError) -> str:
    """The failed keyword ("required", "type", ...): jsonschema keeps its name in ``validator``,
    which its stubs declare as a Validator object."""
    return cast(str, error.validator)


def _message(error: ValidationError) -> str:
    v = _keyword(error)
    value: Any = error.validator_value  # the keyword's value in the schema (any JSON)
    if v == "required":
        return "Bitte füllen Sie dieses Feld aus."
    if v == "type":
        names: list[str] = value if isinstance(value, list) else [value]
        return "Bitte geben Sie einen gültigen Wert ein (erwartet: " + " oder ".join(TYPE_NAMES.get(n, n) for n in names) + ")."
    if v == "minLength":
        return "Bitte füllen Sie dieses Feld aus." if value == 1 else f"Bitte geben Sie mindestens {value} Zeichen ein."
    if v == "maxLength":
        return f"Bitte geben Sie höchstens {value} Zeichen ein."
    if v in ("minimum", "exclusiveMinimum"):
        return f"Der Wert muss {'größer als' if v == 'exclusiveMinimum' else 'mindestens'} {value} sein."
    if v in ("maximum", "exclusiveMaximum"):
        return f"Der Wert muss {'kleiner als' if v == 'exclusiveMaximum' else 'höchstens'} {value} sein."
    if v == "enum":
        return "Bitte wählen Sie einen der angebotenen Werte."
    if v == "const":
        return "Bitte bestätigen Sie diese Angabe."
    if v == "pattern":
        return "Die Eingabe hat nicht das erwartete Format."
    if v in ("formatMinimum", "formatMaximum"):
        limit = bound_date(value)
        when = limit.strftime("%d.%m.%Y") if limit is not None else str(value)
        return f"Bitte prüfen Sie das Datum: Es darf nicht {'vor' if v == 'formatMinimum' else 'nach'} dem {when} liegen."
    if v == "format":
        return f"Bitte geben Sie {FORMAT_NAMES.get(str(value), f'einen gültigen Wert ({value})')} ein."
    if v in ("minItems", "maxItems"):
        return f"Bitte wählen Sie {'mindestens' if v == 'minItems' else 'höchstens'} {value} Einträge."
    if v in ("additionalProperties", "unevaluatedProperties"):
        return UNKNOWN_FIELDS
    return "Die Eingabe ist ungültig."


def _field(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if _keyword(error) == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(path) or "_form"


_validators: OrderedDict[int, tuple[dict[str, Any], Draft202012Validator]] = OrderedDict()
_validators_lock = threading.Lock()


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per schema object (forms live as long as their parsed definition); the
    entry keeps the schema itself, so an id is never mistaken for a later object's."""
    key = id(schema)
    with _validators_lock:
        entry = _validators.get(key)
        if entry is not None and entry[0] is schema:
            _validators.move_to_end(key)
            return entry[1]
    validator = FormValidator(schema, format_checker=FORMATS)
    with _validators_lock:
        _validators[key] = (schema, validator)
        while len(_validators) > 256:
            _validators.popitem(last=False)
    return validator


def validate(schema: dict[str, Any] | None, data: Any, *, where: str = "") -> None:
    """Raise FormValidationError with field-level German messages; nothing is stored."""
    if not isinstance(data, dict):
        raise FormValidationError(f"{where}: form data must be a JSON object",
                                  {"_form": ["Die Angaben müssen ein Formular-Objekt sein."]})
    if schema is None:
        return
    validator = _validator(schema)
    errors = _errors(validator, data)
    if errors:
        errors = _per_field(validator, schema, data, errors)
        fields = ", ".join(sorted(errors))
        raise FormValidationError(f"{where}: submitted data does not match the form ({fields})", errors)


def _errors(validator: Draft202012Validator, data: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        errors.setdefault(_field(error), []).append(_message(error))
    return errors


def _per_field(validator: Draft202012Validator, schema: dict[str, Any], data: dict[str, Any],
               errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """A required group (object) left out entirely is reported per field inside it ("Familienname:
    Bitte füllen Sie dieses Feld aus"), as a person filling in the form sees it, not once for the
    group: validate again with the missing groups present but empty."""
    filled, groups = _with_empty_groups(schema, data, errors)
    if not groups:
        return errors
    expanded = _errors(validator, filled)
    for group in groups:      # a group without required fields of its own keeps its message
        if not any(path.startswith(group + ".") for path in expanded):
            expanded.setdefault(group, []).extend(errors[group])
    return expanded


def _with_empty_groups(schema: dict[str, Any], data: dict[str, Any], errors: dict[str, list[str]],
                       prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    filled = dict(data)
    groups: list[str] = []
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict) or sub.get("type") != "object":
            continue
        path = f"{prefix}{name}"
        value = filled.get(name)
        if value is None and path in errors:
            value = {}
            groups.append(path)
        if isinstance(value, dict):
            filled[name], inner = _with_empty_groups(sub, value, errors, f"{path}.")
            groups.extend(inner)
    return filled, groups
