"""The private side: mnemonics, account xpubs, the Solana pool, the xpub/private round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bip_utils import (
    Bip39MnemonicValidator,
    Ed25519PrivateKey,
    EthAddrEncoder,
    P2WPKHAddrEncoder,
    Secp256k1PrivateKey,
    SolAddrEncoder,
    TrxAddrEncoder,
    WifDecoder,
    XrpAddrEncoder,
)

from kassa.assets.registry import Chain, registry
from kassa.chains.network import Network
from kassa.keys.derivation import make_deriver
from kassa.keys.seed import account_xpubs, new_mnemonic, private_key_hex, solana_addresses

ABANDON = " ".join(["abandon"] * 11 + ["about"])
NETWORKS: tuple[Network, ...] = ("mainnet", "testnet", "devnet")
HRP = {
    ("btc", "mainnet"): "bc",
    ("btc", "testnet"): "tb",
    ("btc", "devnet"): "bcrt",
    ("ltc", "mainnet"): "ltc",
    ("ltc", "testnet"): "tltc",
    ("ltc", "devnet"): "rltc",
}


def chain(chain_id: str) -> Chain:
    return registry().chains[chain_id]


def address_from_private(target: Chain, network: Network, key_hex: str) -> str:
    """Independent of kassa.keys: the address a private key controls, via bip_utils encoders."""
    public = Secp256k1PrivateKey.FromBytes(bytes.fromhex(key_hex)).PublicKey()
    encoders: dict[str, Callable[[Any], Any]] = {
        "utxo": lambda k: P2WPKHAddrEncoder.EncodeKey(k, hrp=HRP.get((target.id, network))),
        "evm": EthAddrEncoder.EncodeKey,
        "tron": TrxAddrEncoder.EncodeKey,
        "xrp": XrpAddrEncoder.EncodeKey,
    }
    return str(encoders[target.family](public))


def test_new_mnemonic_is_a_fresh_valid_24_word_phrase() -> None:
    first, second = new_mnemonic(), new_mnemonic()
    assert len(first.split()) == 24
    assert Bip39MnemonicValidator().IsValid(first)
    assert first != second


def test_account_xpubs_cover_every_chain_but_solana() -> None:
    xpubs = account_xpubs(ABANDON, "mainnet")
    assert set(xpubs) == set(registry().chains) - {"solana"}
    # BIP84 test vector: the account-level zpub of "abandon … about"
    assert xpubs["btc"] == (
        "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf"
        "31mGDtKsAYz2oz2AGutZYs"
    )
    assert len({xpubs[c] for c in ("eth", "bsc", "polygon", "arbitrum")}) == 1
    assert xpubs["ltc"].startswith("zpub")
    assert xpubs["tron"].startswith("xpub")


def test_account_xpub_prefixes_off_mainnet() -> None:
    for network in ("testnet", "devnet"):
        xpubs = account_xpubs(ABANDON, network)
        assert xpubs["btc"].startswith("vpub")
        assert xpubs["ltc"].startswith("ttub")
        assert xpubs["eth"] == account_xpubs(ABANDON, "mainnet")["eth"]


@pytest.mark.parametrize("network", NETWORKS)
def test_round_trip_xpub_side_equals_private_side(network: Network) -> None:
    mnemonic = new_mnemonic()
    xpubs = account_xpubs(mnemonic, network)
    for chain_id, xpub in xpubs.items():
        target = chain(chain_id)
        deriver = make_deriver(target, network, xpub)
        indexes = (0,) if target.family == "xrp" else (0, 1, 7)
        for index in indexes:
            key_hex = private_key_hex(mnemonic, target, network, index)
            assert len(bytes.fromhex(key_hex)) == 32
            assert deriver.derive(index).address == address_from_private(target, network, key_hex)


def test_private_key_vectors() -> None:
    # BIP84: m/84'/0'/0'/0/0 of "abandon … about"
    wif_key = bytes(WifDecoder.Decode("KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d")[0])
    assert private_key_hex(ABANDON, chain("btc"), "mainnet", 0) == wif_key.hex()
    # m/44'/60'/0'/0/0 controls 0x9858EfFD232B4033E47d90003D41EC34EcaEda94
    eth_key = private_key_hex(ABANDON, chain("eth"), "mainnet", 0)
    assert address_from_private(chain("eth"), "mainnet", eth_key) == (
        "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    )
    assert private_key_hex(ABANDON, chain("polygon"), "devnet", 0) == eth_key


def test_xrp_has_one_key() -> None:
    key = private_key_hex(ABANDON, chain("xrp"), "mainnet", 0)
    assert (
        address_from_private(chain("xrp"), "mainnet", key) == "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"
    )
    with pytest.raises(ValueError, match="one key"):
        private_key_hex(ABANDON, chain("xrp"), "mainnet", 1)


def test_solana_pool() -> None:
    pool = solana_addresses(ABANDON, 0, 3)
    assert pool[0] == "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqk"  # m/44'/501'/0'/0'
    assert len(set(pool)) == 3
    assert solana_addresses(ABANDON, 1, 2) == pool[1:]
    assert solana_addresses(ABANDON, 5, 0) == []
    for index in (0, 2):
        key = private_key_hex(ABANDON, chain("solana"), "mainnet", index)
        public = Ed25519PrivateKey.FromBytes(bytes.fromhex(key)).PublicKey()
        assert SolAddrEncoder.EncodeKey(public) == pool[index]


@pytest.mark.parametrize(("start", "count"), [(-1, 1), (0, -1), (2**31 - 1, 2)])
def test_solana_range_is_checked(start: int, count: int) -> None:
    with pytest.raises(ValueError, match="solana account range"):
        solana_addresses(ABANDON, start, count)


@pytest.mark.parametrize(
    "mnemonic",
    [
        "abandon " * 11 + "abandon",  # bad checksum
        "abandon abandon",  # bad word count
        " ".join(["abandon"] * 11 + ["notaword"]),
    ],
)
def test_invalid_mnemonic(mnemonic: str) -> None:
    with pytest.raises(ValueError, match="invalid BIP39 mnemonic") as info:
        account_xpubs(mnemonic, "mainnet")
    assert "notaword" not in str(info.value)


def test_private_key_index_range() -> None:
    for bad in (-1, 2**31):
        with pytest.raises(ValueError, match="key index"):
            private_key_hex(ABANDON, chain("eth"), "mainnet", bad)
