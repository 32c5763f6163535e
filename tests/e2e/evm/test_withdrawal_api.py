"""The whole money path on a real node through the HTTP API: buyers pay, the sweeper moves the
funds to the hot wallet, the merchant withdraws (POST /api/withdrawals), the withdrawal executor
sends through the EVM PayoutAdapter and completes at the asset's confirmations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from kassa.kit import jsonutil
from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from kassa.withdrawals.tasks import executor
from tests.conftest import MerchantKey, make_merchant
from tests.e2e.evm.conftest import Chains, Kassa
from tests.e2e.evm.test_sweeps import paid, sweeper

CAROL = "0x3333333333333333333333333333333333333333"


async def withdraw(client: httpx.AsyncClient, shop: MerchantKey, **body: Any) -> dict[str, Any]:
    body.setdefault("webhook_url", "https://shop.example/hooks")
    response = await client.post(
        "/api/withdrawals",
        content=jsonutil.dumps(body),
        headers={**shop.headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = jsonutil.loads(response.content)["withdrawal"]
    return data


async def status_of(client: httpx.AsyncClient, shop: MerchantKey, withdrawal_id: str) -> str:
    response = await client.get(f"/api/withdrawals/{withdrawal_id}", headers=shop.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def test_paid_swept_and_withdrawn_through_the_api(
    evm_client: httpx.AsyncClient, chains: Chains, kassa: Kassa, evm_runtime: Runtime
) -> None:
    shop = await make_merchant(
        evm_runtime, scopes=frozenset({Scope.READ, Scope.WRITE, Scope.PAYOUTS})
    )
    job = sweeper(kassa, evm_runtime)
    chains.eth.pay(job.hot, "0.05")  # the operator's gas float for top-ups and payouts
    await paid(evm_client, shop, chains, kassa, "ETH", "0.5", lambda a: chains.eth.pay(a, "0.5"))
    await paid(
        evm_client,
        shop,
        chains,
        kassa,
        "USDT-ERC20",
        "100",
        lambda a: chains.eth.transfer_token(chains.usdt, a, 100_000_000),
    )
    for _ in range(3):
        await job.run_once()
        chains.eth.settle()
    assert chains.eth.token_balance(chains.usdt, job.hot) == 100_000_000

    token = await withdraw(
        evm_client, shop, asset="USDT-ERC20", amount="40", destination_address=CAROL
    )
    native = await withdraw(
        evm_client, shop, asset="ETH", amount="0.1", destination_address=CAROL.lower()
    )
    run = executor(evm_runtime, "e2e-executor")
    await run.tick()
    chains.eth.settle()
    assert await status_of(evm_client, shop, token["id"]) == "broadcasting"
    chains.eth.mine(12)
    await run.tick()
    assert await status_of(evm_client, shop, token["id"]) == "completed"
    assert await status_of(evm_client, shop, native["id"]) == "completed"
    assert chains.eth.token_balance(chains.usdt, CAROL) == 40_000_000
    assert chains.eth.balance(CAROL) == 10**17
    balances = (await evm_client.get("/api/ledger/balance", headers=shop.headers)).json()
    assert Decimal(balances["balances"]["USDT-ERC20"]["available"]) < Decimal("59.5")
