"""The internal refusal of the safe expression language (see :mod:`._safe_policy`)."""

from __future__ import annotations


class Refused(Exception):
    """Internal: an expression was refused or failed; ``str(exc)`` is the English reason."""
