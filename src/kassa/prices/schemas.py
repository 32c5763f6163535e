"""Request and response shapes of ``/api/prices``.

Responses are built as dicts of exact ``Decimal`` values and sent with ``ExactJSONResponse``;
the response models here document them in OpenAPI (numbers are JSON numbers, not strings).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

MAX_INTEGER_DIGITS = 30
MAX_DECIMAL_PLACES = 30
_NUMERIC = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class FixedPoint(Decimal):
    """A ``Decimal`` that serialises in fixed-point (``0.00000012``, never ``1.2E-7``)."""

    __slots__ = ()

    def __str__(self) -> str:
        return format(self, "f")


def wire(value: Decimal) -> Decimal:
    """``value`` as it goes on the wire: an exact JSON number in fixed-point notation."""
    return FixedPoint(value)


def wire_change(value: Decimal | None) -> Decimal | None:
    """A 24-hour change in percent, to two places as in the API reference."""
    if value is None:
        return None
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + 4)
        return wire(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _decimal_places(value: Decimal) -> int:
    """Significant decimal places, without ``normalize()`` (which rounds to the context)."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def parse_amount(value: Any) -> Decimal:
    """A positive, finite amount from a JSON number or a numeric string; ``ValueError`` if not."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("must be a number or a numeric string")
    if isinstance(value, str):
        if not _NUMERIC.fullmatch(value.strip()):
            raise ValueError("must be a number or a numeric string")
        value = value.strip()
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount <= 0:
        raise ValueError("must be greater than 0")
    if amount.adjusted() + 1 > MAX_INTEGER_DIGITS:
        raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} integer digits")
    if _decimal_places(amount) > MAX_DECIMAL_PLACES:
        raise ValueError(f"must have at most {MAX_DECIMAL_PLACES} decimal places")
    return amount


Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]
Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
            ],
            "description": "Positive amount: a JSON number or a numeric string.",
        }
    ),
]


class ErrorResponse(BaseModel):
    error: str


class PriceEntry(BaseModel):
    price: Number
    change_24h: Number | None = Field(description="24-hour change in percent")
    last_updated: str = Field(examples=["2026-04-16T02:00:00.000Z"])


class CacheInfo(BaseModel):
    age_seconds: int
    ttl_seconds: int


class PricesResponse(BaseModel):
    currency: str = Field(examples=["USD"])
    prices: dict[str, PriceEntry]
    supported_assets: list[str]
    cache: CacheInfo


class AssetPriceResponse(BaseModel):
    asset: str = Field(examples=["BTC"])
    name: str = Field(examples=["Bitcoin"])
    price: Number
    currency: str = Field(examples=["USD"])
    change_24h: Number | None
    last_updated: str


class ConvertRequest(BaseModel):
    """Convert ``amount`` of ``from`` into ``to`` (fiat ↔ crypto or crypto ↔ crypto)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="Source currency, e.g. USD or BTC")
    to: str = Field(description="Target currency, e.g. BTC or USD")
    amount: Amount


class ConvertResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    input_amount: Number
    output_amount: Number
    rate: Number
    last_updated: str
