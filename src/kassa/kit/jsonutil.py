"""JSON that never turns an amount into a float.

Numbers with a fraction or exponent parse to :class:`~decimal.Decimal`; ``Decimal`` values
serialise as bare JSON numbers in fixed-point notation with every digit kept (``0.00000012``,
never ``1.2E-7``). ``NaN`` and ``Infinity`` are refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import simplejson


class InvalidJSON(ValueError):
    """The text is not JSON, or uses a constant JSON does not have (NaN, Infinity)."""


def _refuse_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a valid JSON number")


def loads(text: str | bytes) -> Any:
    try:
        return simplejson.loads(
            text, use_decimal=True, parse_constant=_refuse_constant, allow_nan=False
        )
    except simplejson.JSONDecodeError as exc:
        raise InvalidJSON(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidJSON("body is not UTF-8") from exc


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
