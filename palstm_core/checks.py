"""Checks of the values a user passes through the API, the CLI or the UI (numbers, flags).

Each returns the value in its plain Python type or raises ``DataError`` with a message that says
which setting was wrong and what it expects. A float that is a whole number (``2.0``) is taken as
that integer; ``True``/``False``, ``None``, text and ``2.5`` are refused for whole numbers.
"""
from __future__ import annotations

import math
import numbers

from .data import DataError
from .i18n import _


def _shown(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def whole_number(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int; DataError unless it is a whole number within [minimum, maximum]."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok and not isinstance(value, numbers.Integral):
        ok = math.isfinite(float(value)) and float(value).is_integer()
    if not ok:
        raise DataError(_("{name} must be a whole number, not {shown}.", name=name,
                           shown=_shown(value)))
    value = int(value)
    if minimum is not None and value < minimum:
        raise DataError(_("{name} must be at least {minimum} (got {value}).", name=name,
                           minimum=minimum, value=value))
    if maximum is not None and value > maximum:
        raise DataError(_("{name} must be at most {maximum} (got {value}).", name=name,
                           maximum=maximum, value=value))
    return value


def real_number(name: str, value, minimum: float | None = None, *, positive: bool = False,
                example: str = "") -> float:
    """``value`` as a finite float; DataError unless >= minimum (or > 0 with ``positive``)."""
    hint = _(" (e.g. {example})", example=example) if example else ""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) \
            or not math.isfinite(float(value)):
        raise DataError(_("{name} must be a finite number{hint}, not {shown}.", name=name,
                           hint=hint, shown=_shown(value)))
    value = float(value)
    if positive and not value > 0:
        raise DataError(_("{name} must be positive{hint} (got {value}).", name=name, hint=hint,
                           value=value))
    if minimum is not None and value < minimum:
        raise DataError(_("{name} must be at least {minimum}{hint} (got {value}).", name=name,
                           minimum=minimum, hint=hint, value=value))
    return value


def flag(name: str, value) -> bool:
    """``value`` as a bool; DataError unless it is True or False (numpy bools too)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise DataError(_("{name} must be True or False, not {shown}.", name=name,
                       shown=_shown(value)))
