"""Exact money: atomic-unit integers in storage, ``Decimal`` for people.

An atomic amount is an ``int`` of the asset's smallest unit (satoshi, wei, sun, lamport, drop).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Context, Decimal, localcontext

FIAT_CURRENCIES: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "JPY": 0,
    "CHF": 2,
}
"""Supported fiat currencies and their minor-unit digits."""


def _ctx_precision(value: Decimal, decimals: int) -> int:
    return max(100, len(value.as_tuple().digits) + decimals + 10)


def to_atomic(value: Decimal, decimals: int) -> int:
    """Exact conversion; raises ``ValueError`` when ``value`` has more than ``decimals`` digits."""
    with localcontext() as ctx:
        ctx.prec = _ctx_precision(value, decimals)
        scaled = value.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"more than {decimals} decimal places")
        return int(scaled)


def from_atomic(amount: int, decimals: int) -> Decimal:
    """The exact decimal value of an atomic amount, with exactly ``decimals`` places."""
    return Decimal(amount).scaleb(-decimals, Context(prec=len(str(abs(amount))) + decimals + 2))


def format_atomic(amount: int, decimals: int) -> str:
    """``123450000, 8`` → ``"1.23450000"``: fixed-point with every place of the asset."""
    return f"{from_atomic(amount, decimals):.{decimals}f}"


def quantize(value: Decimal, places: int, *, up: bool = False) -> Decimal:
    """Round to ``places`` decimal places: down by default, away from zero with ``up``."""
    with localcontext() as ctx:
        ctx.prec = _ctx_precision(value, places)
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_UP if up else ROUND_DOWN)


def fraction_of(amount: int, rate: Decimal) -> int:
    """``amount × rate`` in atomic units, rounded down (a fee never exceeds its rate)."""
    with localcontext() as ctx:
        ctx.prec = 120
        return int((Decimal(amount) * rate).to_integral_value(rounding=ROUND_DOWN))


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_fiat(value: Decimal, currency: str) -> str:
    return f"{value:.{FIAT_CURRENCIES.get(currency, 2)}f}"
