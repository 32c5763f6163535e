"""Every invalid payment request gets a precise 400 and creates nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kassa.app import create_app
from kassa.config import ChainSettings, Settings
from kassa.keys.seed import account_xpubs, new_mnemonic
from kassa.kit.errors import ServiceUnavailable
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.payments.helpers import HOOK, create

VALID: dict[str, Any] = {"asset": "BTC", "amount_crypto": "0.01", "webhook_url": HOOK}


def body(**changes: Any) -> dict[str, Any]:
    data = {**VALID, **changes}
    return {k: v for k, v in data.items() if v is not ...}


CASES = [
    (body(asset=...), "Missing required field: asset"),
    (body(webhook_url=...), "Missing required field: webhook_url"),
    (body(amount_crypto=...), "Missing required field: amount_fiat or amount_crypto"),
    (
        body(asset="USDT"),
        '"USDT" is ambiguous — please specify the network. Valid symbols: '
        '"USDT-ERC20", "USDT-TRC20", "USDT-BEP20"',
    ),
    (body(asset="DOGE"), 'Unsupported asset: "DOGE"'),
    (body(amount_crypto=0), "Invalid amount_crypto: must be greater than 0"),
    (body(amount_crypto=-1), "Invalid amount_crypto: must be greater than 0"),
    (body(amount_crypto="abc"), "Invalid amount_crypto: must be a number"),
    (body(amount_crypto=True), "Invalid amount_crypto: must be a number"),
    (body(amount_crypto=[1]), "Invalid amount_crypto: must be a number"),
    (body(amount_crypto="1e60"), "Invalid amount_crypto: is too large"),
    (body(amount_crypto="0.000000001"), "Invalid amount_crypto: BTC has at most 8 decimal places"),
    (body(amount_crypto=..., amount_fiat="10.001"), "Invalid amount_fiat: USD has at most 2"),
    (
        body(amount_crypto=..., amount_fiat=5, fiat_currency="JPY"),
        None,
    ),
    (body(amount_crypto=..., amount_fiat=5, fiat_currency="XXX"), "Unsupported fiat_currency: XXX"),
    (body(webhook_url="ftp://x.example/h"), "Invalid webhook_url: must be an absolute http(s) URL"),
    (body(webhook_url="not a url"), "Invalid webhook_url: must be an absolute http(s) URL"),
    (body(webhook_url=12), "Invalid webhook_url"),
    (body(expires_minutes=0), "Invalid expires_minutes"),
    (body(expires_minutes="60"), "Invalid expires_minutes"),
    (body(expires_minutes=10081), "Invalid expires_minutes"),
    (body(label="x" * 201), "Invalid label"),
    (body(colour="red"), "Unknown field: colour"),
]


@pytest.mark.parametrize(("payload", "message"), CASES)
async def test_invalid_payment_is_a_precise_400(
    client: httpx.AsyncClient, merchant: MerchantKey, payload: dict[str, Any], message: str | None
) -> None:
    response = await client.post("/api/payments", json=payload, headers=merchant.headers)
    if message is None:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith(message), error
    listing = await client.get("/api/payments", headers=merchant.headers)
    assert listing.json()["total"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "Malformed JSON body"),
        (
            b'{"asset": "BTC", "amount_crypto": NaN, "webhook_url": "https://a.b/c"}',
            "Malformed JSON",
        ),
        (b"[1, 2]", "Request body must be a JSON object"),
        (b"", "Missing request body"),
        (b"\xff\xfe", "Malformed JSON body"),
    ],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, merchant: MerchantKey, content: bytes, message: str
) -> None:
    response = await client.post(
        "/api/payments",
        content=content,
        headers={**merchant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message)


async def test_huge_body_is_413(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    response = await client.post(
        "/api/payments",
        content=b'{"description": "' + b"x" * 2_000_000 + b'"}',
        headers={**merchant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("Request body too large")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=201", "Invalid limit"),
        ("limit=0", "Invalid limit"),
        ("limit=abc", "Invalid limit"),
        ("offset=-1", "Invalid offset"),
        ("status=paid", "Invalid status: paid"),
        ("asset=USDC", '"USDC" is ambiguous'),
    ],
)
async def test_invalid_list_parameters_are_400(
    client: httpx.AsyncClient, merchant: MerchantKey, query: str, message: str
) -> None:
    response = await client.get(f"/api/payments?{query}", headers=merchant.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message)


async def test_every_payment_gets_its_own_address(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    addresses = set()
    for _ in range(5):
        for asset in ("BTC", "ETH", "USDT-TRC20", "SOL", "LTC"):
            payment = await create(client, merchant.headers, asset=asset, amount_crypto="1")
            addresses.add(payment["address"])
    assert len(addresses) == 25


async def test_list_filters_and_paginates(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    for i in range(3):
        await create(
            client, merchant.headers, asset="BTC", amount_crypto="1", external_ref=f"o-{i}"
        )
    await create(client, merchant.headers, asset="ETH", amount_crypto="1")
    url = "/api/payments?asset=BTC&limit=2"
    page = (await client.get(url, headers=merchant.headers)).json()
    assert page["total"] == 3
    assert len(page["payments"]) == 2
    assert page["limit"] == 2
    rest = (await client.get("/api/payments?asset=btc&offset=2", headers=merchant.headers)).json()
    assert len(rest["payments"]) == 1
    ref = (await client.get("/api/payments?external_ref=o-1", headers=merchant.headers)).json()
    assert [p["external_ref"] for p in ref["payments"]] == ["o-1"]
    pending = (await client.get("/api/payments?status=pending", headers=merchant.headers)).json()
    assert pending["total"] == 4


async def test_huge_chunked_body_is_413(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"description": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/api/payments",
        content=chunks(),
        headers={**merchant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"].startswith("Request body too large")


async def test_evm_chains_sharing_a_key_never_share_an_address(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    addresses = []
    for _ in range(3):
        for asset in ("ETH", "BNB", "MATIC", "USDC-ARB", "USDT-ERC20", "USDC-MATIC"):
            payment = await create(client, merchant.headers, asset=asset, amount_crypto="1")
            addresses.append(payment["address"].lower())
    assert len(set(addresses)) == len(addresses)


async def test_fixed_crypto_amount_does_not_need_the_price_feed(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    async def down(*_: object) -> object:
        raise ServiceUnavailable("Price feed unavailable")

    runtime.prices.quote = down  # type: ignore[method-assign]
    payment = await create(
        client, merchant.headers, asset="BTC", amount_crypto="0.01", amount_fiat="500"
    )
    assert payment["amount_crypto"] == "0.01000000"
    assert payment["amount_fiat"] == "500.00"
    assert payment["live_price_used"] is None
    response = await client.post(
        "/api/payments",
        json={"asset": "BTC", "amount_fiat": 100, "webhook_url": HOOK},
        headers=merchant.headers,
    )
    assert response.status_code == 503
    assert response.json() == {"error": "Price feed unavailable"}


async def test_chain_without_an_adapter_takes_no_payments(settings: Settings) -> None:
    xpub = account_xpubs(new_mnemonic(), "testnet")["btc"]
    testnet = settings.model_copy(
        update={"network": "testnet", "chains": {"btc": ChainSettings(xpub=xpub)}}
    )
    rt = await Runtime.start(testnet, migrate=False)
    try:
        merchant = await make_merchant(rt)
        transport = httpx.ASGITransport(app=create_app(testnet, rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://k.test") as client:
            response = await client.post(
                "/api/payments", json={**VALID, "asset": "BTC"}, headers=merchant.headers
            )
        assert response.status_code == 400
        assert response.json() == {"error": "Asset BTC is not enabled on this gateway"}
    finally:
        await rt.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"asset": "BTC", "amount_crypto": "1", "webhook_url": "https://a.b/c", '
            b'"label": "a\\u0000b"}',
            "Malformed JSON body: strings must not contain NUL characters",
        ),
        (b"[" * 100_000, "Malformed JSON body: nested deeper than 64 levels"),
        (b'{"a":' * 70 + b"1" + b"}" * 70, "Malformed JSON body: nested deeper than 64 levels"),
    ],
)
async def test_bodies_no_database_can_store_are_400(
    client: httpx.AsyncClient, merchant: MerchantKey, content: bytes, message: str
) -> None:
    response = await client.post(
        "/api/payments",
        content=content,
        headers={**merchant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json() == {"error": message}


@pytest.mark.parametrize(
    "url", ["/api/payments?external_ref=a%00b", "/api/payments/%00", "/api/prices?currency=%00"]
)
async def test_nul_in_the_url_is_400(
    client: httpx.AsyncClient, merchant: MerchantKey, url: str
) -> None:
    response = await client.get(url, headers=merchant.headers)
    assert response.status_code == 400
    assert response.json() == {"error": "NUL characters are not allowed in URLs"}
