import re

import pytest
from bip_utils import Base58Decoder

from kassa.assets.registry import ChainFamily
from kassa.chains.devnet import hashes

HEX64 = re.compile(r"[0-9a-f]{64}")
UPPER_HEX64 = re.compile(r"[0-9A-F]{64}")


def _base58_len(text: str) -> int:
    return len(bytes(Base58Decoder.Decode(text)))


@pytest.mark.parametrize("family", ["utxo", "tron"])
def test_utxo_and_tron_ids_are_64_lowercase_hex(family: ChainFamily) -> None:
    assert HEX64.fullmatch(hashes.tx_hash(family))
    assert HEX64.fullmatch(hashes.block_hash(family))


def test_evm_ids_are_0x_prefixed_32_bytes() -> None:
    for value in (hashes.tx_hash("evm"), hashes.block_hash("evm")):
        assert value.startswith("0x")
        assert HEX64.fullmatch(value[2:])


def test_solana_signatures_are_64_bytes_and_blockhashes_32_in_base58() -> None:
    assert _base58_len(hashes.tx_hash("solana")) == 64
    assert _base58_len(hashes.block_hash("solana")) == 32
    assert hashes.zero_hash("solana") == "11111111111111111111111111111111"


def test_xrp_ids_are_64_uppercase_hex() -> None:
    assert UPPER_HEX64.fullmatch(hashes.tx_hash("xrp"))
    assert UPPER_HEX64.fullmatch(hashes.block_hash("xrp"))


def test_ids_are_random_and_genesis_is_fixed_per_chain() -> None:
    assert len({hashes.tx_hash("evm") for _ in range(100)}) == 100
    assert hashes.genesis_hash("evm", "eth") == hashes.genesis_hash("evm", "eth")
    assert hashes.genesis_hash("evm", "eth") != hashes.genesis_hash("evm", "bsc")
    assert hashes.zero_hash("evm") == "0x" + "0" * 64


def test_block_hash_needs_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        hashes.format_block_hash("utxo", b"\x00" * 31)
