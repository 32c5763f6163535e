"""Real-format block and transaction ids for the devnet, per chain family (pure, no I/O).

===========  ====================================  ==========================================
family       transaction id                        block hash
===========  ====================================  ==========================================
utxo, tron   64 lowercase hex                      64 lowercase hex
evm          ``0x`` + 64 lowercase hex             ``0x`` + 64 lowercase hex
solana       base58 of 64 bytes (a signature)      base58 of 32 bytes
xrp          64 UPPERCASE hex                      64 UPPERCASE hex (ledger hash)
===========  ====================================  ==========================================

Random ids come from :mod:`secrets`. A chain's genesis block hash is deterministic, so that every
process (and a read-only adapter on an empty database) agrees on it without coordination.
"""

from __future__ import annotations

import hashlib
import secrets

from bip_utils import Base58Encoder

from kassa.assets.registry import ChainFamily


def tx_hash(family: ChainFamily) -> str:
    """A fresh random transaction id in ``family``'s native format."""
    if family == "solana":
        return _base58(secrets.token_bytes(64))
    return _hex(family, secrets.token_bytes(32))


def tx_hash_of(family: ChainFamily, seed: bytes) -> str:
    """The transaction id ``seed`` always maps to, in ``family``'s format (repeatable)."""
    if family == "solana":
        return _base58(hashlib.sha512(seed).digest())
    return _hex(family, hashlib.sha256(seed).digest())


def block_hash(family: ChainFamily) -> str:
    """A fresh random block hash in ``family``'s native format."""
    return format_block_hash(family, secrets.token_bytes(32))


def genesis_hash(family: ChainFamily, chain_id: str) -> str:
    """The fixed hash of ``chain_id``'s devnet genesis block (height 0)."""
    return format_block_hash(family, hashlib.sha256(f"kassa-devnet:{chain_id}".encode()).digest())


def zero_hash(family: ChainFamily) -> str:
    """The all-zero hash: the genesis block's parent."""
    return format_block_hash(family, bytes(32))


def format_block_hash(family: ChainFamily, digest: bytes) -> str:
    """32 bytes written the way ``family``'s nodes write a block hash."""
    if len(digest) != 32:
        raise ValueError(f"a block hash is 32 bytes, got {len(digest)}")
    if family == "solana":
        return _base58(digest)
    return _hex(family, digest)


def _hex(family: ChainFamily, raw: bytes) -> str:
    if family == "evm":
        return "0x" + raw.hex()
    if family == "xrp":
        return raw.hex().upper()
    return raw.hex()


def _base58(raw: bytes) -> str:
    return str(Base58Encoder.Encode(raw))
