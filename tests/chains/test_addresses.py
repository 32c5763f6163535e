"""Destination address validation: published vectors per family, and the precise reject reasons."""

from __future__ import annotations

import pytest
from bip_utils import Base58Alphabets, Base58Encoder, SegwitBech32Encoder

from kassa.assets.registry import Chain, registry
from kassa.chains.addresses import ValidAddress, validate_address
from kassa.chains.network import Network
from kassa.kit.errors import BadRequest, InvalidAddress

HASH20 = bytes(range(1, 21))


def chain(chain_id: str) -> Chain:
    return registry().chains[chain_id]


def ok(chain_id: str, address: str, network: Network = "mainnet", tag: int | None = None) -> str:
    result = validate_address(chain(chain_id), network, address, tag)
    assert result.destination_tag == tag or chain_id == "xrp"
    return result.address


def reason(
    chain_id: str, address: str, network: Network = "mainnet", tag: int | None = None
) -> str:
    with pytest.raises(InvalidAddress) as info:
        validate_address(chain(chain_id), network, address, tag)
    return info.value.reason


def b58(payload: bytes) -> str:
    return str(Base58Encoder.CheckEncode(payload))


# --- the error contract ---


def test_error_message_is_the_client_contract_and_reason_is_precise() -> None:
    with pytest.raises(InvalidAddress) as info:
        validate_address(chain("polygon"), "mainnet", "0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    assert info.value.message == (
        "Invalid destination address format for POLYGON network. "
        "Please check the address and try again."
    )
    assert info.value.reason == "EIP-55 checksum mismatch"
    assert isinstance(info.value, BadRequest)
    assert info.value.status_code == 400


@pytest.mark.parametrize("chain_id", ["btc", "ltc", "eth", "tron", "solana", "xrp"])
@pytest.mark.parametrize("address", [" rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", "x\n", "a b"])
def test_whitespace_is_rejected_not_stripped(chain_id: str, address: str) -> None:
    assert reason(chain_id, address) == "contains whitespace"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("", "empty address"),
        ("1" * 129, "too long"),
        ("0x5aAeb\u200b", "non-ASCII or control character"),
    ],
)
def test_garbage_text(address: str, why: str) -> None:
    assert reason("eth", address) == why


def test_destination_tag_only_on_xrp() -> None:
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert reason("eth", address, tag=1) == "destination tag not supported on ETH"


# --- BTC / LTC ---


@pytest.mark.parametrize(
    ("network", "address", "canonical"),
    [
        # BIP173 / BIP350 valid vectors
        (
            "mainnet",
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        ("testnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", None),
        ("testnet", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", None),
        ("mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", None),
        # BIP84 first receive address of the "abandon … about" mnemonic
        ("mainnet", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", None),
        # genesis coinbase P2PKH, a P2SH address, and testnet forms
        ("mainnet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None),
        ("mainnet", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", None),
        ("testnet", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", None),
        ("testnet", "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", None),
        ("devnet", "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", None),
    ],
)
def test_btc_valid(network: Network, address: str, canonical: str | None) -> None:
    assert ok("btc", address, network) == (canonical or address)


def test_btc_devnet_uses_regtest_hrp() -> None:
    bcrt = str(SegwitBech32Encoder.Encode("bcrt", 0, HASH20))
    assert ok("btc", bcrt, "devnet") == bcrt
    assert ok("btc", bcrt.upper(), "devnet") == bcrt
    assert reason("btc", bcrt, "testnet") == "wrong network prefix 'bcrt' for testnet"


@pytest.mark.parametrize(
    ("network", "address", "why"),
    [
        # BIP350 invalid vectors
        (
            "mainnet",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
            "witness v1 needs a bech32m checksum",
        ),
        (
            "testnet",
            "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
            "witness v2 needs a bech32m checksum",
        ),
        (
            "mainnet",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
            "witness v0 needs a bech32 checksum",
        ),
        (
            "mainnet",
            "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
            "invalid bech32 character 'o'",
        ),
        (
            "mainnet",
            "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
            "invalid witness version 17",
        ),
        ("mainnet", "bc1pw5dgrnzv", "witness v1 program is 1 bytes, expected 32"),
        (
            "mainnet",
            "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
            "witness v0 program is 16 bytes, expected 20 or 32",
        ),
        (
            "testnet",
            "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
            "mixed-case bech32",
        ),
        (
            "mainnet",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
            "invalid bech32 padding",
        ),
        (
            "testnet",
            "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
            "invalid bech32 padding",
        ),
        ("mainnet", "bc1gmk9yu", "too short"),
        # valid by BIP350 but not a safe destination today
        ("mainnet", "BC1SW50QGDZ25J", "unsupported witness version 16"),
        (
            "mainnet",
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
            "witness v1 program is 40 bytes, expected 32",
        ),
        # checksum, network, chain
        ("mainnet", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv", "bech32 checksum mismatch"),
        (
            "mainnet",
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "wrong network prefix 'tb' for mainnet",
        ),
        (
            "devnet",
            "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
            "wrong network prefix 'bc' for devnet",
        ),
        (
            "mainnet",
            "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh",
            "prefix 'ltc' is not a BTC address",
        ),
        ("mainnet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "base58 checksum mismatch"),
        (
            "mainnet",
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "wrong network version byte 0x6f for mainnet",
        ),
        (
            "testnet",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "wrong network version byte 0x05 for testnet",
        ),
        ("mainnet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a", "invalid base58 character '0'"),
        ("mainnet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNl", "invalid base58 character 'l'"),
    ],
)
def test_btc_invalid(network: Network, address: str, why: str) -> None:
    assert reason("btc", address, network) == why


def test_btc_base58_wrong_length_and_long_bech32() -> None:
    assert reason("btc", b58(b"\x00" + HASH20 + b"\x00")) == "payload is 22 bytes, expected 21"
    long_v0 = str(SegwitBech32Encoder.Encode("bc", 0, bytes(32)))
    assert reason("btc", long_v0 + "q" * 40) == "too long for bech32"
    assert reason("btc", b58(b"\x30" + HASH20)) == "unknown version byte 0x30"


def test_ltc_formats_per_network() -> None:
    # the BIP84 vector of "abandon … about" at m/84'/2'/0'/0/0, and a P2PKH L-address
    assert ok("ltc", "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh") == (
        "ltc1qjmxnz78nmc8nq77wuxh25n2es7rzm5c2rkk4wh"
    )
    assert ok("ltc", "LdP8Qox1VAhCzLJNqrr74YovaWYyNBUWvL") == "LdP8Qox1VAhCzLJNqrr74YovaWYyNBUWvL"
    m_address = b58(b"\x32" + HASH20)
    assert m_address.startswith("M")
    assert ok("ltc", m_address) == m_address
    q_address = b58(b"\x3a" + HASH20)
    assert ok("ltc", q_address, "testnet") == q_address
    assert ok("ltc", q_address, "devnet") == q_address
    hrps: tuple[tuple[str, Network], ...] = (
        ("ltc", "mainnet"),
        ("tltc", "testnet"),
        ("rltc", "devnet"),
    )
    for hrp, network in hrps:
        address = str(SegwitBech32Encoder.Encode(hrp, 0, HASH20))
        assert ok("ltc", address, network) == address
    rltc = str(SegwitBech32Encoder.Encode("rltc", 0, HASH20))
    assert reason("ltc", rltc, "testnet") == "wrong network prefix 'rltc' for testnet"
    assert reason("ltc", q_address) == "wrong network version byte 0x3a for mainnet"


def test_ltc_rejects_bitcoin_addresses() -> None:
    assert reason("ltc", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu") == (
        "prefix 'bc' is not a LTC address"
    )
    assert reason("ltc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa") == "unknown version byte 0x00"
    assert reason("ltc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy") == (
        "deprecated Litecoin P2SH version byte 0x05"
    )


# --- EVM ---

EIP55_EXAMPLES = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
@pytest.mark.parametrize("chain_id", ["eth", "bsc", "polygon", "arbitrum"])
def test_evm_eip55_examples(chain_id: str, address: str) -> None:
    assert ok(chain_id, address) == address  # the EIP's examples are already canonical


@pytest.mark.parametrize("address", EIP55_EXAMPLES[4:])
def test_evm_single_case_input_is_returned_checksummed(address: str) -> None:
    assert ok("eth", "0x" + address[2:].lower()) == address
    assert ok("eth", "0x" + address[2:].upper(), "devnet") == address


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "EIP-55 checksum mismatch"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "not 20 bytes (38 hex characters)"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00", "not 20 bytes (42 hex characters)"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "invalid hex character 'g'"),
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "missing 0x prefix"),
        ("0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "missing 0x prefix"),
        ("0x" + "0" * 40, "zero address"),
    ],
)
def test_evm_invalid(address: str, why: str) -> None:
    assert reason("eth", address) == why


# --- TRON ---


@pytest.mark.parametrize("network", ["mainnet", "testnet", "devnet"])
def test_tron_valid(network: Network) -> None:
    # USDT-TRC20 contract, and the "abandon … about" m/44'/195'/0'/0/0 address
    for address in ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"):
        assert ok("tron", address, network) == address


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "base58 checksum mismatch"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6O", "invalid base58 character 'O'"),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "wrong prefix byte 0x00, expected 0x41"),
        ("0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C", "invalid base58 character '0'"),
    ],
)
def test_tron_invalid(address: str, why: str) -> None:
    assert reason("tron", address) == why


def test_tron_wrong_length() -> None:
    assert reason("tron", b58(b"\x41" + HASH20 + b"\x00")) == "payload is 22 bytes, expected 21"


# --- Solana ---


@pytest.mark.parametrize(
    "address",
    [
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",  # USDC mint
        "11111111111111111111111111111111",  # system program
        "HAgk14JpMQLgt6rVgv7cBQFJWFto5Dqxi472uT3DKpqk",  # "abandon … about" m/44'/501'/0'/0'
    ],
)
def test_solana_valid(address: str) -> None:
    assert ok("solana", address) == address


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("1" * 31, "not 32 bytes (31)"),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "not 32 bytes (25)"),
        ("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1vEPjFW", "not 32 bytes (36)"),
        ("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1I", "invalid base58 character 'I'"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "invalid base58 character '0'"),
    ],
)
def test_solana_invalid(address: str, why: str) -> None:
    assert reason("solana", address) == why


# --- XRP ---

# XLS-5d / ripple-address-codec vectors: (classic, tag, mainnet X-address, test T-address)
X_ADDRESSES = [
    (
        "r9cZA1mLK5R5Am25ArfXFmqgNwjZgnfk59",
        None,
        "X7AcgcsBL6XDcUb289X4mJ8djcdyKaB5hJDWMArnXr61cqZ",
        "T719a5UwUCnEs54UsxG9CJYYDhwmFCqkr7wxCcNcfZ6p5GZ",
    ),
    (
        "r9cZA1mLK5R5Am25ArfXFmqgNwjZgnfk59",
        1,
        "X7AcgcsBL6XDcUb289X4mJ8djcdyKaGZMhc9YTE92ehJ2Fu",
        "T719a5UwUCnEs54UsxG9CJYYDhwmFCvbJNZbi37gBGkRkbE",
    ),
    (
        "rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf",
        0,
        "XVLhHMPHU98es4dbozjVtdWzVrDjtV8AqEL4xcZj5whKbmc",
        "TVE26TYGhfLC7tQDno7G8dGtxSkYQnSy8RHqGHoGJ59spi2",
    ),
    (
        "rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf",
        16781933,
        "XVLhHMPHU98es4dbozjVtdWzVrDjtVqrDUk2vDpkTjPsY73",
        "TVE26TYGhfLC7tQDno7G8dGtxSkYQnVsw45sDtGHhLi27Qa",
    ),
    (
        "rGWrZyQqhTp9Xu7G5Pkayo7bXjH4k4QYpf",
        4294967295,
        "XVLhHMPHU98es4dbozjVtdWzVrDjtV18pX8yuPT7y4xaEHi",
        "TVE26TYGhfLC7tQDno7G8dGtxSkYQnXoy6kSDh6rZzApc69",
    ),
    (
        "rPEPPER7kfTD9w2To4CQk6UCfuHM9c6GDY",
        13371337,
        "XV5sbjUmgPpvXv4ixFWZ5ptAYZ6PD2qwGkhgc48zzcx6Gkr",
        "TVd2rqMkYL2AyS97NdELcpeiprNBjwVUDvp3vhpXbNhLwJi",
    ),
]


def test_xrp_classic_address_and_tag() -> None:
    genesis = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh"
    assert validate_address(chain("xrp"), "mainnet", genesis) == ValidAddress(genesis)
    assert validate_address(chain("xrp"), "devnet", genesis, 7) == ValidAddress(genesis, 7)
    assert validate_address(chain("xrp"), "mainnet", genesis, 0) == ValidAddress(genesis, 0)


@pytest.mark.parametrize(("classic", "tag", "x_main", "x_test"), X_ADDRESSES)
def test_xrp_x_addresses_decode_to_classic_and_tag(
    classic: str, tag: int | None, x_main: str, x_test: str
) -> None:
    expected = ValidAddress(classic, tag)
    assert validate_address(chain("xrp"), "mainnet", x_main) == expected
    assert validate_address(chain("xrp"), "testnet", x_test) == expected
    assert validate_address(chain("xrp"), "devnet", x_test) == expected
    assert reason("xrp", x_test, "mainnet") == "wrong network prefix 'T' for mainnet"
    assert reason("xrp", x_main, "devnet") == "wrong network prefix 'X' for devnet"


def test_xrp_x_address_tag_versus_separate_tag() -> None:
    classic, _, x_main, _ = X_ADDRESSES[1]  # tag 1
    assert validate_address(chain("xrp"), "mainnet", x_main, 1) == ValidAddress(classic, 1)
    assert reason("xrp", x_main, tag=2) == "X-address tag conflicts with destination_tag"
    tagless_classic, _, tagless, _ = X_ADDRESSES[0]
    assert validate_address(chain("xrp"), "mainnet", tagless, 5) == ValidAddress(tagless_classic, 5)


@pytest.mark.parametrize(
    ("address", "tag", "why"),
    [
        ("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTi", None, "base58 checksum mismatch"),
        ("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyT0", None, "invalid base58 character '0'"),
        (
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
            2**32,
            "destination tag out of range (0..4294967295)",
        ),
        ("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", -1, "destination tag out of range (0..4294967295)"),
        ("rrrrrrrrrrrrrrrrrrrrrhoLvTp", None, "burn address"),
        ("XVLhHMPHU98es4dbozjVtdWzVrDjtV5fdx1mHp98tDMoQXa", None, "base58 checksum mismatch"),
        # a 64-bit tag: allowed by the format's width, refused by XLS-5d
        (
            "XVLhHMPHU98es4dbozjVtdWzVrDjtV18pX8zeUygYrCgrPh",
            None,
            "unsupported X-address tag encoding",
        ),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None, "not an r-address or X-address"),
    ],
)
def test_xrp_invalid(address: str, tag: int | None, why: str) -> None:
    assert reason("xrp", address, tag=tag) == why


def test_xrp_wrong_length() -> None:
    short = str(Base58Encoder.CheckEncode(b"\x00" + HASH20[:19], Base58Alphabets.RIPPLE))
    assert short.startswith("r")
    assert reason("xrp", short) == "not a classic account (20 bytes, version 0x00)"
