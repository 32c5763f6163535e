"""``Idempotency-Key`` on payments, withdrawals and batch payouts: replay, mismatched reuse, in
flight, per-merchant scope, retention, release after an error, and the operator's 428."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from kassa.idempotency.service import IN_FLIGHT, MISMATCH, fingerprint, purge_expired
from kassa.kit import jsonutil
from kassa.kit.timeutil import utcnow
from kassa.models import Payment
from kassa.models.idempotency import IdempotencyKey, IdempotencyStatus
from kassa.models.withdrawal import Withdrawal
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.withdrawals.conftest import PAYER_SCOPES
from tests.withdrawals.helpers import HOOK, available, credit_available_for_test, destination

TRON = destination("tron")
BODY = {"asset": "TRX", "amount": 20, "destination_address": TRON, "webhook_url": HOOK}


async def post(
    client: httpx.AsyncClient,
    path: str,
    key: MerchantKey,
    body: dict[str, Any],
    idempotency_key: str | None = None,
    *,
    raw: bytes | None = None,
) -> httpx.Response:
    headers = {**key.headers, "content-type": "application/json"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return await client.post(path, content=raw or jsonutil.dumps(body), headers=headers)


async def count(runtime: Runtime, model: type[Withdrawal] | type[Payment]) -> int:
    async with runtime.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_same_key_and_body_replays_the_first_response(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    key = str(uuid.uuid4())
    first = await post(client, "/api/withdrawals", payer, BODY, key)
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    # the same JSON with other spacing and key order is the same request
    reordered = (
        b'{ "webhook_url": "%s", "destination_address": "%s", "amount": 20, "asset": "TRX" }'
    )
    again = await post(
        client, "/api/withdrawals", payer, {}, key, raw=reordered % (HOOK.encode(), TRON.encode())
    )
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await count(runtime, Withdrawal) == 1
    assert await available(client, payer.headers, "TRX") == "75.650367"  # held once


async def test_same_key_with_another_body_or_endpoint_is_a_409(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    key = "order-7-payout"
    assert (await post(client, "/api/withdrawals", payer, BODY, key)).status_code == 200
    changed = await post(client, "/api/withdrawals", payer, {**BODY, "amount": 21}, key)
    assert changed.status_code == 409
    assert changed.json() == {"error": MISMATCH}
    payment = {"asset": "TRX", "amount_crypto": 20, "webhook_url": HOOK}
    elsewhere = await post(client, "/api/payments", payer, payment, key)
    assert elsewhere.status_code == 409
    assert await count(runtime, Withdrawal) == 1
    assert await count(runtime, Payment) == 0


async def test_a_request_still_in_flight_gets_a_409(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    now = utcnow()
    async with runtime.db.session() as session:
        session.add(in_flight(payer, "busy", BODY, locked_at=now))
    response = await post(client, "/api/withdrawals", payer, BODY, "busy")
    assert response.status_code == 409
    assert response.json() == {"error": IN_FLIGHT}
    assert await count(runtime, Withdrawal) == 0


async def test_an_abandoned_claim_is_taken_over_after_its_timeout(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    """The process holding the key died before its effect committed: nothing was done, so after
    the in-flight timeout a retry proceeds."""
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    async with runtime.db.session() as session:
        session.add(in_flight(payer, "crashed", BODY, locked_at=utcnow() - timedelta(minutes=2)))
    response = await post(client, "/api/withdrawals", payer, BODY, "crashed")
    assert response.status_code == 200, response.text
    replay = await post(client, "/api/withdrawals", payer, BODY, "crashed")
    assert replay.content == response.content
    assert await count(runtime, Withdrawal) == 1


def in_flight(
    owner: MerchantKey, key: str, body: dict[str, Any], *, locked_at: Any
) -> IdempotencyKey:
    return IdempotencyKey(
        id=uuid.uuid4(),
        merchant_id=uuid.UUID(owner.merchant_id),
        key=key,
        fingerprint=fingerprint("POST", "/api/withdrawals", jsonutil.dumps(body).encode()),
        status=IdempotencyStatus.IN_FLIGHT,
        claim_token=uuid.uuid4(),
        locked_at=locked_at,
        created_at=locked_at,
        expires_at=locked_at + timedelta(hours=24),
    )


async def test_keys_are_scoped_per_merchant(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    other = await make_merchant(runtime, "Other Shop", scopes=PAYER_SCOPES)
    for owner in (payer, other):
        await credit_available_for_test(runtime, owner.merchant_id, "TRX", "100")
    first = await post(client, "/api/withdrawals", payer, BODY, "shared-key")
    second = await post(client, "/api/withdrawals", other, BODY, "shared-key")
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["withdrawal"]["id"] != second.json()["withdrawal"]["id"]


async def test_an_error_releases_the_key_for_a_retry(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    refused = await post(client, "/api/withdrawals", payer, BODY, "retry-me")
    assert refused.status_code == 400  # no balance yet: nothing was done
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    accepted = await post(client, "/api/withdrawals", payer, BODY, "retry-me")
    assert accepted.status_code == 200, accepted.text
    assert await count(runtime, Withdrawal) == 1


async def test_keys_are_kept_24_hours_then_forgotten(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    first = await post(client, "/api/withdrawals", payer, BODY, "daily")
    async with runtime.db.session() as session:
        row = await session.scalar(select(IdempotencyKey))
        assert row is not None
        assert row.expires_at - row.created_at >= timedelta(hours=24)
        assert await purge_expired(session, utcnow() + timedelta(hours=23)) == 0
        await session.execute(
            update(IdempotencyKey).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    fresh = await post(client, "/api/withdrawals", payer, BODY, "daily")
    assert fresh.status_code == 200
    assert fresh.json()["withdrawal"]["id"] != first.json()["withdrawal"]["id"]
    async with runtime.db.session() as session:
        assert await purge_expired(session, utcnow() + timedelta(hours=25)) == 1
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


async def test_operator_can_require_a_key_on_payouts(
    client: httpx.AsyncClient,
    payer: MerchantKey,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime.settings, "require_idempotency_key", True)
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    missing = await post(client, "/api/withdrawals", payer, BODY)
    assert missing.status_code == 428
    assert missing.json() == {
        "error": "Missing Idempotency-Key header: this gateway requires one on payouts"
    }
    batch = {"asset": "TRX", "recipients": [{"address": TRON, "amount": 20}]}
    assert (await post(client, "/api/batch-payouts", payer, batch)).status_code == 428
    estimate = await post(client, "/api/withdrawals", payer, {**BODY, "estimate_only": True})
    assert estimate.status_code == 200  # moves nothing: no key needed
    payment = {"asset": "TRX", "amount_crypto": 20, "webhook_url": HOOK}
    assert (await post(client, "/api/payments", payer, payment)).status_code == 200
    assert (await post(client, "/api/withdrawals", payer, BODY, "k1")).status_code == 200
    assert await count(runtime, Withdrawal) == 1


async def test_payments_and_batches_are_idempotent_too(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    payment = {"asset": "BTC", "amount_fiat": 100, "webhook_url": HOOK}
    first = await post(client, "/api/payments", payer, payment, "pay-1")
    again = await post(client, "/api/payments", payer, payment, "pay-1")
    assert first.status_code == 200, first.text
    assert again.content == first.content
    assert await count(runtime, Payment) == 1
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    batch = {"asset": "TRX", "recipients": [{"address": TRON, "amount": 20}] * 2}
    one = await post(client, "/api/batch-payouts", payer, batch, "batch-1")
    two = await post(client, "/api/batch-payouts", payer, batch, "batch-1")
    assert one.status_code == 200, one.text
    assert two.content == one.content
    assert await count(runtime, Withdrawal) == 2


@pytest.mark.parametrize("bad", [b"", b"x" * 256, b"has space", "ключ".encode()])
async def test_malformed_keys_are_refused(
    client: httpx.AsyncClient, payer: MerchantKey, bad: bytes
) -> None:
    response = await client.post(
        "/api/withdrawals",
        content=jsonutil.dumps(BODY),
        headers=[
            *((k.encode(), v.encode()) for k, v in payer.headers.items()),
            (b"Idempotency-Key", bad),
        ],
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid Idempotency-Key header")


async def test_concurrent_retries_move_money_once(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    responses = await asyncio.gather(
        *(post(client, "/api/withdrawals", payer, BODY, "burst") for _ in range(5))
    )
    ok = [r for r in responses if r.status_code == 200]
    assert ok
    assert {r.json()["withdrawal"]["id"] for r in ok} == {ok[0].json()["withdrawal"]["id"]}
    assert all(r.json() == {"error": IN_FLIGHT} for r in responses if r.status_code != 200)
    assert await count(runtime, Withdrawal) == 1
