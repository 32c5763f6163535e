import asyncio
import itertools
from decimal import Decimal

import pytest
from devnet_helpers import TEST_MNEMONIC, block_at, x_address
from devnet_helpers import devnet_address as address
from sqlalchemy import delete, select, update

from kassa.assets.registry import registry
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.chains.devnet.wallet import ensure_mnemonic
from kassa.keys.seed import solana_addresses
from kassa.kit.errors import BadRequest, InvalidAddress
from kassa.models import AddressCounter, AddressPool, DevnetTx
from kassa.runtime import Runtime

A = registry().assets


async def _pay(
    runtime: Runtime, symbol: str, address: str, amount: str, tag: int | None = None
) -> str:
    async with runtime.db.session() as session:
        return await DevnetService(session).pay(A[symbol], address, Decimal(amount), tag)


async def _mine(
    runtime: Runtime, chains: list[str] | None = None, blocks: int = 1
) -> dict[str, int]:
    async with runtime.db.session() as session:
        tips = await DevnetService(session).mine(chains, blocks)
    return {chain: tip.height for chain, tip in tips.items()}


async def _reorg(runtime: Runtime, chain: str, depth: int, drop_txs: bool = True) -> int:
    async with runtime.db.session() as session:
        return (await DevnetService(session).reorg(chain, depth, drop_txs)).height


async def test_mining_includes_every_pending_tx_once(runtime: Runtime) -> None:
    first = await _pay(runtime, "BTC", address("btc", 0), "0.5")
    second = await _pay(runtime, "BTC", address("btc", 1), "0.25")
    other_chain = await _pay(runtime, "LTC", address("ltc"), "1")

    assert await _mine(runtime, ["btc"]) == {"btc": 1}
    assert await _mine(runtime, ["btc"]) == {"btc": 2}

    btc = DevnetAdapter(runtime.db, "btc")
    block1, block2 = await block_at(btc, 1), await block_at(btc, 2)
    assert [(t.tx_hash, t.to_address, t.amount) for t in block1.transfers] == [
        (first, address("btc", 0), 50_000_000),
        (second, address("btc", 1), 25_000_000),
    ]
    assert block2.transfers == ()
    assert await btc.pending_transfers() == ()
    ltc_pending = await DevnetAdapter(runtime.db, "ltc").pending_transfers()
    assert [t.tx_hash for t in ltc_pending] == [other_chain]


async def test_mine_every_chain_links_blocks_from_genesis(runtime: Runtime) -> None:
    tips = await _mine(runtime, blocks=3)
    assert tips == dict.fromkeys(registry().chains, 3)
    for chain_id in registry().chains:
        adapter = DevnetAdapter(runtime.db, chain_id)
        blocks = [await block_at(adapter, h) for h in range(4)]
        for parent, child in itertools.pairwise(blocks):
            assert child.parent_hash == parent.ref.hash
        assert await adapter.block(4) is None
        assert (await adapter.tip()).hash == blocks[3].ref.hash


async def test_concurrent_miners_never_fork_the_main_chain(runtime: Runtime) -> None:
    await asyncio.gather(*(_mine(runtime, ["eth", "tron"]) for _ in range(6)))
    for chain_id in ("eth", "tron"):
        adapter = DevnetAdapter(runtime.db, chain_id)
        assert (await adapter.tip()).height == 6
        previous = await block_at(adapter, 0)
        for height in range(1, 7):
            block = await block_at(adapter, height)
            assert block.parent_hash == previous.ref.hash
            previous = block


async def test_token_payment_carries_the_contract(runtime: Runtime) -> None:
    tx = await _pay(runtime, "USDT-TRC20", address("tron"), "12.345678")
    (pending,) = await DevnetAdapter(runtime.db, "tron").pending_transfers()
    assert pending.tx_hash == tx
    assert pending.contract == A["USDT-TRC20"].contract
    assert pending.amount == 12_345_678
    await _pay(runtime, "TRX", address("tron"), "1")
    native = (await DevnetAdapter(runtime.db, "tron").pending_transfers())[1]
    assert native.contract is None


async def test_wei_scale_amounts_are_exact(runtime: Runtime) -> None:
    await _pay(runtime, "ETH", address("eth"), "123456789.123456789012345678")
    (pending,) = await DevnetAdapter(runtime.db, "eth").pending_transfers()
    assert pending.amount == 123456789_123456789012345678


async def test_evm_address_is_stored_checksummed(runtime: Runtime) -> None:
    await _pay(runtime, "BNB", address("bsc").lower(), "1")
    (pending,) = await DevnetAdapter(runtime.db, "bsc").pending_transfers()
    assert pending.to_address == address("bsc")


async def test_xrp_tag_from_field_or_x_address(runtime: Runtime) -> None:
    await _pay(runtime, "XRP", address("xrp"), "10", tag=42)
    await _pay(runtime, "XRP", x_address(address("xrp"), 77), "10")
    await _pay(runtime, "XRP", address("xrp"), "10")
    pending = await DevnetAdapter(runtime.db, "xrp").pending_transfers()
    assert [(t.to_address, t.destination_tag) for t in pending] == [
        (address("xrp"), 42),
        (address("xrp"), 77),
        (address("xrp"), None),
    ]


@pytest.mark.parametrize(
    ("symbol", "amount", "message"),
    [
        ("BTC", "0", "Invalid amount: must be greater than 0"),
        ("BTC", "-1", "Invalid amount: must be greater than 0"),
        ("BTC", "0.000000001", "Invalid amount: BTC has at most 8 decimal places"),
        ("USDT-ERC20", "1.0000001", "Invalid amount: USDT-ERC20 has at most 6 decimal places"),
        ("BTC", "NaN", "Invalid amount: must be a finite number"),
        ("BTC", "Infinity", "Invalid amount: must be a finite number"),
        ("BTC", "1e999999999", "Invalid amount: too large"),
        ("ETH", "1e60", "Invalid amount: too large"),
    ],
)
async def test_bad_amounts_are_refused_precisely(
    runtime: Runtime, symbol: str, amount: str, message: str
) -> None:
    chain = A[symbol].chain.id
    with pytest.raises(BadRequest) as caught:
        await _pay(runtime, symbol, address(chain), amount)
    assert caught.value.message == message


async def test_trailing_zeros_beyond_decimals_are_fine(runtime: Runtime) -> None:
    await _pay(runtime, "BTC", address("btc"), "0.100000000000")
    (pending,) = await DevnetAdapter(runtime.db, "btc").pending_transfers()
    assert pending.amount == 10_000_000


@pytest.mark.parametrize(
    ("symbol", "to", "reason"),
    [
        ("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "wrong network prefix 'bc'"),
        ("BTC", "not-an-address", "invalid"),
        ("ETH", "0x123", "not 20 bytes"),
        ("SOL", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "invalid base58 character"),
    ],
)
async def test_bad_addresses_are_refused_with_the_reason(
    runtime: Runtime, symbol: str, to: str, reason: str
) -> None:
    with pytest.raises(InvalidAddress) as caught:
        await _pay(runtime, symbol, to, "1")
    assert caught.value.status_code == 400
    assert caught.value.message.startswith(f"Invalid address for {symbol} on the devnet: ")
    assert reason in caught.value.message


async def test_destination_tag_only_on_xrp_and_in_range(runtime: Runtime) -> None:
    with pytest.raises(BadRequest, match="destination tags exist only on XRP, not on BTC"):
        await _pay(runtime, "BTC", address("btc"), "1", tag=5)
    with pytest.raises(BadRequest, match="must be between 0 and 4294967295"):
        await _pay(runtime, "XRP", address("xrp"), "1", tag=2**32)
    with pytest.raises(InvalidAddress, match="conflicts"):
        await _pay(runtime, "XRP", x_address(address("xrp"), 1), "1", tag=2)
    async with runtime.db.session() as session:
        assert (await session.scalars(select(DevnetTx))).all() == []


async def test_reorg_dropping_txs_is_a_double_spend(runtime: Runtime) -> None:
    await _mine(runtime, ["btc"])
    tx = await _pay(runtime, "BTC", address("btc"), "1")
    await _mine(runtime, ["btc"], blocks=3)  # tx in block 2, tip 4
    adapter = DevnetAdapter(runtime.db, "btc")
    old_block2 = await block_at(adapter, 2)
    assert [t.tx_hash for t in old_block2.transfers] == [tx]

    assert await _reorg(runtime, "btc", depth=3) == 5

    new_block2 = await block_at(adapter, 2)
    assert new_block2.ref.hash != old_block2.ref.hash
    assert new_block2.transfers == ()
    assert new_block2.parent_hash == old_block2.parent_hash  # forked at height 1
    assert await adapter.pending_transfers() == ()
    await _mine(runtime, ["btc"], blocks=2)
    for height in range(8):
        assert (await block_at(adapter, height)).transfers == ()


async def test_reorg_keeping_txs_returns_them_to_the_mempool(runtime: Runtime) -> None:
    tx = await _pay(runtime, "SOL", address("solana"), "2.5")
    await _mine(runtime, ["solana"], blocks=2)  # tx in block 1, tip 2
    adapter = DevnetAdapter(runtime.db, "solana")
    old_tip = await adapter.tip()

    assert await _reorg(runtime, "solana", depth=2, drop_txs=False) == 3

    assert (await adapter.tip()).hash != old_tip.hash
    for height in (1, 2, 3):
        assert (await block_at(adapter, height)).transfers == ()
    assert [t.tx_hash for t in await adapter.pending_transfers()] == [tx]
    await _mine(runtime, ["solana"])
    block4 = await block_at(adapter, 4)
    assert [t.tx_hash for t in block4.transfers] == [tx]


async def test_reorg_depth_must_fit_the_chain(runtime: Runtime) -> None:
    with pytest.raises(BadRequest, match="no blocks after genesis"):
        await _reorg(runtime, "eth", 1)
    await _mine(runtime, ["eth"], blocks=2)
    for depth in (0, -1, 3):
        with pytest.raises(BadRequest, match=r"Invalid depth: must be between 1 and 2"):
            await _reorg(runtime, "eth", depth)
    assert await _reorg(runtime, "eth", 2) == 3  # down to genesis is allowed


async def test_unknown_chain_and_block_count_are_refused(runtime: Runtime) -> None:
    with pytest.raises(BadRequest, match='Unknown chain: "doge"'):
        await _mine(runtime, ["doge"])
    with pytest.raises(BadRequest, match='Unknown chain: "doge"'):
        await _reorg(runtime, "doge", 1)
    with pytest.raises(BadRequest, match="Invalid blocks: must be at least 1"):
        await _mine(runtime, blocks=0)


async def test_status_reports_tips_and_mempools(runtime: Runtime) -> None:
    await _mine(runtime, ["btc"], blocks=2)
    await _pay(runtime, "BTC", address("btc"), "1")
    await _pay(runtime, "USDC-SOL", address("solana"), "1")
    async with runtime.db.session() as session:
        status = {s.chain: s for s in await DevnetService(session).status()}
    assert set(status) == set(registry().chains)
    assert (status["btc"].height, status["btc"].mempool) == (2, 1)
    assert (status["solana"].height, status["solana"].mempool) == (0, 1)
    assert status["btc"].hash == (await DevnetAdapter(runtime.db, "btc").tip()).hash
    assert status["eth"].hash == (await DevnetAdapter(runtime.db, "eth").tip()).hash


async def _pool(runtime: Runtime) -> list[tuple[int, str]]:
    async with runtime.db.session() as session:
        rows = await session.execute(
            select(AddressPool.index, AddressPool.address)
            .where(AddressPool.chain == "solana")
            .order_by(AddressPool.index)
        )
        return [(int(i), str(a)) for i, a in rows]


async def _refill(runtime: Runtime, minimum_free: int = 200) -> tuple[int, str]:
    async with runtime.db.session() as session:
        mnemonic = await ensure_mnemonic(session)
        service = DevnetService(session)
        return await service.refill_pool(mnemonic=mnemonic, minimum_free=minimum_free), mnemonic


async def test_refill_pool_keeps_free_addresses_and_is_idempotent(runtime: Runtime) -> None:
    added, mnemonic = await _refill(runtime)  # the runtime stocked it at start-up
    assert added == 0
    assert len(await _pool(runtime)) == 200
    async with runtime.db.session() as session:
        await session.execute(
            update(AddressCounter)
            .where(AddressCounter.key_id == "solana:pool")
            .values(next_index=15)
        )
    assert (await _refill(runtime))[0] == 15
    assert (await _refill(runtime))[0] == 0
    assert (await _refill(runtime, minimum_free=300))[0] == 100
    pool = await _pool(runtime)
    assert [i for i, _ in pool] == list(range(315))
    assert [a for _, a in pool] == solana_addresses(mnemonic, 0, 315)


async def test_refill_pool_starts_from_an_empty_pool(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        await session.execute(delete(AddressPool))
        await session.execute(delete(AddressCounter).where(AddressCounter.key_id == "solana:pool"))
        service = DevnetService(session)
        assert await service.refill_pool(mnemonic=TEST_MNEMONIC, minimum_free=3) == 3
    assert [a for _, a in await _pool(runtime)] == solana_addresses(TEST_MNEMONIC, 0, 3)
