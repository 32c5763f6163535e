"""Devnet test helpers: real devnet-format addresses from a fixed test seed, block lookups."""

from __future__ import annotations

from functools import cache

from bip_utils import Base58Alphabets, Base58Decoder, Base58Encoder

from kassa.assets.registry import registry
from kassa.chains.base import Block, ChainAdapter
from kassa.keys.derivation import make_deriver
from kassa.keys.seed import account_xpubs, solana_addresses

TEST_MNEMONIC = (
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
)


@cache
def _xpubs() -> dict[str, str]:
    return account_xpubs(TEST_MNEMONIC, "devnet")


@cache
def devnet_address(chain_id: str, index: int = 0) -> str:
    """Deposit address ``index`` of ``chain_id`` on the devnet (XRP: the shared r-address)."""
    if chain_id == "solana":
        return solana_addresses(TEST_MNEMONIC, index, 1)[0]
    chain = registry().chains[chain_id]
    return make_deriver(chain, "devnet", _xpubs()[chain_id]).derive(index).address


def x_address(classic: str, tag: int | None) -> str:
    """The testnet X-address (``T...``, as used on the devnet) of ``classic`` and ``tag``."""
    account_id = bytes(Base58Decoder.CheckDecode(classic, Base58Alphabets.RIPPLE))[1:]
    flag = b"\x00" if tag is None else b"\x01"
    tag_bytes = (tag or 0).to_bytes(4, "little") + bytes(4)
    payload = b"\x04\x93" + account_id + flag + tag_bytes
    return str(Base58Encoder.CheckEncode(payload, Base58Alphabets.RIPPLE))


async def block_at(adapter: ChainAdapter, height: int) -> Block:
    """The main-chain block at ``height``, which must exist."""
    block = await adapter.block(height)
    assert block is not None, f"no block at height {height}"
    return block
