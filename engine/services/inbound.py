"""One validator for data from outside (API, portal, CLI, callbacks): every entry point that
passes data or names into the engine goes through here before anything reaches SQL or a workflow.

Refused, with a German message that names the field: NUL characters (PostgreSQL text cannot
hold them), lone UTF-16 surrogates (no UTF-8 form: neither database can store them), NaN and
infinite numbers (not JSON; they would be stored and then break every JSON answer), values
that are not JSON, data nested deeper than ``MAX_DATA_DEPTH``, with more than
``MAX_DATA_ENTRIES`` members and items, or larger than ``MAX_DATA_BYTES`` as JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from engine.domain.errors import FormValidationError, InvalidInput

MAX_DATA_BYTES = 256 * 1024      # the data of one command, serialised as JSON (UTF-8)
MAX_DATA_ENTRIES = 5_000         # object members + array items, all levels together
MAX_DATA_DEPTH = 32              # objects and arrays inside each other
MAX_NAME_LENGTH = 200            # process keys, business keys, message and signal names, ids

NUL = "enthält ein Nullzeichen (\\u0000); das kann nicht gespeichert werden"
SURROGATE = "enthält ein ungültiges Unicode-Zeichen (ein einzelnes Surrogat wie \\ud800)"


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored (German, without the field name), or None."""
    if "\x00" in value:
        return NUL
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE
    return None


def check_name(value: object, field: str, *, where: str = "", required: bool = True) -> None:
    """A name or identifier from outside: text of 1..MAX_NAME_LENGTH storable characters."""
    if value is None and not required:
        return
    problem = None
    if not isinstance(value, str) or not value.strip():
        problem = "muss ein nicht leerer Text sein"
    elif len(value) > MAX_NAME_LENGTH:
        problem = f"darf höchstens {MAX_NAME_LENGTH} Zeichen lang sein"
    else:
        problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(f"{where or 'input'}: {field} refused ({problem})",
                           user_message=f"Die Angabe „{field}“ {problem}.")


def check_text(value: str, field: str, *, where: str = "") -> None:
    """Free text from outside (a note, a comment): any length the caller allows, storable characters."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(f"{where or 'input'}: {field} refused ({problem})",
                           user_message=f"Die Angabe „{field}“ {problem}.")


def check_start(key: object, business_key: object, data: object) -> None:
    check_name(key, "key", where="start case")
    check_name(business_key, "business_key", where=f"start {key}", required=False)
    check_data(data, where=f"start {key}")


def check_message(name: object, key: object, message_id: object, data: object) -> None:
    check_name(name, "name", where="message")
    check_name(key, "key", where=f"message {name}", required=False)
    check_name(message_id, "message_id", where=f"message {name}", required=False)
    check_data(data, where=f"message {name}")


def check_data(data: object, *, where: str = "") -> None:
    """Raise FormValidationError (field -> German message) unless ``data`` is a JSON object
    within the limits; nothing has been stored when it raises."""
    if not isinstance(data, dict):
        _refuse(where, "_form", "Die Angaben müssen ein JSON-Objekt sein.")
    entries = 0
    stack: list[tuple[object, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                _refuse(where, path, f"Der Text {problem}.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                _refuse(where, path, "Die Zahl ist ungültig (NaN oder unendlich, z. B. 1e309).")
        elif isinstance(value, (dict, list, tuple)):
            if depth > MAX_DATA_DEPTH:
                _refuse(where, path, f"Die Angaben sind tiefer als {MAX_DATA_DEPTH} Ebenen verschachtelt.")
            entries += len(value)
            if entries > MAX_DATA_ENTRIES:
                _refuse(where, "_form", f"Die Angaben enthalten mehr als {MAX_DATA_ENTRIES} Felder und Einträge.")
            if isinstance(value, dict):
                for key in value:
                    key_problem = text_problem(key) if isinstance(key, str) else "ist kein Text"
                    if key_problem is not None:
                        _refuse(where, path, f"Ein Feldname {key_problem}.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, f"{path}.{key}" if path else str(key), depth + 1) for key, item in items)
        elif not (value is None or isinstance(value, (bool, int))):
            _refuse(where, path, f"Werte vom Typ {type(value).__name__} sind in JSON-Angaben nicht möglich.")
    size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_DATA_BYTES:
        _refuse(where, "_form", f"Die Angaben sind zu groß ({size // 1024} KiB, höchstens "
                                f"{MAX_DATA_BYTES // 1024} KiB).")


def _refuse(where: str, field: str, message: str) -> None:
    field = field or "_form"
    raise FormValidationError(f"{where or 'input'}: data refused at {field}: {message}", {field: [message]})


def parse_json(text: str | bytes) -> Any:
    """Parse JSON from outside strictly: NaN/Infinity literals and numbers that overflow to
    infinity (1e309) are refused, as is nesting too deep for the parser; raises InvalidInput."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise InvalidInput("JSON nested too deeply",
                           user_message=f"Die Angaben sind tiefer als {MAX_DATA_DEPTH} Ebenen verschachtelt.") from None
    except _NotFinite as exc:
        raise InvalidInput(f"JSON number {exc} refused",
                           user_message=f"Die Zahl {exc} ist in JSON nicht erlaubt (NaN und unendliche Werte "
                                        "werden nicht angenommen).") from None
    except (UnicodeDecodeError, ValueError) as exc:   # JSONDecodeError is a ValueError
        raise InvalidInput(f"invalid JSON: {exc}", user_message="Der Inhalt ist kein gültiges JSON.") from None


class _NotFinite(Exception):
    pass


def _no_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value
