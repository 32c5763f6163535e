"""Field validators shared by request schemas, with messages a client can act on."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator

MAX_INTEGER_DIGITS = 40


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("must be a number")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError("is too large")
    return number


def _positive_decimal(value: Any) -> Decimal:
    number = _to_decimal(value)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


PositiveDecimal = Annotated[Decimal, BeforeValidator(_positive_decimal)]
"""A JSON number (parsed exactly) or numeric string, finite and > 0."""


def check_http_url(value: str) -> str:
    if len(value) > 2048:
        raise ValueError("must be at most 2048 characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise ValueError("must not contain credentials")
    return value


HttpUrlText = Annotated[
    str, BeforeValidator(lambda v: check_http_url(v) if isinstance(v, str) else v)
]
