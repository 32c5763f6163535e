"""Per-key withdrawal limits: above it a withdrawal is a funds-holding draft that an approver key
(scope ``approve``, which cannot create payouts) approves or rejects with ``PUT``."""

from __future__ import annotations

import asyncio
import json

import httpx
from typer.testing import CliRunner

from kassa.cli import app
from kassa.config import get_settings
from kassa.ledger.service import verify
from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.withdrawals.conftest import PAYER_SCOPES, add_key
from tests.withdrawals.helpers import (
    HOOK,
    available,
    call,
    credit_available_for_test,
    data,
    destination,
    events,
    execute,
    withdraw,
)

TRON = destination("tron")


async def decide(
    client: httpx.AsyncClient, key: MerchantKey, wid: str, approve: object
) -> httpx.Response:
    return await call(client, "PUT", f"/api/withdrawals/{wid}", key.headers, {"approve": approve})


async def test_below_the_limit_is_pending_above_it_a_draft_holding_funds(
    client: httpx.AsyncClient, limited: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, limited.merchant_id, "USDT-TRC20", "500")
    small = await withdraw(
        client, limited.headers, asset="USDT-TRC20", amount=100, destination_address=TRON
    )
    assert small["status"] == "pending"  # $100 is not above the $100 limit
    big = await withdraw(
        client, limited.headers, asset="USDT-TRC20", amount="100.01", destination_address=TRON
    )
    assert big["status"] == "draft"
    assert big["message"].startswith("100.01 USDT-TRC20 awaits approval")
    assert await available(client, limited.headers, "USDT-TRC20") == "297.500000"
    assert [e["event"] for e in await events(runtime, big["id"])] == []  # nothing to tell yet
    await execute(runtime)
    assert (await client.get(f"/api/withdrawals/{big['id']}", headers=limited.headers)).json()[
        "status"
    ] == "draft"  # the executor leaves drafts alone
    estimate = await call(
        client,
        "POST",
        "/api/withdrawals",
        limited.headers,
        {
            "asset": "USDT-TRC20",
            "amount": 150,
            "destination_address": TRON,
            "webhook_url": HOOK,
            "estimate_only": True,
        },
    )
    assert data(estimate)["requires_approval"] is True


async def test_approved_draft_is_executed(
    client: httpx.AsyncClient,
    limited: MerchantKey,
    approver: MerchantKey,
    runtime: Runtime,
) -> None:
    await credit_available_for_test(runtime, limited.merchant_id, "USDT-TRC20", "500")
    draft = await withdraw(
        client, limited.headers, asset="USDT-TRC20", amount=250, destination_address=TRON
    )
    response = await decide(client, approver, draft["id"], True)
    assert response.status_code == 200, response.text
    assert data(response)["status"] == "pending"
    await execute(runtime)
    assert (await client.get(f"/api/withdrawals/{draft['id']}", headers=approver.headers)).json()[
        "status"
    ] == "broadcasting"
    kinds = [e["event"] for e in await events(runtime, draft["id"])]
    assert kinds == ["withdrawal.pending", "withdrawal.broadcasting"]
    again = await decide(client, approver, draft["id"], False)
    assert again.status_code == 409
    assert data(again) == {
        "error": "Withdrawal is broadcasting: only a draft can be approved or rejected"
    }


async def test_rejected_draft_releases_the_funds(
    client: httpx.AsyncClient,
    limited: MerchantKey,
    approver: MerchantKey,
    runtime: Runtime,
) -> None:
    await credit_available_for_test(runtime, limited.merchant_id, "USDT-TRC20", "500")
    draft = await withdraw(
        client, limited.headers, asset="USDT-TRC20", amount=250, destination_address=TRON
    )
    assert await available(client, limited.headers, "USDT-TRC20") == "248.755000"
    response = await decide(client, approver, draft["id"], False)
    assert response.status_code == 200
    rejected = data(response)
    assert rejected["status"] == "rejected"
    assert rejected["error"] == "Rejected by approver"
    assert rejected["total_deducted"] == "0.00 USDT-TRC20"
    assert await available(client, limited.headers, "USDT-TRC20") == "500.000000"
    (failed,) = await events(runtime, draft["id"])
    assert (failed["event"], failed["error"]) == ("withdrawal.failed", "Rejected by approver")
    async with runtime.db.session() as session:
        assert await verify(session) == []


async def test_who_may_decide(
    client: httpx.AsyncClient,
    limited: MerchantKey,
    payer: MerchantKey,
    runtime: Runtime,
) -> None:
    await credit_available_for_test(runtime, limited.merchant_id, "USDT-TRC20", "500")
    draft = await withdraw(
        client, limited.headers, asset="USDT-TRC20", amount=250, destination_address=TRON
    )
    # the creating key (and any key without the approve scope) cannot approve
    for key in (limited, payer):
        response = await decide(client, key, draft["id"], True)
        assert response.status_code == 403
        assert data(response) == {"error": "This API key lacks the 'approve' scope"}
    # a limited key with the approve scope cannot approve either
    limited_approver = await add_key(
        runtime, limited, frozenset({Scope.READ, Scope.APPROVE}), limit_usd="1000"
    )
    response = await decide(client, limited_approver, draft["id"], True)
    assert response.status_code == 403
    assert "withdrawal limit" in data(response)["error"]
    # another merchant's approver does not see it
    stranger = await make_merchant(runtime, "Stranger", scopes=frozenset({Scope.APPROVE}))
    assert (await decide(client, stranger, draft["id"], True)).status_code == 404
    # approve must be a boolean
    approver = await add_key(runtime, limited, frozenset({Scope.APPROVE}))
    bad = await decide(client, approver, draft["id"], "yes")
    assert bad.status_code == 400
    assert data(bad) == {"error": "Invalid approve: Input should be a valid boolean"}
    assert (await decide(client, approver, draft["id"], True)).status_code == 200


async def test_cli_creates_a_key_with_a_withdrawal_limit(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    env = {
        "KASSA_DATABASE_URL": runtime.settings.resolved_database_url,
        "KASSA_NETWORK": "devnet",
        "KASSA_DATA_DIR": str(runtime.settings.data_dir),
    }
    args = [
        "apikey",
        "create",
        "--merchant",
        payer.merchant_id,
        "--scopes",
        ",".join(sorted(PAYER_SCOPES)),
        "--withdrawal-limit-usd",
        "50",
        "--json",
    ]
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, app, args, env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["withdrawal_limit_usd"] == "50"
    key = MerchantKey(payer.merchant_id, payer.name, created["api_key"])
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "100")
    draft = await withdraw(
        client, key.headers, asset="USDT-TRC20", amount=60, destination_address=TRON
    )
    assert draft["status"] == "draft"
