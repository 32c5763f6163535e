"""Pure validation and normalisation of destination addresses, for every chain family.

No I/O. :func:`validate_address` either returns the canonical form or raises
:class:`~kassa.kit.errors.InvalidAddress` with one client-facing message per chain and the precise
cause in ``reason``. Address formats per network are defined here (``SEGWIT_HRP``,
``BASE58_VERSIONS``) and reused by key derivation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, get_args

from bip_utils import Base58Alphabets, Base58Decoder, Base58Encoder, Kekkak256
from bip_utils.base58.base58 import Base58Const, Base58Utils
from bip_utils.bech32.bech32 import Bech32Const, Bech32Encodings, Bech32Utils
from bip_utils.bech32.bech32_base import Bech32BaseConst, Bech32BaseUtils

from kassa.assets.registry import Chain
from kassa.chains.network import Network
from kassa.kit.errors import InvalidAddress

SEGWIT_HRP: Final[Mapping[tuple[str, Network], str]] = {
    ("btc", "mainnet"): "bc",
    ("btc", "testnet"): "tb",
    ("btc", "devnet"): "bcrt",
    ("ltc", "mainnet"): "ltc",
    ("ltc", "testnet"): "tltc",
    ("ltc", "devnet"): "rltc",
}
"""Bech32 human-readable part of native segwit addresses per (chain id, network)."""

BASE58_VERSIONS: Final[Mapping[tuple[str, Network], tuple[int, int]]] = {
    ("btc", "mainnet"): (0x00, 0x05),
    ("btc", "testnet"): (0x6F, 0xC4),
    ("btc", "devnet"): (0x6F, 0xC4),
    ("ltc", "mainnet"): (0x30, 0x32),
    ("ltc", "testnet"): (0x6F, 0x3A),
    ("ltc", "devnet"): (0x6F, 0x3A),
}
"""(P2PKH, P2SH) version bytes per (chain id, network). Litecoin's deprecated P2SH versions
(0x05 "3…" and 0xc4 "2…", shared with Bitcoin) are refused: the M/Q form is unambiguous."""

_MAX_LEN: Final = 128  # longer than any supported address; caps base58's quadratic decoding
_BECH32_MAX_LEN: Final = 90
_B58: Final = Base58Const.ALPHABETS[Base58Alphabets.BITCOIN]
_XRP_B58: Final = Base58Const.ALPHABETS[Base58Alphabets.RIPPLE]
_X_PREFIX: Final[Mapping[bytes, Network]] = {b"\x05\x44": "mainnet", b"\x04\x93": "testnet"}
_XRP_BURN: Final = frozenset({"rrrrrrrrrrrrrrrrrrrrrhoLvTp", "rrrrrrrrrrrrrrrrrrrrBZbvji"})
_MAX_TAG: Final = 2**32 - 1


@dataclass(frozen=True, slots=True)
class ValidAddress:
    """A destination in canonical form; ``destination_tag`` only on XRP."""

    address: str
    destination_tag: int | None = None


class _Bad(Exception):
    """Internal: carries the precise reason up to :func:`validate_address`."""


def validate_address(
    chain: Chain, network: Network, address: str, destination_tag: int | None = None
) -> ValidAddress:
    """Check ``address`` (and ``destination_tag``) for ``chain`` on ``network``; normalise it.

    Canonical forms: lowercase bech32, EIP-55 for EVM, base58 as given elsewhere, and for XRP
    the classic r-address plus the tag (an X-address is decoded into both). Surrounding
    whitespace is an error, not something to strip. A destination tag is accepted only on XRP.
    """
    if network not in get_args(Network):
        raise ValueError(f"unknown network {network!r}")  # configuration error, not client input
    try:
        _check_text(address)
        if chain.family != "xrp" and destination_tag is not None:
            raise _Bad(f"destination tag not supported on {chain.id.upper()}")
        if destination_tag is not None:
            _check_tag(destination_tag)
        if chain.family == "xrp":
            return _xrp(network, address, destination_tag)
        return ValidAddress(_VALIDATORS[chain.family](chain, network, address))
    except _Bad as exc:
        error = InvalidAddress(
            f"Invalid destination address format for {chain.id.upper()} network. "
            "Please check the address and try again.",
            reason=str(exc),
        )
        raise error from None


def _check_text(address: object) -> None:
    if not isinstance(address, str):
        raise _Bad("not a string")
    if not address:
        raise _Bad("empty address")
    if len(address) > _MAX_LEN:
        raise _Bad("too long")
    if any(c.isspace() for c in address):
        raise _Bad("contains whitespace")
    if not address.isascii() or not address.isprintable():
        raise _Bad("non-ASCII or control character")


def _check_tag(tag: object) -> None:
    if not isinstance(tag, int) or isinstance(tag, bool) or not 0 <= tag <= _MAX_TAG:
        raise _Bad("destination tag out of range (0..4294967295)")


def _utxo(chain: Chain, network: Network, address: str) -> str:
    sep = address.rfind("1")
    hrp = address[:sep].lower() if sep > 0 else ""
    if hrp in SEGWIT_HRP.values():
        return _segwit(chain, network, address, hrp)
    return _base58_utxo(chain, network, address)


def _segwit(chain: Chain, network: Network, address: str, hrp: str) -> str:
    expected = SEGWIT_HRP[(chain.id, network)]
    if hrp != expected:
        if hrp in _hrps_of(chain.id):
            raise _Bad(f"wrong network prefix '{hrp}' for {network}")
        raise _Bad(f"prefix '{hrp}' is not a {chain.id.upper()} address")
    if len(address) > _BECH32_MAX_LEN:
        raise _Bad("too long for bech32")
    if address not in (address.lower(), address.upper()):
        raise _Bad("mixed-case bech32")
    canonical = address.lower()
    data_part = canonical[len(hrp) + 1 :]
    bad = next((c for c in data_part if c not in Bech32BaseConst.CHARSET), None)
    if bad is not None:
        raise _Bad(f"invalid bech32 character '{bad}'")
    if len(data_part) < Bech32Const.CHECKSUM_STR_LEN + 1:
        raise _Bad("too short")
    data = [Bech32BaseConst.CHARSET.index(c) for c in data_part]
    version = data[0]
    encoding, other = (Bech32Encodings.BECH32, Bech32Encodings.BECH32M)
    if version != 0:
        encoding, other = other, encoding
    if not Bech32Utils.VerifyChecksum(hrp, data, encoding):
        if Bech32Utils.VerifyChecksum(hrp, data, other):
            wanted = "bech32" if version == 0 else "bech32m"
            raise _Bad(f"witness v{version} needs a {wanted} checksum")
        raise _Bad("bech32 checksum mismatch")
    _check_witness(version, data[1 : -Bech32Const.CHECKSUM_STR_LEN])
    return canonical


def _check_witness(version: int, program5: list[int]) -> None:
    if version > 16:
        raise _Bad(f"invalid witness version {version}")
    try:
        program = Bech32BaseUtils.ConvertFromBase32(program5)
    except ValueError:
        raise _Bad("invalid bech32 padding") from None
    size = len(program)
    if version == 0 and size not in (20, 32):
        raise _Bad(f"witness v0 program is {size} bytes, expected 20 or 32")
    if version == 1 and size != 32:
        raise _Bad(f"witness v1 program is {size} bytes, expected 32")
    if version > 1:
        raise _Bad(f"unsupported witness version {version}")


def _hrps_of(chain_id: str) -> set[str]:
    return {hrp for (cid, _), hrp in SEGWIT_HRP.items() if cid == chain_id}


def _base58_utxo(chain: Chain, network: Network, address: str) -> str:
    payload = _base58check(address, _B58, Base58Alphabets.BITCOIN)
    if len(payload) != 21:
        raise _Bad(f"payload is {len(payload)} bytes, expected 21")
    version = payload[0]
    if version in BASE58_VERSIONS[(chain.id, network)]:
        return address
    if chain.id == "ltc" and version in (0x05, 0xC4):
        raise _Bad(f"deprecated Litecoin P2SH version byte 0x{version:02x}")
    for (cid, _), versions in BASE58_VERSIONS.items():
        if cid == chain.id and version in versions:
            raise _Bad(f"wrong network version byte 0x{version:02x} for {network}")
    raise _Bad(f"unknown version byte 0x{version:02x}")


def _base58(address: str, alphabet: str, alph: Base58Alphabets) -> bytes:
    bad = next((c for c in address if c not in alphabet), None)
    if bad is not None:
        raise _Bad(f"invalid base58 character '{bad}'")
    return bytes(Base58Decoder.Decode(address, alph))


def _base58check(address: str, alphabet: str, alph: Base58Alphabets) -> bytes:
    raw = _base58(address, alphabet, alph)
    if len(raw) <= Base58Const.CHECKSUM_BYTE_LEN:
        raise _Bad("too short")
    payload, checksum = raw[:-4], raw[-4:]
    if bytes(Base58Utils.ComputeChecksum(payload)) != checksum:
        raise _Bad("base58 checksum mismatch")
    return payload


def _evm(chain: Chain, network: Network, address: str) -> str:
    if not address.startswith("0x"):
        raise _Bad("missing 0x prefix")
    body = address[2:]
    bad = next((c for c in body if c not in "0123456789abcdefABCDEF"), None)
    if bad is not None:
        raise _Bad(f"invalid hex character '{bad}'")
    if len(body) != 40:
        raise _Bad(f"not 20 bytes ({len(body)} hex characters)")
    checksummed = eip55(body)
    if body not in (body.lower(), body.upper()) and address != checksummed:
        raise _Bad("EIP-55 checksum mismatch")
    if int(body, 16) == 0:
        raise _Bad("zero address")
    return checksummed


def eip55(hex40: str) -> str:
    """``0x`` + the EIP-55 mixed-case checksum form of 40 hex digits (any case)."""
    lower = hex40.lower()
    digest = bytes(Kekkak256.QuickDigest(lower.encode("ascii"))).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(lower)
    )


def _tron(chain: Chain, network: Network, address: str) -> str:
    payload = _base58check(address, _B58, Base58Alphabets.BITCOIN)
    if len(payload) != 21:
        raise _Bad(f"payload is {len(payload)} bytes, expected 21")
    if payload[0] != 0x41:
        raise _Bad(f"wrong prefix byte 0x{payload[0]:02x}, expected 0x41")
    return address


def _solana(chain: Chain, network: Network, address: str) -> str:
    size = len(_base58(address, _B58, Base58Alphabets.BITCOIN))
    if size != 32:
        raise _Bad(f"not 32 bytes ({size})")
    return address


def _xrp(network: Network, address: str, tag: int | None) -> ValidAddress:
    if address[0] == "r":
        return ValidAddress(_xrp_classic(address), tag)
    if address[0] in "XT":
        classic, x_tag = _xrp_x_address(network, address)
        if x_tag is not None and tag is not None and x_tag != tag:
            raise _Bad("X-address tag conflicts with destination_tag")
        return ValidAddress(classic, x_tag if x_tag is not None else tag)
    raise _Bad("not an r-address or X-address")


def _xrp_classic(address: str) -> str:
    payload = _base58check(address, _XRP_B58, Base58Alphabets.RIPPLE)
    if len(payload) != 21 or payload[0] != 0:
        raise _Bad(f"not a classic account ({len(payload)} bytes, version 0x{payload[0]:02x})")
    if address in _XRP_BURN:
        raise _Bad("burn address")
    return address


def _xrp_x_address(network: Network, address: str) -> tuple[str, int | None]:
    payload = _base58check(address, _XRP_B58, Base58Alphabets.RIPPLE)
    if len(payload) != 31:
        raise _Bad(f"X-address payload is {len(payload)} bytes, expected 31")
    x_network = _X_PREFIX.get(payload[:2])
    if x_network is None:
        raise _Bad(f"unknown X-address prefix 0x{payload[:2].hex()}")
    if (x_network == "mainnet") != (network == "mainnet"):
        raise _Bad(f"wrong network prefix '{address[0]}' for {network}")
    flag, tag_bytes = payload[22], payload[23:31]
    if flag not in (0, 1) or tag_bytes[4:] != bytes(4) or (flag == 0 and any(tag_bytes)):
        raise _Bad("unsupported X-address tag encoding")
    classic = _xrp_classic(
        str(Base58Encoder.CheckEncode(b"\x00" + payload[2:22], Base58Alphabets.RIPPLE))
    )
    return classic, int.from_bytes(tag_bytes[:4], "little") if flag == 1 else None


_VALIDATORS: Final[Mapping[str, Callable[[Chain, Network, str], str]]] = {
    "utxo": _utxo,
    "evm": _evm,
    "tron": _tron,
    "solana": _solana,
}
