"""What the form validator checks beyond plain JSON Schema (issue 12.7).

* ``"format": "email"`` is a real address check (email-validator, no DNS look-up): jsonschema's
  own check only asks for an "@", so ``@``, ``x@y, z@evil.example`` and header injections with
  CR/LF passed and reached the mail connector;
* ``formatMinimum``/``formatMaximum`` on ``"format": "date"`` fields: a plausible range, e.g.
  a birth date between ``today-P130Y`` and ``today`` (see engine.runtime.date_bounds).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, cast

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from engine.runtime.date_bounds import resolve

FORMATS = FormatChecker()   # an instance of its own: registering here changes no other checker


@FORMATS.checks("email", raises=ValueError)       # email_validator's EmailNotValidError is a ValueError
@FORMATS.checks("idn-email", raises=ValueError)
def _email(value: object) -> bool:
    if isinstance(value, str):
        # imported on first use: loading its rules took 0.02 s of every command that imports forms
        from email_validator import validate_email

        validate_email(value, check_deliverability=False)
    return True


def today() -> date:
    return datetime.now(UTC).date()


def bound_date(bound: Any) -> date | None:
    """The date a bound stands for today (None when unreadable: deploy reports those)."""
    try:
        return resolve(bound, today())
    except (ValueError, OverflowError):
        return None


def _date_bound(lower: bool) -> Any:
    def check(validator: Any, bound: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if schema.get("format") != "date" or not isinstance(instance, str):
            return
        try:
            value = date.fromisoformat(instance)
        except ValueError:
            return                      # the format check says what is wrong
        limit = bound_date(bound)
        if limit is not None and (value < limit if lower else value > limit):
            yield ValidationError(f"{instance} is {'before' if lower else 'after'} {limit.isoformat()} ({bound})")
    return check


FormValidator = cast(type[Draft202012Validator], validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"formatMinimum": _date_bound(True), "formatMaximum": _date_bound(False)}))
