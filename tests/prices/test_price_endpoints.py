"""/api/prices over HTTP: the reference document's shapes, exact numbers, every error path."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from kassa.assets.registry import Asset
from kassa.kit import jsonutil
from kassa.kit.errors import PriceUnavailable
from kassa.prices.coingecko import CoinGeckoSource
from kassa.prices.service import PriceService, Quote
from kassa.runtime import Runtime

SUPPORTED = [
    "BTC",
    "ETH",
    "LTC",
    "BNB",
    "TRX",
    "XRP",
    "SOL",
    "MATIC",
    "USDT-ERC20",
    "USDT-TRC20",
    "USDT-BEP20",
    "USDC-ERC20",
    "USDC-SOL",
    "USDC-MATIC",
    "USDC-ARB",
]
STAMP = "2026-04-16T02:00:00.000Z"
FIAT_ERROR = "Unsupported currency: XYZ. Supported: USD, EUR, GBP, CAD, AUD, JPY, CHF"


def exact(response: httpx.Response) -> Any:
    return jsonutil.loads(response.content)


async def test_list_prices_matches_the_reference(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.get("/api/prices", params={"currency": "USD"}, headers=merchant.headers)

    assert response.status_code == 200
    body = exact(response)
    assert body["currency"] == "USD"
    assert list(body["prices"]) == SUPPORTED
    assert body["supported_assets"] == SUPPORTED
    assert body["prices"]["BTC"] == {
        "price": Decimal("84250.00"),
        "change_24h": Decimal("1.23"),
        "last_updated": STAMP,
    }
    assert body["prices"]["SOL"]["change_24h"] is None
    assert body["cache"] == {"age_seconds": 0, "ttl_seconds": 60}
    text = response.text
    assert '"BTC":{"price":84250.00,"change_24h":1.23,' in text
    assert '"ETH":{"price":1598.40,"change_24h":-0.87,' in text


async def test_list_prices_in_another_fiat(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.get("/api/prices?currency=eur", headers=merchant.headers)

    assert response.status_code == 200
    body = exact(response)
    assert body["currency"] == "EUR"
    assert str(body["prices"]["BTC"]["price"]) == "74055.75"


async def test_default_currency_is_usd(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.get("/api/prices", headers=merchant.headers)

    assert exact(response)["currency"] == "USD"


@pytest.mark.parametrize("path", ["/api/prices", "/api/prices/BTC"])
async def test_unsupported_currency_is_400(
    client: httpx.AsyncClient, merchant: Any, path: str
) -> None:
    response = await client.get(path, params={"currency": "XYZ"}, headers=merchant.headers)

    assert response.status_code == 400
    assert response.json() == {"error": FIAT_ERROR}


async def test_single_asset_matches_the_reference(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.get("/api/prices/BTC", headers=merchant.headers)

    assert response.status_code == 200
    assert exact(response) == {
        "asset": "BTC",
        "name": "Bitcoin",
        "price": Decimal("84250.00"),
        "currency": "USD",
        "change_24h": Decimal("1.23"),
        "last_updated": STAMP,
    }
    assert '"price":84250.00' in response.text


async def test_single_token_in_jpy(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.get("/api/prices/USDT-TRC20?currency=JPY", headers=merchant.headers)

    body = exact(response)
    assert (body["asset"], body["name"], body["currency"]) == ("USDT-TRC20", "Tether (TRON)", "JPY")
    assert str(body["price"]) == "142.30"


@pytest.mark.parametrize(
    ("asset", "message"),
    [
        ("USDT", '"USDT" is ambiguous — please specify the network. Valid symbols: "USDT-ERC20"'),
        ("DOGE", 'Unsupported asset: "DOGE". Supported assets: BTC, ETH'),
    ],
)
async def test_unknown_or_ambiguous_asset_is_400(
    client: httpx.AsyncClient, merchant: Any, asset: str, message: str
) -> None:
    response = await client.get(f"/api/prices/{asset}", headers=merchant.headers)

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


async def test_convert_doc_example(client: httpx.AsyncClient, merchant: Any) -> None:
    response = await client.post(
        "/api/prices/convert",
        content=b'{ "from": "USD", "to": "BTC", "amount": 100 }',
        headers={**merchant.headers, "content-type": "application/json"},
    )

    assert response.status_code == 200
    assert response.text == (
        '{"from":"USD","to":"BTC","input_amount":100,"output_amount":0.00118694,'
        f'"rate":84250.00,"last_updated":"{STAMP}"}}'
    )


async def test_convert_string_amount_and_tiny_output(
    client: httpx.AsyncClient, merchant: Any
) -> None:
    response = await client.post(
        "/api/prices/convert",
        json={"from": "usd", "to": "BTC", "amount": "0.01"},
        headers=merchant.headers,
    )

    assert response.status_code == 200
    assert '"input_amount":0.01,"output_amount":0.00000012,' in response.text  # never 1.2E-7
    assert exact(response)["from"] == "USD"


async def test_convert_crypto_to_fiat_and_crypto(client: httpx.AsyncClient, merchant: Any) -> None:
    to_fiat = await client.post(
        "/api/prices/convert",
        content=b'{"from": "ETH", "to": "GBP", "amount": 2.5}',
        headers={**merchant.headers, "content-type": "application/json"},
    )
    to_crypto = await client.post(
        "/api/prices/convert",
        json={"from": "BTC", "to": "USDC-SOL", "amount": "0.5"},
        headers=merchant.headers,
    )

    assert to_fiat.status_code == 200, to_fiat.text
    assert exact(to_fiat)["output_amount"] == Decimal("3008.99")  # 2.5 × 1203.5952 = 3008.988
    assert exact(to_crypto)["output_amount"] == Decimal("42125.000000")
    assert exact(to_crypto)["rate"] == Decimal("84250.00")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"to": "BTC", "amount": 1}, "Missing required field: from"),
        ({"from": "USD", "amount": 1}, "Missing required field: to"),
        ({"from": "USD", "to": "BTC"}, "Missing required field: amount"),
        ({"from": "USD", "to": "BTC", "amount": 0}, "Invalid amount: must be greater than 0"),
        ({"from": "USD", "to": "BTC", "amount": -5}, "Invalid amount: must be greater than 0"),
        ({"from": "USD", "to": "BTC", "amount": "-0.1"}, "Invalid amount: must be greater than 0"),
        ({"from": "USD", "to": "BTC", "amount": "abc"}, "Invalid amount: must be a number or a"),
        ({"from": "USD", "to": "BTC", "amount": "NaN"}, "Invalid amount: must be a number or a"),
        ({"from": "USD", "to": "BTC", "amount": "1_000"}, "Invalid amount: must be a number or a"),
        ({"from": "USD", "to": "BTC", "amount": True}, "Invalid amount: must be a number or a"),
        ({"from": "USD", "to": "BTC", "amount": None}, "Invalid amount: must be a number or a"),
        ({"from": "USD", "to": "BTC", "amount": [1]}, "Invalid amount: must be a number or a"),
        (
            {"from": "USD", "to": "BTC", "amount": "1" * 31},
            "Invalid amount: must have at most 30 integer digits",
        ),
        (
            {"from": "USD", "to": "BTC", "amount": "1e-31"},
            "Invalid amount: must have at most 30 decimal places",
        ),
        ({"from": "USD", "to": "BTC", "amount": 1, "memo": "x"}, "Unknown field: memo"),
        ({"from": 5, "to": "BTC", "amount": 1}, "Invalid from: Input should be a valid string"),
        ({"from": "XYZ", "to": "BTC", "amount": 1}, 'Unsupported from: "XYZ". Supported: USD,'),
        ({"from": "USD", "to": "DOGE", "amount": 1}, 'Unsupported to: "DOGE". Supported: USD,'),
        ({"from": "USD", "to": "USDC", "amount": 1}, '"USDC" is ambiguous'),
        (
            {"from": "USD", "to": "EUR", "amount": 1},
            "Cannot convert USD to EUR: one side must be a crypto asset",
        ),
        ([1, 2], "Request body must be a JSON object"),
    ],
)
async def test_convert_bad_input_is_400(
    client: httpx.AsyncClient, merchant: Any, body: Any, message: str
) -> None:
    response = await client.post("/api/prices/convert", json=body, headers=merchant.headers)

    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b'{"from":"USD","to":"BTC","amount":1e400000}']
)
async def test_convert_unusable_body_is_400(
    client: httpx.AsyncClient, merchant: Any, content: bytes
) -> None:
    response = await client.post(
        "/api/prices/convert",
        content=content,
        headers={**merchant.headers, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/prices"), ("GET", "/api/prices/BTC"), ("POST", "/api/prices/convert")],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ks_not_a_real_key"}])
async def test_without_a_valid_key_is_401(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    body = {"from": "USD", "to": "BTC", "amount": 100} if method == "POST" else None
    response = await client.request(method, path, json=body, headers=headers)

    assert response.status_code == 401
    assert set(response.json()) == {"error"}


class DownSource:
    async def fetch(self, assets: Sequence[Asset], currencies: Sequence[str]) -> list[Quote]:
        raise PriceUnavailable("CoinGecko answered HTTP 500")


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/api/prices", "Price feed unavailable: no fresh prices in USD"),
        ("GET", "/api/prices/BTC", "Price feed unavailable: no fresh price for BTC/USD"),
        ("POST", "/api/prices/convert", "Price feed unavailable: no fresh price for BTC/USD"),
    ],
)
async def test_no_fresh_price_is_503(
    client: httpx.AsyncClient,
    merchant: Any,
    runtime: Runtime,
    method: str,
    path: str,
    message: str,
) -> None:
    runtime.prices = PriceService(DownSource(), ttl=60, max_age=600)
    body = {"from": "USD", "to": "BTC", "amount": 100} if method == "POST" else None

    response = await client.request(method, path, json=body, headers=merchant.headers)

    assert response.status_code == 503
    assert response.json() == {"error": message}


async def test_openapi_documents_prices_as_numbers(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert {"/api/prices", "/api/prices/{asset}", "/api/prices/convert"} <= set(spec["paths"])
    entry = spec["components"]["schemas"]["PriceEntry"]["properties"]
    assert entry["price"] == {"type": "number", "title": "Price"}
    convert = spec["paths"]["/api/prices/convert"]["post"]
    assert set(convert["responses"]) >= {"200", "400", "401", "503"}
    assert convert["description"].startswith("Convert an amount")


async def test_coingecko_price_reaches_the_client_digit_for_digit(
    client: httpx.AsyncClient, merchant: Any, runtime: Runtime, coingecko_body: bytes
) -> None:
    base = "https://api.coingecko.com/api/v3"
    body = coingecko_body.replace(b'"usd":84250.12,', b'"usd":84250.123456789012345,')
    runtime.prices = PriceService(CoinGeckoSource(base), ttl=60, max_age=600)
    with respx.mock:
        route = respx.get(f"{base}/simple/price").respond(200, content=body)
        single = await client.get("/api/prices/BTC", headers=merchant.headers)
        table = await client.get("/api/prices", headers=merchant.headers)

    assert route.call_count == 1
    assert '"price":84250.123456789012345,"currency":"USD","change_24h":1.23,' in single.text
    assert exact(single)["last_updated"] == STAMP
    assert exact(table)["prices"]["USDC-ARB"]["price"] == Decimal("0.999912")
