import re
from decimal import Decimal

import pytest
from bip_utils import Base58Decoder
from devnet_helpers import block_at, devnet_address
from sqlalchemy import delete

from kassa.assets.registry import registry
from kassa.chains.base import BlockRef, ChainAdapter, Transfer
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.service import DevnetService
from kassa.kit.errors import BadRequest
from kassa.models import DevnetBlock
from kassa.runtime import Runtime

HEX64 = r"[0-9a-f]{64}"
FORMATS = {
    "utxo": (HEX64, HEX64),
    "tron": (HEX64, HEX64),
    "evm": ("0x" + HEX64, "0x" + HEX64),
    "xrp": (r"[0-9A-F]{64}", r"[0-9A-F]{64}"),
}
"""family -> (tx hash, block hash) patterns; solana is checked by decoded length."""


def _assert_formats(family: str, tx_hash: str, block_hash: str) -> None:
    if family == "solana":
        assert len(bytes(Base58Decoder.Decode(tx_hash))) == 64
        assert len(bytes(Base58Decoder.Decode(block_hash))) == 32
        return
    tx_pattern, block_pattern = FORMATS[family]
    assert re.fullmatch(tx_pattern, tx_hash), tx_hash
    assert re.fullmatch(block_pattern, block_hash), block_hash


async def test_adapter_implements_the_chain_port(runtime: Runtime) -> None:
    assert isinstance(DevnetAdapter(runtime.db, "btc"), ChainAdapter)
    with pytest.raises(BadRequest, match="Unknown chain"):
        DevnetAdapter(runtime.db, "doge")


async def test_an_unmined_chain_is_at_its_genesis(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        await session.execute(delete(DevnetBlock))
    adapter = DevnetAdapter(runtime.db, "eth")
    tip = await adapter.tip()
    genesis = await block_at(adapter, 0)
    assert tip == BlockRef(0, genesis.ref.hash)
    assert genesis.parent_hash == "0x" + "0" * 64
    assert genesis.transfers == ()
    assert await adapter.block(1) is None
    assert await adapter.block(-1) is None
    async with runtime.db.session() as session:
        await DevnetService(session).mine(["eth"])
    assert (await block_at(adapter, 0)).ref == tip  # the stored genesis is the same block
    assert (await block_at(adapter, 1)).parent_hash == tip.hash


@pytest.mark.parametrize("chain_id", list(registry().chains))
async def test_blocks_carry_canonical_transfers_in_native_formats(
    runtime: Runtime, chain_id: str
) -> None:
    chain = registry().chains[chain_id]
    assets = registry().assets_on(chain_id)
    tag = 31337 if chain.family == "xrp" else None
    to = devnet_address(chain_id)
    async with runtime.db.session() as session:
        service = DevnetService(session)
        hashes = [await service.pay(a, to, Decimal("1.5"), tag) for a in assets]
    adapter = DevnetAdapter(runtime.db, chain_id)
    assert [t.tx_hash for t in await adapter.pending_transfers()] == hashes

    async with runtime.db.session() as session:
        tips = await DevnetService(session).mine([chain_id])
    assert await adapter.tip() == tips[chain_id]
    block = await block_at(adapter, 1)
    assert block.ref == tips[chain_id]
    assert block.parent_hash == (await block_at(adapter, 0)).ref.hash
    assert list(block.transfers) == [
        Transfer(
            tx_hash=tx_hash,
            index=0,
            to_address=to,
            amount=15 * 10 ** (asset.decimals - 1),
            contract=asset.contract,
            destination_tag=tag,
        )
        for tx_hash, asset in zip(hashes, assets, strict=True)
    ]
    for tx_hash in hashes:
        _assert_formats(chain.family, tx_hash, block.ref.hash)
    _assert_formats(chain.family, hashes[0], block.parent_hash)
    assert await adapter.pending_transfers() == ()


async def test_a_reorg_changes_the_block_at_the_fork(runtime: Runtime) -> None:
    adapter = DevnetAdapter(runtime.db, "polygon")
    async with runtime.db.session() as session:
        await DevnetService(session).mine(["polygon"], blocks=5)
    before = [await block_at(adapter, h) for h in range(6)]
    async with runtime.db.session() as session:
        await DevnetService(session).reorg("polygon", 2)
    after = [await block_at(adapter, h) for h in range(7)]
    assert [b.ref for b in after[:4]] == [b.ref for b in before[:4]]
    assert after[4].ref.hash != before[4].ref.hash
    assert after[4].parent_hash == before[3].ref.hash
    assert after[5].ref.hash != before[5].ref.hash
    assert (await adapter.tip()).height == 6
