"""``/api/batch-payouts``: the doc's shape, the whole batch rejected for a shortfall, one
withdrawal per recipient, and the batch status through partial to completed (or failed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa.chains.devnet.service import DevnetService
from kassa.ledger.service import verify
from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey
from tests.withdrawals.helpers import (
    available,
    call,
    credit_available_for_test,
    data,
    destination,
    events,
    execute,
    executor,
)

HOOK = "https://shop.example/webhooks/batches"
DOC_RECIPIENTS = [
    {
        "address": destination("tron", 1),
        "amount": Decimal("250.00"),
        "external_ref": "affiliate-001",
    },
    {
        "address": destination("tron", 2),
        "amount": Decimal("500.00"),
        "external_ref": "affiliate-002",
    },
    {
        "address": destination("tron", 3),
        "amount": Decimal("125.50"),
        "external_ref": "affiliate-003",
    },
]


async def submit(client: httpx.AsyncClient, key: MerchantKey, **body: Any) -> httpx.Response:
    body.setdefault("asset", "USDT-TRC20")
    return await call(client, "POST", "/api/batch-payouts", key.headers, body)


async def batch(client: httpx.AsyncClient, key: MerchantKey, batch_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/batch-payouts/{batch_id}", headers=key.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = data(response)
    return result


async def test_doc_example_batch(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    response = await submit(
        client, payer, recipients=DOC_RECIPIENTS, webhook_url=HOOK, label="April affiliate payouts"
    )
    assert response.status_code == 200, response.text
    body = data(response)
    assert body["success"] is True
    assert body["status"] == "processing"
    assert body["asset"] == "USDT-TRC20"
    assert body["total_recipients"] == 3
    assert body["total_amount"] == Decimal("875.5")
    # $1.00 + 1 TRX ($0.245) per recipient
    assert body["total_fees_usd"] == "$3.74"
    assert body["total_platform_fee"] == "3.00 USDT-TRC20"
    assert body["total_network_fee"] == "0.735 USDT-TRC20"
    assert body["total_required"] == "879.235 USDT-TRC20"
    assert (body["completed"], body["failed"], body["in_progress"]) == (0, 0, 3)
    assert [
        (w["address"], w["amount"], w["status"], w["external_ref"]) for w in body["withdrawals"]
    ] == [(r["address"], r["amount"], "pending", r["external_ref"]) for r in DOC_RECIPIENTS]
    assert body["created_at"].endswith("Z")
    assert await available(client, payer.headers, "USDT-TRC20") == "120.765000"
    # each recipient is a withdrawal of its own
    one = await client.get(
        f"/api/withdrawals/{body['withdrawals'][0]['id']}", headers=payer.headers
    )
    assert data(one)["batch_id"] == body["batch_id"]
    assert data(one)["total_deducted"] == "251.245 USDT-TRC20"
    pending = [e for e in await events(runtime) if e["event"] == "withdrawal.pending"]
    assert len(pending) == 3
    assert {e["batch_id"] for e in pending} == {body["batch_id"]}


async def test_shortfall_rejects_the_whole_batch_with_a_breakdown(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "879.23")
    response = await submit(client, payer, recipients=DOC_RECIPIENTS)
    assert response.status_code == 400
    assert data(response) == {
        "error": "Insufficient balance for this batch of 3 payouts: amounts 875.50 USDT-TRC20"
        " + platform fees 3.00 USDT-TRC20 ($3.00) + network fees 0.735 USDT-TRC20 (3.00 TRX)"
        " = 879.235 USDT-TRC20 required; 879.23 USDT-TRC20 available;"
        " short by 0.005 USDT-TRC20. Nothing was sent."
    }
    assert await available(client, payer.headers, "USDT-TRC20") == "879.230000"
    listing = await client.get("/api/withdrawals", headers=payer.headers)
    assert data(listing)["total"] == 0
    assert await events(runtime) == []


async def test_batch_completes_partially_then_fully(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    created = data(await submit(client, payer, recipients=DOC_RECIPIENTS[:2], webhook_url=HOOK))
    batch_id = created["batch_id"]
    one_at_a_time = executor(runtime, batch_size=1)
    await one_at_a_time.tick()  # broadcasts the first payout only
    await devnet.mine("tron", 20)
    await one_at_a_time.tick()  # the first completes, the second is broadcast
    partial = await batch(client, payer, batch_id)
    assert partial["status"] == "partial"
    assert (partial["completed"], partial["failed"], partial["in_progress"]) == (1, 0, 1)
    assert [w["status"] for w in partial["withdrawals"]] == ["completed", "broadcasting"]

    await devnet.mine("tron", 20)
    await one_at_a_time.tick()
    done = await batch(client, payer, batch_id)
    assert done["status"] == "completed"
    assert (done["completed"], done["failed"], done["in_progress"]) == (2, 0, 0)
    batch_events = [e for e in await events(runtime) if e["event"].startswith("batch.")]
    assert [e["event"] for e in batch_events] == ["batch.partial", "batch.completed"]
    assert batch_events[-1] == {
        "event": "batch.completed",
        "batch_id": batch_id,
        "external_ref": None,
        "asset": "USDT-TRC20",
        "status": "completed",
        "total_recipients": 2,
        "completed": 2,
        "failed": 0,
        "in_progress": 0,
        "timestamp": batch_events[-1]["timestamp"],
    }
    assert await available(client, payer.headers, "USDT-TRC20") == "247.510000"
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_batch_fails_when_every_payout_fails(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    recipients = [{"address": destination("tron", i), "amount": 20} for i in range(2)]
    created = data(await submit(client, payer, asset="TRX", recipients=recipients))
    async with runtime.db.session() as session:
        await DevnetService(session).fail_next_broadcast("tron", 2)
    await execute(runtime)
    failed = await batch(client, payer, created["batch_id"])
    assert failed["status"] == "failed"
    assert (failed["completed"], failed["failed"]) == (0, 2)
    assert await available(client, payer.headers, "TRX") == "100.000000"
    (event,) = [e for e in await events(runtime) if e["event"].startswith("batch.")]
    assert event["event"] == "batch.failed"


async def test_estimate_only_batch_moves_nothing(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    response = await submit(client, payer, recipients=DOC_RECIPIENTS, estimate_only=True)
    assert response.status_code == 200, response.text
    body = data(response)
    assert body["estimate_only"] is True
    assert body["total_required"] == "879.235 USDT-TRC20"
    assert body["balance_available"] == "1000.00 USDT-TRC20"
    assert [r["total_required"] for r in body["recipients"]] == [
        "251.245 USDT-TRC20",
        "501.245 USDT-TRC20",
        "126.745 USDT-TRC20",
    ]
    assert await available(client, payer.headers, "USDT-TRC20") == "1000.000000"
    assert data(await client.get("/api/withdrawals", headers=payer.headers))["total"] == 0


async def test_batch_above_the_key_limit_waits_for_approval(
    client: httpx.AsyncClient, limited: MerchantKey, approver: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, limited.merchant_id, "USDT-TRC20", "1000")
    # every payout is under $100, the batch is not: the limit applies to the batch total
    recipients = [{"address": destination("tron", i), "amount": 60} for i in range(2)]
    created = data(await submit(client, limited, recipients=recipients))
    assert created["status"] == "draft"
    assert {w["status"] for w in created["withdrawals"]} == {"draft"}
    response = await call(
        client,
        "PUT",
        f"/api/batch-payouts/{created['batch_id']}",
        approver.headers,
        {"approve": True},
    )
    assert response.status_code == 200, response.text
    assert data(response)["status"] == "processing"
    assert {w["status"] for w in data(response)["withdrawals"]} == {"pending"}


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ([], "Invalid recipients: at least one recipient is required"),
        (
            [{"address": destination("tron"), "amount": 5}] * 101,
            "Invalid recipients: at most 100 recipients per batch, got 101",
        ),
        (
            [{"address": destination("tron"), "amount": 5}, {"address": "TXyz2222", "amount": 5}],
            "recipients[1].address: Invalid destination address format for TRON network "
            "(base58 checksum mismatch)",
        ),
        (
            [{"address": destination("tron"), "amount": 1}],
            "Invalid recipients[0].amount: the minimum withdrawal of USDT-TRC20 is 5 USDT-TRC20",
        ),
        ([{"address": destination("tron")}], "Missing required field: recipients[0].amount"),
    ],
)
async def test_invalid_batches_are_refused_whole(
    client: httpx.AsyncClient,
    payer: MerchantKey,
    runtime: Runtime,
    recipients: list[dict[str, Any]],
    message: str,
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    response = await submit(client, payer, recipients=recipients)
    assert response.status_code == 400
    assert data(response)["error"].startswith(message)
    assert await available(client, payer.headers, "USDT-TRC20") == "1000.000000"


async def test_a_batch_of_100_is_accepted(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    recipients = [{"address": destination("tron"), "amount": 5} for _ in range(100)]
    response = await submit(client, payer, recipients=recipients)
    assert response.status_code == 200, response.text
    assert data(response)["total_recipients"] == 100
    assert len(data(response)["withdrawals"]) == 100
    # 100 × (5 + 1 + 0.245)
    assert await available(client, payer.headers, "USDT-TRC20") == "375.500000"


async def test_another_merchants_batch_is_not_found(
    client: httpx.AsyncClient, payer: MerchantKey, merchant: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "1000")
    created = data(await submit(client, payer, recipients=DOC_RECIPIENTS[:1]))
    response = await client.get(
        f"/api/batch-payouts/{created['batch_id']}", headers=merchant.headers
    )
    assert response.status_code == 404
    assert data(response) == {"error": "Batch not found"}
