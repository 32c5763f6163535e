"""Bad input gets a precise 4xx and changes nothing.

Across every operation of the OpenAPI schema (so endpoints added later are covered too):
malformed JSON, a body that is not an object, a body over the size limit, an unknown field, and
absurd ``limit`` / ``offset`` values; then, for the endpoints that take money, negative and zero
amounts, too many decimals, unknown assets, wrong types and numbers no chain can carry. Each
answer is a 4xx ``{"error": "<the expected message>"}``, and the database is byte-for-byte what
it was before.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
from sqlalchemy import select, text

from kassa.db import Database
from kassa.models import Base
from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.payments.helpers import HOOK

PATH_ID = str(uuid.UUID(int=0))
ABSURD_PAGES = [
    ("limit", "0", "Invalid limit"),
    ("limit", "-1", "Invalid limit"),
    ("limit", "201", "Invalid limit"),
    ("limit", "1" + "0" * 30, "Invalid limit"),
    ("limit", "abc", "Invalid limit"),
    ("limit", "1.5", "Invalid limit"),
    ("offset", "-1", "Invalid offset"),
    ("offset", "1" + "0" * 30, "Invalid offset"),
    ("offset", "x", "Invalid offset"),
]


async def snapshot(db: Database) -> dict[str, str]:
    """A digest of every row of every table."""
    digests = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            data = "\n".join(sorted(repr(tuple(row)) for row in rows))
            digests[table.name] = f"{len(rows)}:{hashlib.sha256(data.encode()).hexdigest()}"
    return digests


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str, dict[str, Any]]]:
    schema = (await client.get("/openapi.json")).json()
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if path.startswith("/api"):
                concrete = path
                for param in operation.get("parameters", []):
                    if param["in"] == "path":
                        concrete = concrete.replace("{" + param["name"] + "}", PATH_ID)
                found.append((method.upper(), concrete, operation))
    return found


def json_body_operations(ops: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path, op in ops
        if "application/json" in op.get("requestBody", {}).get("content", {})
    ]


def assert_error(response: httpx.Response, status: int, message: str, where: str) -> None:
    assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
    body = response.json()
    assert isinstance(body, dict), f"{where}: {body}"
    assert set(body) == {"error"}, f"{where}: {body}"
    assert body["error"].startswith(message), f"{where}: {body['error']!r} is not {message!r}"


async def test_malformed_and_oversized_bodies_are_precise_4xx_and_change_nothing(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    targets = json_body_operations(await operations(client))
    assert ("POST", "/api/payments") in targets
    limit = runtime.settings.max_body_bytes
    cases = [
        (b'{"asset": "BTC", ', 400, "Malformed JSON body"),
        (b"[1, 2]", 400, "Request body must be a JSON object"),
        (b'"BTC"', 400, "Request body must be a JSON object"),
        (b"\xff\xfe{}", 400, "Malformed JSON body"),
        (b'{"amount": NaN}', 400, "Malformed JSON body"),
        (b"{" + b" " * limit + b"}", 413, "Request body too large"),
    ]
    before = await snapshot(runtime.db)
    headers = {**merchant.headers, "content-type": "application/json"}
    for method, path in targets:
        for content, status, message in cases:
            response = await client.request(method, path, content=content, headers=headers)
            assert_error(response, status, message, f"{method} {path} {content[:20]!r}")
    assert await snapshot(runtime.db) == before


async def test_unknown_fields_are_named_and_change_nothing(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    before = await snapshot(runtime.db)
    for method, path in json_body_operations(await operations(client)):
        response = await client.request(
            method, path, json={"zz_not_a_field": 1}, headers=merchant.headers
        )
        assert response.status_code == 400, f"{method} {path}: {response.text}"
        error = response.json()["error"]
        assert error.startswith(("Unknown field: zz_not_a_field", "Missing required field")), (
            f"{method} {path}: {error}"
        )
    assert await snapshot(runtime.db) == before


async def test_absurd_limits_and_offsets_are_precise_400s(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    paged = [
        path
        for method, path, op in await operations(client)
        if method == "GET" and {"limit", "offset"} <= {p["name"] for p in op.get("parameters", [])}
    ]
    assert "/api/payments" in paged
    before = await snapshot(runtime.db)
    for path in paged:
        for name, value, message in ABSURD_PAGES:
            response = await client.get(path, params={name: value}, headers=merchant.headers)
            assert_error(response, 400, message, f"GET {path}?{name}={value}")
    assert await snapshot(runtime.db) == before


def payment(**changes: Any) -> dict[str, Any]:
    body = {"asset": "BTC", "amount_crypto": "0.01", "webhook_url": HOOK, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def devnet_pay(**changes: Any) -> dict[str, Any]:
    address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    body = {"asset": "BTC", "address": address, "amount": "0.01", **changes}
    return {k: v for k, v in body.items() if v is not ...}


MONEY_CASES = [
    ("/api/payments", payment(amount_crypto="-0.01"), "Invalid amount_crypto: must be greater"),
    ("/api/payments", payment(amount_crypto=0), "Invalid amount_crypto: must be greater than 0"),
    ("/api/payments", payment(amount_crypto="0.000000001"), "Invalid amount_crypto: BTC has at"),
    ("/api/payments", payment(amount_crypto="1e60"), "Invalid amount_crypto: is too large"),
    ("/api/payments", payment(amount_crypto="NaN"), "Invalid amount_crypto: must be a finite"),
    ("/api/payments", payment(amount_crypto=True), "Invalid amount_crypto: must be a number"),
    ("/api/payments", payment(amount_crypto={"v": 1}), "Invalid amount_crypto: must be a number"),
    ("/api/payments", payment(amount_fiat="-5", amount_crypto=...), "Invalid amount_fiat"),
    ("/api/payments", payment(amount_fiat="5.001", amount_crypto=...), "Invalid amount_fiat"),
    ("/api/payments", payment(asset="DOGE"), 'Unsupported asset: "DOGE"'),
    ("/api/payments", payment(asset=7), "Invalid asset"),
    ("/api/payments", payment(asset=None), "Invalid asset"),
    ("/api/payments", payment(webhook_url="file:///etc/passwd"), "Invalid webhook_url"),
    ("/api/payments", payment(expires_minutes=-1), "Invalid expires_minutes"),
    ("/api/payments", payment(expires_minutes=10**30), "Invalid expires_minutes"),
    ("/api/devnet/pay", devnet_pay(amount="-1"), "Invalid amount"),
    ("/api/devnet/pay", devnet_pay(amount="0"), "Invalid amount"),
    ("/api/devnet/pay", devnet_pay(amount="0.000000001"), "Invalid amount: BTC has at most 8"),
    ("/api/devnet/pay", devnet_pay(amount=[1]), "Invalid amount"),
    ("/api/devnet/pay", devnet_pay(asset="DOGE"), 'Unsupported asset: "DOGE"'),
    ("/api/devnet/pay", devnet_pay(address="bc1notanaddress"), "Invalid address for BTC"),
    ("/api/devnet/mine", {"blocks": 10**9}, "Invalid blocks"),
    ("/api/devnet/mine", {"blocks": "3"}, "Invalid blocks"),
    ("/api/devnet/reorg", {"chain": "btc", "depth": 0}, "Invalid depth"),
    ("/api/devnet/reorg", {"chain": "dogecoin", "depth": 1}, "Unknown chain"),
]


async def test_bad_amounts_assets_and_types_are_precise_400s_and_change_nothing(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    before = await snapshot(runtime.db)
    wrong = []
    for path, body, message in MONEY_CASES:
        response = await client.post(path, json=body, headers=merchant.headers)
        try:
            assert_error(response, 400, message, f"POST {path} {body}")
        except AssertionError as exc:
            wrong.append(str(exc).splitlines()[0])
    assert wrong == []
    assert await snapshot(runtime.db) == before


async def test_a_bad_content_length_is_refused_before_anything_runs(
    runtime: Runtime, client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    before = await snapshot(runtime.db)
    for length in ("abc", "-1", str(10**12)):
        response = await client.post(
            "/api/payments",
            content=b"{}",
            headers={**merchant.headers, "content-length": length},
        )
        assert 400 <= response.status_code < 500, f"{length}: {response.text}"
        assert "error" in response.json()
    assert await snapshot(runtime.db) == before
    async with runtime.db.session() as session:
        assert await session.scalar(text("SELECT count(*) FROM payments")) == 0
