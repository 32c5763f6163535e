"""Sweeps on a real EVM node: deposit addresses emptied into the hot wallet, tokens after a gas
top-up, dust left alone, and the operator's report of on-chain holdings against the ledger."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import select

from kassa.ledger.service import verify
from kassa.models.evm import EvmSweep, SweepState
from kassa.runtime import Runtime
from kassa.sweeps.report import chain_holdings
from kassa.sweeps.service import EvmSweeper
from tests.conftest import MerchantKey
from tests.e2e.evm.conftest import Chains, Kassa
from tests.payments.helpers import create, fetch


def sweeper(kassa: Kassa, runtime: Runtime) -> EvmSweeper:
    payout = kassa.chain("eth").payout
    assert payout is not None
    settings = runtime.settings
    return EvmSweeper(
        runtime.db, payout, runtime.prices, settings.chain("eth"), settings.sweep_fee_ratio
    )


async def paid(
    client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    asset: str,
    amount: str,
    pay: object,
) -> str:
    payment = await create(client, shop.headers, asset=asset, amount_crypto=amount)
    assert callable(pay)
    pay(payment["address"])
    chains.eth.mine(11)
    await kassa.sync("eth")
    assert (await fetch(client, shop.headers, payment["id"]))["status"] == "confirmed"
    return str(payment["address"])


async def sweeps(runtime: Runtime) -> list[EvmSweep]:
    async with runtime.db.session() as session:
        return list((await session.scalars(select(EvmSweep).order_by(EvmSweep.created_at))).all())


async def test_token_deposit_is_swept_after_a_gas_top_up(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    job = sweeper(kassa, evm_runtime)
    hot = job.hot
    chains.eth.pay(hot, "1")  # the hot wallet's gas float
    address = await paid(
        evm_client,
        shop,
        chains,
        kassa,
        "USDT-ERC20",
        "50",
        lambda a: chains.eth.transfer_token(chains.usdt, a, 50_000_000),
    )
    assert chains.eth.balance(address) == 0  # no gas on the deposit address yet

    first = await job.run_once()
    chains.eth.settle()
    assert first.started == 1
    [sweep] = await sweeps(evm_runtime)
    assert sweep.state == SweepState.TOPPING_UP
    assert sweep.gas_limit is not None
    assert sweep.gas_price is not None
    assert chains.eth.balance(address) == sweep.gas_limit * sweep.gas_price  # just enough gas

    await job.run_once()  # top-up mined: the token transfer goes out
    chains.eth.settle()
    await job.run_once()  # sweep mined
    [sweep] = await sweeps(evm_runtime)
    assert sweep.state == SweepState.DONE
    assert chains.eth.token_balance(chains.usdt, address) == 0
    assert chains.eth.token_balance(chains.usdt, hot) == 50_000_000
    leftover = chains.eth.balance(address)
    assert leftover < sweep.gas_limit * sweep.gas_price // 3  # only the unused gas margin
    assert sweep.fee_paid > 0

    report = {h.asset: h for h in await chain_holdings(evm_runtime.db, job.payout)}
    assert report["USDT-ERC20"].hot_wallet == 50_000_000
    assert report["USDT-ERC20"].difference == 0
    assert report["ETH"].platform_revenue == -sweep.fee_paid  # gas is a platform expense
    async with evm_runtime.db.session() as session:
        assert await verify(session) == []

    assert (await job.run_once()).started == 0  # nothing left to sweep


async def test_native_deposit_is_swept_to_the_last_wei_and_dust_is_left(
    evm_client: httpx.AsyncClient,
    shop: MerchantKey,
    chains: Chains,
    kassa: Kassa,
    evm_runtime: Runtime,
) -> None:
    job = sweeper(kassa, evm_runtime)
    rich = await paid(
        evm_client, shop, chains, kassa, "ETH", "0.2", lambda a: chains.eth.pay(a, "0.2")
    )
    dust = await paid(
        evm_client,
        shop,
        chains,
        kassa,
        "USDT-ERC20",
        "0.01",
        lambda a: chains.eth.transfer_token(chains.usdt, a, 10_000),
    )
    result = await job.run_once()
    chains.eth.settle()
    assert (result.started, result.dust) == (1, 1)
    await job.run_once()
    by_address = {s.address: s for s in await sweeps(evm_runtime)}
    assert by_address[rich].state == SweepState.DONE
    assert by_address[dust].state == SweepState.DUST
    assert chains.eth.balance(rich) == 0
    assert chains.eth.balance(job.hot) == 2 * 10**17 - by_address[rich].fee_paid
    assert chains.eth.token_balance(chains.usdt, dust) == 10_000
    report = {h.asset: h for h in await chain_holdings(evm_runtime.db, job.payout)}
    assert report["ETH"].difference == 0
    assert report["USDT-ERC20"].deposit_addresses == 10_000
    assert Decimal(report["ETH"].as_dict()["on_chain"]) < Decimal("0.2")
