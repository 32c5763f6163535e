"""``/api/prices``: live prices per asset, and fiat ↔ crypto conversion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kassa.assets.registry import registry
from kassa.deps import RuntimeDep
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.timeutil import isoformat
from kassa.merchants.auth import ReadAuth
from kassa.prices import schemas
from kassa.prices.conversion import SUPPORTED_FIATS, parse_currency

router = APIRouter(prefix="/prices", tags=["prices"], route_class=ExactRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorResponse, "description": "Invalid parameter"},
    401: {"model": schemas.ErrorResponse, "description": "Missing or invalid API key"},
    503: {"model": schemas.ErrorResponse, "description": "No fresh price available"},
}

Currency = Annotated[
    str, Query(description=f"Fiat currency, case-insensitive. Supported: {SUPPORTED_FIATS}")
]


@router.get("", responses={200: {"model": schemas.PricesResponse}, **_ERRORS})
async def list_prices(
    auth: ReadAuth, runtime: RuntimeDep, currency: Currency = "USD"
) -> ExactJSONResponse:
    """Prices of every supported asset in one fiat currency (default USD).

    Prices are cached for ``cache.ttl_seconds``; ``cache.age_seconds`` is the age of the oldest
    price in the answer. ``change_24h`` is the 24-hour change in percent.
    """
    table = await runtime.prices.table(currency)
    body = {
        "currency": parse_currency(currency),
        "prices": {
            symbol: {
                "price": schemas.wire(q.price),
                "change_24h": schemas.wire_change(q.change_24h),
                "last_updated": isoformat(q.last_updated),
            }
            for symbol, q in table.quotes.items()
        },
        "supported_assets": registry().symbols,
        "cache": {"age_seconds": table.age_seconds, "ttl_seconds": table.ttl_seconds},
    }
    return ExactJSONResponse(body)


@router.get("/{asset}", responses={200: {"model": schemas.AssetPriceResponse}, **_ERRORS})
async def get_price(
    auth: ReadAuth, runtime: RuntimeDep, asset: str, currency: Currency = "USD"
) -> ExactJSONResponse:
    """The price of one asset (an exact symbol such as ``BTC`` or ``USDT-TRC20``)."""
    found = registry().get(asset)
    quote = await runtime.prices.quote(found, currency)
    body = {
        "asset": found.symbol,
        "name": found.name,
        "price": schemas.wire(quote.price),
        "currency": quote.currency,
        "change_24h": schemas.wire_change(quote.change_24h),
        "last_updated": isoformat(quote.last_updated),
    }
    return ExactJSONResponse(body)


@router.post("/convert", responses={200: {"model": schemas.ConvertResponse}, **_ERRORS})
async def convert(
    auth: ReadAuth, runtime: RuntimeDep, body: schemas.ConvertRequest
) -> ExactJSONResponse:
    """Convert an amount between fiat and crypto, or between two crypto assets (through USD).

    A crypto ``output_amount`` is rounded half-even to the asset's quote precision, a fiat one
    to the currency's minor units. ``rate`` is the price of one unit of ``from`` in ``to`` units
    (for fiat → crypto, the asset's price in that fiat).
    """
    result = await runtime.prices.convert(body.from_, body.to, body.amount)
    return ExactJSONResponse(
        {
            "from": result.from_code,
            "to": result.to_code,
            "input_amount": schemas.wire(result.input_amount),
            "output_amount": schemas.wire(result.output_amount),
            "rate": schemas.wire(result.rate),
            "last_updated": isoformat(result.last_updated),
        }
    )
