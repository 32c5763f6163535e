"""The devnet's payout adapter: fixed fees, repeatable signing, idempotent broadcast, injected
broadcast failures (service, API and CLI), and transaction status."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
import pytest
from typer.testing import CliRunner

from kassa.assets.registry import registry
from kassa.chains.base import FeeQuote, Payout, SignedTx, TxState
from kassa.chains.devnet.cli import devnet_app
from kassa.chains.devnet.payout import INJECTED_FAILURE, DevnetPayoutAdapter
from kassa.chains.registry import payout_adapter_for
from kassa.config import get_settings
from kassa.kit.errors import BroadcastRejected
from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey
from tests.withdrawals.helpers import call, data, destination


def payout(symbol: str, chain: str, amount: int = 1_000_000, **kw: object) -> Payout:
    return Payout(
        id=uuid.uuid4(),
        asset=registry().assets[symbol],
        to_address=destination(chain),
        amount=amount,
        **kw,  # type: ignore[arg-type]
    )


async def test_registry_sends_through_the_devnet(runtime: Runtime) -> None:
    assert isinstance(payout_adapter_for(runtime, "tron"), DevnetPayoutAdapter)


async def test_fixed_fees_in_the_native_coin(runtime: Runtime) -> None:
    eth = DevnetPayoutAdapter(runtime.db, "eth")
    assets = registry().assets
    assert await eth.fee_quote(assets["ETH"]) == FeeQuote("ETH", 42_000_000_000_000)
    assert await eth.fee_quote(assets["USDT-ERC20"]) == FeeQuote("ETH", 130_000_000_000_000)
    arbitrum = DevnetPayoutAdapter(runtime.db, "arbitrum")
    assert (await arbitrum.fee_quote(assets["USDC-ARB"])).native_asset == "ETH"
    tron = DevnetPayoutAdapter(runtime.db, "tron")
    assert await tron.fee_quote(assets["USDT-TRC20"]) == FeeQuote("TRX", 1_000_000)


@pytest.mark.parametrize(
    ("symbol", "chain", "pattern"),
    [
        ("USDT-ERC20", "eth", r"0x[0-9a-f]{64}"),
        ("BTC", "btc", r"[0-9a-f]{64}"),
        ("XRP", "xrp", r"[0-9A-F]{64}"),
        ("SOL", "solana", r"[1-9A-HJ-NP-Za-km-z]{80,90}"),
    ],
)
async def test_signing_is_repeatable_and_real_format(
    runtime: Runtime, symbol: str, chain: str, pattern: str
) -> None:
    adapter = DevnetPayoutAdapter(runtime.db, chain)
    one = payout(symbol, chain)
    first, again = await adapter.sign(one), await adapter.sign(one)
    assert first == again
    assert re.fullmatch(pattern, first.tx_hash)
    other = await adapter.sign(payout(symbol, chain))
    assert other.tx_hash != first.tx_hash


async def test_broadcast_puts_one_transfer_in_the_mempool(runtime: Runtime, devnet: Devnet) -> None:
    adapter = DevnetPayoutAdapter(runtime.db, "xrp")
    signed = await adapter.sign(payout("XRP", "xrp", 5_000_000, destination_tag=77))
    assert (await adapter.tx_status(signed.tx_hash)).state == TxState.UNKNOWN
    await adapter.broadcast(signed)
    await adapter.broadcast(signed)  # the node already has it: not an error, no second transfer
    status = await adapter.tx_status(signed.tx_hash)
    assert (status.state, status.confirmations) == (TxState.PENDING, 0)
    await devnet.mine("xrp", 3)
    mined = await adapter.tx_status(signed.tx_hash)
    assert (mined.state, mined.confirmations, mined.fee) == (TxState.MINED, 3, 12)
    watcher_view = await devnet.watcher("xrp").adapter.block(mined.block_height or 0)
    assert watcher_view is not None
    (transfer,) = watcher_view.transfers
    assert (transfer.tx_hash, transfer.amount, transfer.destination_tag) == (
        signed.tx_hash,
        5_000_000,
        77,
    )


async def test_tampered_or_foreign_transactions_are_refused(runtime: Runtime) -> None:
    adapter = DevnetPayoutAdapter(runtime.db, "eth")
    signed = await adapter.sign(payout("ETH", "eth"))
    body = bytes.fromhex(signed.raw[:-64]).replace(b'"amount":"1000000"', b'"amount":"9000000"')
    forged = SignedTx(signed.tx_hash, body.hex() + signed.raw[-64:], signed.fee)
    with pytest.raises(BroadcastRejected, match="invalid signature"):
        await adapter.broadcast(forged)
    with pytest.raises(BroadcastRejected, match="not a bsc transaction"):
        await DevnetPayoutAdapter(runtime.db, "bsc").broadcast(signed)
    with pytest.raises(BroadcastRejected, match="malformed"):
        await adapter.broadcast(SignedTx(signed.tx_hash, "zz", 0))


async def test_fail_next_broadcast_through_the_api(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    response = await call(
        client, "POST", "/api/devnet/fail-next-broadcast", merchant.headers, {"chain": "tron"}
    )
    assert response.status_code == 200, response.text
    assert data(response) == {"network": "devnet", "chain": "tron", "queued_failures": 1}
    adapter = DevnetPayoutAdapter(runtime.db, "tron")
    first = await adapter.sign(payout("TRX", "tron"))
    with pytest.raises(BroadcastRejected) as refused:
        await adapter.broadcast(first)
    assert refused.value.message == INJECTED_FAILURE
    assert (await adapter.tx_status(first.tx_hash)).state == TxState.UNKNOWN
    await adapter.broadcast(first)  # the failure was used up
    assert (await adapter.tx_status(first.tx_hash)).state == TxState.PENDING
    bad = await call(
        client, "POST", "/api/devnet/fail-next-broadcast", merchant.headers, {"chain": "doge"}
    )
    assert bad.status_code == 400
    assert data(bad)["error"].startswith('Unknown chain: "doge"')


async def test_fail_next_broadcast_from_the_cli(runtime: Runtime) -> None:
    env = {
        "KASSA_DATABASE_URL": runtime.settings.resolved_database_url,
        "KASSA_NETWORK": "devnet",
        "KASSA_DATA_DIR": str(runtime.settings.data_dir),
    }
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke,
            devnet_app,
            ["fail-next-broadcast", "--chain", "eth", "--count", "2", "--json"],
            env=env,
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"network": "devnet", "chain": "eth", "queued_failures": 2}
    adapter = DevnetPayoutAdapter(runtime.db, "eth")
    for _ in range(2):
        with pytest.raises(BroadcastRejected):
            await adapter.broadcast(await adapter.sign(payout("ETH", "eth")))
    await adapter.broadcast(await adapter.sign(payout("ETH", "eth")))
