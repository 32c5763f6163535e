"""``POST/GET /api/withdrawals``: the doc's shape, the hold, the insufficient-balance breakdown,
``estimate_only``, minimums, listing, scopes, and merchant isolation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from kassa.ledger.service import verify
from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.withdrawals.conftest import add_key
from tests.withdrawals.helpers import (
    HOOK,
    available,
    call,
    credit_available_for_test,
    data,
    destination,
    events,
    fetch,
    withdraw,
)

TRON = destination("tron")


async def test_doc_example_creates_a_pending_withdrawal_and_holds_amount_plus_fees(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "600")
    withdrawal = await withdraw(
        client,
        payer.headers,
        asset="USDT-TRC20",
        amount=500,
        destination_address=TRON,
        external_ref="payout-2026-001",
        label="Weekly supplier payment",
    )
    assert uuid.UUID(withdrawal["id"])
    assert withdrawal["status"] == "pending"  # the executor broadcasts it (not in the request)
    assert withdrawal["tx_hash"] is None
    assert withdrawal["asset"] == "USDT-TRC20"
    assert withdrawal["network"] == "devnet"
    assert withdrawal["amount_sent"] == 500
    assert withdrawal["destination_address"] == TRON
    assert withdrawal["platform_fee"] == "1.00 USDT-TRC20"
    assert withdrawal["platform_fee_usd"] == "$1.00"
    assert withdrawal["estimated_network_fee"] == "0.245 USDT-TRC20"
    assert withdrawal["network_fee_native"] == "1.00 TRX"
    assert withdrawal["total_deducted"] == "501.245 USDT-TRC20"
    assert withdrawal["external_ref"] == "payout-2026-001"
    assert withdrawal["label"] == "Weekly supplier payment"
    assert withdrawal["confirmations_required"] == 20
    assert withdrawal["created_at"].endswith("Z")
    assert withdrawal["message"] == (
        "500 USDT-TRC20 queued for broadcast. Completes after 20 confirmation(s)."
    )
    assert await available(client, payer.headers, "USDT-TRC20") == "98.755000"
    assert await fetch(client, payer.headers, withdrawal["id"]) == withdrawal

    (pending,) = await events(runtime, withdrawal["id"])
    assert pending == {
        "event": "withdrawal.pending",
        "withdrawal_id": withdrawal["id"],
        "external_ref": "payout-2026-001",
        "label": "Weekly supplier payment",
        "asset": "USDT-TRC20",
        "amount": 500,
        "destination": TRON,
        "timestamp": pending["timestamp"],
    }
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_insufficient_balance_returns_the_exact_fee_breakdown(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "300")
    body = {"asset": "USDT-TRC20", "amount": 500, "destination_address": TRON, "webhook_url": HOOK}
    response = await call(client, "POST", "/api/withdrawals", payer.headers, body)
    assert response.status_code == 400
    assert data(response) == {
        "error": "Insufficient balance for this withdrawal: amount 500.00 USDT-TRC20"
        " + platform fee 1.00 USDT-TRC20 ($1.00) + network fee 0.245 USDT-TRC20 (1.00 TRX)"
        " = 501.245 USDT-TRC20 required; 300.00 USDT-TRC20 available;"
        " short by 201.245 USDT-TRC20. Nothing was sent."
    }
    assert await available(client, payer.headers, "USDT-TRC20") == "300.000000"
    assert await events(runtime) == []


async def test_label_is_left_out_of_events_when_not_given(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    withdrawal = await withdraw(
        client, payer.headers, asset="BTC", amount="0.5", destination_address=destination("btc")
    )
    (pending,) = await events(runtime, withdrawal["id"])
    assert "label" not in pending
    assert pending["external_ref"] is None
    assert pending["amount"] == Decimal("0.5")
    assert withdrawal["total_deducted"] == "0.50002597 BTC"


async def test_estimate_only_checks_everything_and_moves_nothing(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "600")
    body = {
        "asset": "USDT-TRC20",
        "amount": 500,
        "destination_address": TRON,
        "webhook_url": HOOK,
        "estimate_only": True,
    }
    response = await call(client, "POST", "/api/withdrawals", payer.headers, body)
    assert response.status_code == 200, response.text
    assert data(response) == {
        "success": True,
        "estimate_only": True,
        "asset": "USDT-TRC20",
        "amount": 500,
        "platform_fee": "1.00 USDT-TRC20",
        "platform_fee_usd": "$1.00",
        "estimated_network_fee": "0.245 USDT-TRC20",
        "network_fee_native": "1.00 TRX",
        "total_required": "501.245 USDT-TRC20",
        "balance_available": "600.00 USDT-TRC20",
        "sufficient_balance": True,
        "destination_address": TRON,
        "destination_tag": None,
        "requires_approval": False,
    }
    assert await available(client, payer.headers, "USDT-TRC20") == "600.000000"
    listing = await client.get("/api/withdrawals", headers=payer.headers)
    assert listing.json()["total"] == 0
    short = await call(client, "POST", "/api/withdrawals", payer.headers, {**body, "amount": 700})
    assert short.status_code == 400
    assert "short by 101.245 USDT-TRC20" in data(short)["error"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0.00009"}, "Invalid amount: the minimum withdrawal of BTC is 0.0001 BTC"),
        ({"amount": "0.000000001"}, "Invalid amount: BTC has at most 8 decimal places"),
        ({"amount": -1}, "Invalid amount: must be greater than 0"),
        ({"webhook_url": None}, "Missing required field: webhook_url"),
        ({"webhook_url": "ftp://x"}, "Invalid webhook_url: must be an absolute http(s) URL"),
        ({"destination_address": None}, "Missing required field: destination_address"),
        ({"estimate_only": "yes"}, "Invalid estimate_only: Input should be a valid boolean"),
        ({"label": "a\x00b"}, "must not contain NUL characters"),
        ({"external_ref": "x" * 201}, "Invalid external_ref: String should have at most 200"),
        ({"asset": "USDT"}, '"USDT" is ambiguous — please specify the network.'),
        (
            {"destination_tag": 7},
            "Invalid destination address format for BTC network "
            "(destination tag not supported on BTC). Please check the address and try again.",
        ),
    ],
)
async def test_refusals_move_nothing(
    client: httpx.AsyncClient,
    payer: MerchantKey,
    runtime: Runtime,
    change: dict[str, object],
    message: str,
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    body: dict[str, object] = {
        "asset": "BTC",
        "amount": "0.1",
        "destination_address": destination("btc"),
        "webhook_url": HOOK,
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = await call(client, "POST", "/api/withdrawals", payer.headers, body)
    assert response.status_code == 400
    assert message in data(response)["error"]
    assert await available(client, payer.headers, "BTC") == "1.00000000"


async def test_list_filters_and_paginates(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    await credit_available_for_test(runtime, payer.merchant_id, "TRX", "100")
    first = await withdraw(
        client, payer.headers, asset="BTC", amount="0.1", destination_address=destination("btc")
    )
    await withdraw(
        client, payer.headers, asset="TRX", amount="20", destination_address=TRON, external_ref="r2"
    )
    response = await client.get("/api/withdrawals", headers=payer.headers)
    listing = data(response)
    assert (listing["total"], listing["limit"], listing["offset"]) == (2, 20, 0)
    assert [w["asset"] for w in listing["withdrawals"]] == ["TRX", "BTC"]  # newest first
    only_btc = data(await client.get("/api/withdrawals?asset=btc", headers=payer.headers))
    assert [w["id"] for w in only_btc["withdrawals"]] == [first["id"]]
    by_ref = data(await client.get("/api/withdrawals?external_ref=r2", headers=payer.headers))
    assert [w["asset"] for w in by_ref["withdrawals"]] == ["TRX"]
    paged = data(await client.get("/api/withdrawals?limit=1&offset=1", headers=payer.headers))
    assert [w["id"] for w in paged["withdrawals"]] == [first["id"]]
    pending = data(await client.get("/api/withdrawals?status=pending", headers=payer.headers))
    assert pending["total"] == 2
    bad = await client.get("/api/withdrawals?status=done", headers=payer.headers)
    assert bad.status_code == 400
    assert data(bad)["error"].startswith("Invalid status: done. Valid: draft, pending,")


async def test_another_merchants_withdrawal_is_not_found(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    mine = await withdraw(
        client, payer.headers, asset="BTC", amount="0.1", destination_address=destination("btc")
    )
    other = await make_merchant(runtime, "Other", scopes=frozenset(Scope) - {Scope.APPROVE})
    for path in (f"/api/withdrawals/{mine['id']}", "/api/withdrawals/not-a-uuid"):
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404
        assert data(response) == {"error": "Withdrawal not found"}
    assert data(await client.get("/api/withdrawals", headers=other.headers))["total"] == 0


async def test_keys_without_payouts_scope_or_with_approve_scope_cannot_withdraw(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "BTC", "1")
    body = {
        "asset": "BTC",
        "amount": "0.1",
        "destination_address": destination("btc"),
        "webhook_url": HOOK,
    }
    writer = await add_key(runtime, payer, frozenset({Scope.READ, Scope.WRITE}))
    response = await call(client, "POST", "/api/withdrawals", writer.headers, body)
    assert response.status_code == 403
    assert data(response) == {"error": "This API key lacks the 'payouts' scope"}
    both = await add_key(runtime, payer, frozenset({Scope.PAYOUTS, Scope.APPROVE}))
    response = await call(client, "POST", "/api/withdrawals", both.headers, body)
    assert response.status_code == 403
    assert "approve" in data(response)["error"]
    assert await available(client, payer.headers, "BTC") == "1.00000000"
