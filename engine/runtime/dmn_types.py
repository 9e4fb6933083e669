"""The ``typeRef`` of decision-table inputs and outputs, converted as Camunda 7's DMN engine
converts them (DmnDataTypeTransformer, DefaultDataTypeTransformerRegistry).

Camunda converts an input expression's value to the input's typeRef before the input entries
test it (DecisionTableEvaluationHandler.evaluateInput) and an output entry's value to the
output's typeRef (evaluateOutputEntries). The type name is read in any case (``Integer``);
null stays null; a value that cannot be converted fails the evaluation ("Invalid value '...' for
clause with type '...'", DMN-01005): here an incident with a German message
(:class:`Unconvertible`). Another typeRef (DMN 1.3's ``number``, ``dateTime``, ``Any``, an
empty one) converts nothing: Camunda logs DMN-01006 and passes the value on untyped, it does
not refuse the decision; neither does this engine.

Variables are JSON (form values arrive as texts or numbers), so the rules read:

* ``string``: Java's String.valueOf: a text stays, ``true``/``false``, an integer its digits, a
  fraction as Java's Double.toString writes it (``5.0``, ``1.0E7``), a JSON object or list its
  compact JSON text (Camunda's JSON variables print so);
* ``boolean``: a boolean, or the text ``true``/``false`` in any case (no blanks); nothing else
  (not 0 or 1);
* ``integer``/``long``: a number without fraction in Java's int/long range (``5.0`` is 5; ``5.5``
  fails), or a text Java's Integer.parseInt/Long.parseLong reads: an optional sign and digits,
  nothing else (``" 5"``, ``"5.0"``, ``"1.000"`` fail); not a boolean;
* ``double``: a number, or a text Java's Double.parseDouble reads: blanks around it are ignored,
  a point is the decimal separator, an exponent and a ``d``/``f`` suffix are allowed, ``NaN`` and
  ``Infinity`` too (only as inputs: JSON cannot store them as output). **A decimal comma
  (``"12,5"``) fails, as in Camunda**: parseDouble knows no locale;
* ``date``: Camunda reads a java.util.Date or a text ``yyyy-MM-dd'T'HH:mm:ss`` (SimpleDateFormat,
  which ignores what follows the seconds: a fraction, a zone); here the ISO text
  ``2024-05-03T10:00:00`` (a fraction and zone after it are dropped, as Camunda drops them) and
  the ISO date ``2024-05-03`` alone (what a form's date field holds here, where Camunda's form
  holds a Date at midnight). The value stays such a text, so the input entries compare it as
  engine.runtime.feel_temporal reads ISO texts (``2024-05-03`` against ``date("...")`` is that
  date, against ``date and time("...")`` its midnight). Other texts (``03.05.2024``), days that
  do not exist (``2024-02-30``: Camunda's lenient parser would roll them over), numbers and
  booleans fail.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = ["TYPES", "Unconvertible", "convert", "known"]

TYPES = ("string", "boolean", "integer", "long", "double", "date")
_RANGES = {"integer": 2 ** 31, "long": 2 ** 63}
_WHOLE = re.compile(r"[+-]?\d+")
# Java's FloatingDecimal grammar (decimal and hexadecimal), after trimming blanks and controls.
_DECIMAL = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")
_HEX = re.compile(r"([+-]?)(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+)[fFdD]?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")


class Unconvertible(ValueError):
    """A value the typeRef cannot take (message in German, for the incident)."""


def known(type_ref: str | None) -> str | None:
    """The typeRef as Camunda's registry knows it (lower case), None for one it passes untyped."""
    name = (type_ref or "").lower()
    return name if name in TYPES else None


def convert(value: Any, type_ref: str, where: str = "", output: bool = False) -> Any:
    """``value`` converted to ``type_ref`` (unchanged for a typeRef Camunda does not know);
    raises :class:`Unconvertible` naming the value, the type and ``where`` (the column)."""
    kind = known(type_ref)
    if value is None or kind is None:
        return value
    try:
        converted = _CONVERTERS[kind](value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise Unconvertible(_message(value, type_ref, where, exc)) from None
    if output and isinstance(converted, float) and not math.isfinite(converted):
        raise Unconvertible(_message(value, type_ref, where, ValueError(
            "NaN und Infinity lassen sich nicht als Ergebnis speichern")))
    return converted


def _message(value: Any, type_ref: str, where: str, exc: BaseException) -> str:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    column = f" der Spalte '{where}'" if where else ""
    hint = {"double": " (Dezimalzahlen mit Punkt: 12.5, nicht 12,5)",
            "integer": " (ganze Zahl ohne Nachkommastellen und Leerzeichen)",
            "long": " (ganze Zahl ohne Nachkommastellen und Leerzeichen)",
            "boolean": " (true oder false)",
            "date": " (ISO-Datum 2024-05-03 oder Datum und Zeit 2024-05-03T10:00:00)"}.get(type_ref.lower(), "")
    reason = f": {exc}" if str(exc) else ""
    return (f"Entscheidungstabelle: Der Wert {shown}{column} lässt sich nicht in den Typ '{type_ref}' umwandeln"
            f"{hint}{reason}. (Camunda: Invalid value for clause with type '{type_ref}'.)")


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_text(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def java_double_text(value: float) -> str:
    """Java's Double.toString: plain decimal from 10^-3 to below 10^7, otherwise d.dddE±n; the
    shortest digits that read back (as Python's repr and Java since 19)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent   # the decimal point's position in the digits
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        if point <= 0:
            body = "0." + "0" * -point + text
        elif point >= len(text):
            body = text + "0" * (point - len(text)) + ".0"
        else:
            body = text[:point] + "." + text[point:]
    else:
        body = f"{text[0]}.{text[1:] or '0'}E{point - 1}"
    return ("-" if sign else "") + body


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("")


def _whole(kind: str) -> Any:
    limit = _RANGES[kind]

    def whole(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("")
        if isinstance(value, str):
            if not _WHOLE.fullmatch(value):
                raise ValueError("")
            number = int(value)
        elif isinstance(value, float):
            if not value.is_integer():
                raise ValueError("")
            number = int(value)
        else:
            number = value
        if not -limit <= number < limit:
            raise ValueError(f"außerhalb des Wertebereichs von {kind}")
        return number

    return whole


def _double(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("")
    if not isinstance(value, str):
        return float(value)
    text = value.strip("".join(chr(c) for c in range(33)))
    if _DECIMAL.fullmatch(text):
        return float(text.rstrip("fFdD").replace("Infinity", "inf"))
    hexadecimal = _HEX.fullmatch(text)
    if hexadecimal:
        number = float.fromhex(hexadecimal[2])
        return -number if hexadecimal[1] == "-" else number
    raise ValueError("")


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("")
    moment = _DATE_TIME.fullmatch(value)
    text = value if _DATE.fullmatch(value) else moment[1] if moment else None
    if text is None:
        raise ValueError("")
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("diesen Tag oder diese Uhrzeit gibt es nicht") from None
    return text


_CONVERTERS = {"string": _string, "boolean": _boolean, "integer": _whole("integer"), "long": _whole("long"),
               "double": _double, "date": _date}
