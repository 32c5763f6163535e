"""Receive-side derivation from account xpubs: published vectors, key checks, no re-parsing."""

from __future__ import annotations

import pytest
from bip_utils import (
    Base58Decoder,
    Base58Encoder,
    Bip32KeyDeserializer,
    Bip39SeedGenerator,
    Bip44,
    Bip44Changes,
    Bip44Coins,
    Bip84,
    Bip84Coins,
)

from kassa.assets.registry import Chain, registry
from kassa.chains.network import Network
from kassa.keys.derivation import (
    ChildDeriver,
    DepositTarget,
    TagDeriver,
    accepted_prefixes,
    make_deriver,
)

# BIP84 test vector: "abandon … about", account 0
BIP84_ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf"
    "31mGDtKsAYz2oz2AGutZYs"
)
BIP84_RECEIVE = [
    "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
    "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
]
# m/44'/60'/0' of the same mnemonic; its xpub/0/0 is the well-known 0x9858…Eda94
ETH_XPUB = (
    "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM"
    "6si3yZdUsT8ddYM3PwnATt"
)
VERSIONS = {
    "xpub": "0488b21e",
    "xprv": "0488ade4",
    "ypub": "049d7cb2",
    "zpub": "04b24746",
    "tpub": "043587cf",
    "vpub": "045f1cf6",
    "Ltub": "019da462",
}


def chain(chain_id: str) -> Chain:
    return registry().chains[chain_id]


def reprefix(key: str, prefix: str) -> str:
    """The same key material under other SLIP-132 version bytes."""
    raw = bytes(Base58Decoder.CheckDecode(key))
    return str(Base58Encoder.CheckEncode(bytes.fromhex(VERSIONS[prefix]) + raw[4:]))


def truncated(key: str) -> str:
    return str(Base58Encoder.CheckEncode(bytes(Base58Decoder.CheckDecode(key))[:-1]))


def with_raw(key: str, edit: int, value: bytes) -> str:
    raw = bytes(Base58Decoder.CheckDecode(key))
    return str(Base58Encoder.CheckEncode(raw[:edit] + value + raw[edit + len(value) :]))


def test_bip84_vector() -> None:
    deriver = make_deriver(chain("btc"), "mainnet", BIP84_ZPUB)
    assert [deriver.derive(i).address for i in (0, 1)] == BIP84_RECEIVE
    assert deriver.derive(0) == DepositTarget(BIP84_RECEIVE[0])


def test_generic_xpub_prefix_is_the_same_key() -> None:
    deriver = make_deriver(chain("btc"), "mainnet", reprefix(BIP84_ZPUB, "xpub"))
    assert deriver.derive(1).address == BIP84_RECEIVE[1]


def test_testnet_and_devnet_prefixes_and_hrps() -> None:
    vpub = reprefix(BIP84_ZPUB, "vpub")  # same key material, testnet versions
    tpub = reprefix(BIP84_ZPUB, "tpub")
    testnet = make_deriver(chain("btc"), "testnet", vpub).derive(0).address
    assert testnet.startswith("tb1q")
    assert make_deriver(chain("btc"), "testnet", tpub).derive(0).address == testnet
    assert make_deriver(chain("btc"), "devnet", vpub).derive(0).address.startswith("bcrt1q")
    assert make_deriver(chain("ltc"), "testnet", vpub).derive(0).address.startswith("tltc1q")
    assert make_deriver(chain("ltc"), "devnet", tpub).derive(0).address.startswith("rltc1q")
    assert make_deriver(chain("ltc"), "mainnet", BIP84_ZPUB).derive(0).address.startswith("ltc1q")


def test_accepted_prefixes() -> None:
    assert accepted_prefixes(chain("btc"), "mainnet") == ("zpub", "xpub")
    assert accepted_prefixes(chain("btc"), "devnet") == ("vpub", "tpub")
    assert accepted_prefixes(chain("ltc"), "testnet") == ("ttub", "vpub", "tpub")
    for chain_id in ("eth", "bsc", "polygon", "arbitrum", "tron", "xrp"):
        assert accepted_prefixes(chain(chain_id), "devnet") == ("xpub",)


@pytest.mark.parametrize("chain_id", ["eth", "bsc", "polygon", "arbitrum"])
def test_evm_vector_is_eip55(chain_id: str) -> None:
    deriver = make_deriver(chain(chain_id), "mainnet", ETH_XPUB)
    assert deriver.derive(0).address == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
    assert deriver.derive(1).address == "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0"


def test_xrp_one_address_and_a_tag_per_index() -> None:
    xpub = str(
        Bip44.FromSeed(_abandon_seed(), Bip44Coins.RIPPLE)
        .Purpose()
        .Coin()
        .Account(0)
        .PublicKey()
        .ToExtended()
    )
    deriver = make_deriver(chain("xrp"), "mainnet", xpub)
    assert isinstance(deriver, TagDeriver)
    base = "rHsMGQEkVNJmpGWs8XUBoTBiAAbwxZN5v3"  # "abandon … about" m/44'/144'/0'/0/0
    assert deriver.derive(0) == DepositTarget(base, 1)
    assert deriver.derive(41) == DepositTarget(base, 42)
    assert deriver.derive(2**32 - 2) == DepositTarget(base, 2**32 - 1)
    for bad in (2**32 - 1, -1):
        with pytest.raises(ValueError, match="XRP deposit index"):
            deriver.derive(bad)


def test_tron_vector() -> None:
    xpub = str(
        Bip44.FromSeed(_abandon_seed(), Bip44Coins.TRON)
        .Purpose()
        .Coin()
        .Account(0)
        .PublicKey()
        .ToExtended()
    )
    deriver = make_deriver(chain("tron"), "mainnet", xpub)
    assert deriver.derive(0).address == "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"
    assert deriver.derive(1).address == "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK"


def test_solana_has_no_public_derivation() -> None:
    with pytest.raises(ValueError, match="ed25519"):
        make_deriver(chain("solana"), "mainnet", ETH_XPUB)


@pytest.mark.parametrize(
    ("chain_id", "network", "key", "match"),
    [
        ("btc", "mainnet", "not-an-xpub", "not a base58 string"),
        ("btc", "mainnet", BIP84_ZPUB[:-1] + "t", "checksum mismatch"),
        ("btc", "mainnet", truncated(BIP84_ZPUB), "77 bytes, not 78"),
        ("btc", "mainnet", reprefix(BIP84_ZPUB, "xprv"), "PRIVATE"),
        ("btc", "mainnet", reprefix(BIP84_ZPUB, "ypub"), "'ypub' is not accepted for btc mainnet"),
        (
            "btc",
            "testnet",
            BIP84_ZPUB,
            "'zpub' is not accepted for btc testnet; expected one of vpub",
        ),
        ("btc", "devnet", reprefix(BIP84_ZPUB, "xpub"), "'xpub' is not accepted"),
        ("ltc", "mainnet", reprefix(BIP84_ZPUB, "Ltub"), "'Ltub' is not accepted"),
        ("eth", "mainnet", BIP84_ZPUB, "'zpub' is not accepted for eth mainnet"),
        ("eth", "mainnet", with_raw(ETH_XPUB, 4, b"\x04"), "not account-level"),
        ("eth", "mainnet", with_raw(ETH_XPUB, 9, b"\x00\x00\x00\x00"), "not account-level"),
        ("eth", "mainnet", with_raw(ETH_XPUB, 45, b"\x02" + b"\xff" * 32), "Invalid public key"),
    ],
)
def test_unusable_keys_are_refused_clearly(
    chain_id: str, network: Network, key: str, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        make_deriver(chain(chain_id), network, key)


def test_index_range() -> None:
    deriver = make_deriver(chain("eth"), "mainnet", ETH_XPUB)
    assert deriver.derive(2**31 - 1).address.startswith("0x")
    for bad in (-1, 2**31):
        with pytest.raises(ValueError, match="address index"):
            deriver.derive(bad)


def test_derivation_does_not_reparse_the_xpub(monkeypatch: pytest.MonkeyPatch) -> None:
    deriver = make_deriver(chain("eth"), "mainnet", ETH_XPUB)
    assert isinstance(deriver, ChildDeriver)
    change = deriver.change_context
    assert change.Depth().ToInt() == 4  # m/44'/60'/0'/0, derived once in make_deriver
    assert change.IsPublicOnly()

    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the xpub was parsed again")

    monkeypatch.setattr(Bip32KeyDeserializer, "DeserializeKey", boom)
    monkeypatch.setattr(Base58Decoder, "CheckDecode", boom)
    addresses = {deriver.derive(i).address for i in range(1000)}
    assert len(addresses) == 1000
    assert deriver.change_context is change


def test_matches_bip_utils_direct_derivation() -> None:
    eth = Bip44.FromExtendedKey(ETH_XPUB, Bip44Coins.ETHEREUM).Change(Bip44Changes.CHAIN_EXT)
    btc = Bip84.FromExtendedKey(BIP84_ZPUB, Bip84Coins.BITCOIN).Change(Bip44Changes.CHAIN_EXT)
    eth_deriver = make_deriver(chain("eth"), "mainnet", ETH_XPUB)
    btc_deriver = make_deriver(chain("btc"), "mainnet", BIP84_ZPUB)
    for i in (0, 1, 2, 19, 1000, 2**31 - 1):
        assert eth_deriver.derive(i).address == eth.AddressIndex(i).PublicKey().ToAddress()
        assert btc_deriver.derive(i).address == btc.AddressIndex(i).PublicKey().ToAddress()


def _abandon_seed() -> bytes:
    return bytes(Bip39SeedGenerator(" ".join(["abandon"] * 11 + ["about"])).Generate())
