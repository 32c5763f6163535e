"""JSON that never turns an amount into a float.

Numbers with a fraction or exponent parse to :class:`~decimal.Decimal`; ``Decimal`` values
serialise as bare JSON numbers in fixed-point notation with every digit kept (``0.00000012``,
never ``1.2E-7``). ``NaN`` and ``Infinity`` are refused.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import simplejson


class InvalidJSON(ValueError):
    """The text is not JSON, or uses a constant JSON does not have (NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a valid JSON number")


MAX_DEPTH = 64


def loads(text: str | bytes) -> Any:
    """Parse JSON exactly; refuses NUL characters in strings (no database can store them) and
    nesting deeper than :data:`MAX_DEPTH`, checked before parsing: a C parser can overflow the
    stack on deep nesting instead of raising."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if _too_deep(raw):
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = simplejson.loads(
            text, use_decimal=True, parse_constant=_refuse_constant, allow_nan=False
        )
    except simplejson.JSONDecodeError as exc:
        raise InvalidJSON(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidJSON("body is not UTF-8") from exc
    except RecursionError:
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    _check(value, 0)
    return value


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def _too_deep(raw: bytes) -> bool:
    """Whether brackets outside strings nest deeper than :data:`MAX_DEPTH` (regexes in C, then
    one pass over the brackets only)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", raw)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidJSON("strings must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def dumps(value: Any) -> str:
    return simplejson.dumps(
        value,
        use_decimal=False,
        allow_nan=False,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_default,
    )


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a valid JSON number")
        return simplejson.RawJSON(format(value, "f"))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
