"""Deposit addresses from an ACCOUNT-level extended public key; no private key is involved.

The account key is parsed once and its external chain (``…/0``) derived once, when the deriver
is made; ``derive(index)`` then costs a single public child derivation (``…/0/index``).

Accepted account keys, by the prefix of the serialised key (SLIP-132 version bytes; ``xpub`` and
``tpub`` are the generic BIP32 versions, e.g. from a descriptor wallet or Litecoin Core):

=============================  =============  ==================  ================================
chain                          mainnet        testnet / devnet    account path of the key
=============================  =============  ==================  ================================
btc (BIP84, P2WPKH)            zpub, xpub     vpub, tpub          m/84'/0'/0' (test: m/84'/1'/0')
ltc (BIP84, P2WPKH)            zpub, xpub     ttub, vpub, tpub    m/84'/2'/0' (test: m/84'/1'/0')
eth, bsc, polygon, arbitrum    xpub           xpub                m/44'/60'/0'
tron                           xpub           xpub                m/44'/195'/0'
xrp                            xpub           xpub                m/44'/144'/0'
=============================  =============  ==================  ================================

``ypub``/``upub`` (BIP49, wrapped segwit) keys, extended private keys and keys that are not at
depth 3 with a hardened index are refused: the addresses would not be the wallet's. Solana
(ed25519) has no public child derivation; see :func:`kassa.keys.seed.solana_addresses`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Protocol, get_args

from bip_utils import (
    Base58ChecksumError,
    Base58Decoder,
    Bip32KeyError,
    Bip32KeyNetVersions,
    Bip32Secp256k1,
    EthAddrEncoder,
    P2WPKHAddrEncoder,
    TrxAddrEncoder,
    XrpAddrEncoder,
)

from kassa.assets.registry import Chain
from kassa.chains.addresses import SEGWIT_HRP
from kassa.chains.network import Network

_HARDENED: Final = 0x8000_0000
_MAX_TAG_INDEX: Final = 2**32 - 2

# SLIP-132 extended key versions: name -> (public, private)
_VERSIONS: Final[dict[str, tuple[bytes, bytes]]] = {
    name: (bytes.fromhex(pub), bytes.fromhex(prv))
    for name, pub, prv in (
        ("xpub", "0488b21e", "0488ade4"),
        ("ypub", "049d7cb2", "049d7878"),
        ("zpub", "04b24746", "04b2430c"),
        ("tpub", "043587cf", "04358394"),
        ("upub", "044a5262", "044a4e28"),
        ("vpub", "045f1cf6", "045f18bc"),
        ("ttub", "0436f6e1", "0436ef7d"),
        ("Ltub", "019da462", "019d9cfe"),
        ("Mtub", "01b26ef6", "01b26792"),
    )
}
_PUBLIC: Final = {pub: name for name, (pub, _) in _VERSIONS.items()}
_PRIVATE: Final = {prv: name for name, (_, prv) in _VERSIONS.items()}


def accepted_prefixes(chain: Chain, network: Network) -> tuple[str, ...]:
    """The account-key prefixes :func:`make_deriver` accepts for ``chain`` on ``network``."""
    if chain.family != "utxo":
        return ("xpub",)
    if network == "mainnet":
        return ("zpub", "xpub")
    return ("ttub", "vpub", "tpub") if chain.id == "ltc" else ("vpub", "tpub")


@dataclass(frozen=True, slots=True)
class DepositTarget:
    """Where a buyer pays: ``address`` in canonical form (EIP-55 on EVM), plus an XRP tag."""

    address: str
    destination_tag: int | None = None


class AddressDeriver(Protocol):
    """Deterministic deposit targets of one account key; pure and safe to share."""

    def derive(self, index: int) -> DepositTarget:
        """The deposit target number ``index`` (0-based; ValueError when out of range)."""
        ...


class ChildDeriver:
    """``xpub/0/index``: one address per index, from the pre-derived external-chain key."""

    __slots__ = ("_change", "_encode")

    def __init__(self, change: Any, encode: Callable[[Any], str]) -> None:
        self._change = change
        self._encode = encode

    @property
    def change_context(self) -> Any:
        """The bip_utils ``Bip32Secp256k1`` context of ``xpub/0`` (depth 4), derived once."""
        return self._change

    def derive(self, index: int) -> DepositTarget:
        if not 0 <= index < _HARDENED:
            raise ValueError(f"address index must be in [0, 2**31), got {index}")
        return DepositTarget(self._encode(self._change.ChildKey(index).PublicKey().KeyObject()))


class TagDeriver:
    """XRP: one base address ``xpub/0/0`` for every payment; ``destination_tag = index + 1``."""

    __slots__ = ("_address",)

    def __init__(self, address: str) -> None:
        self._address = address

    def derive(self, index: int) -> DepositTarget:
        if not 0 <= index <= _MAX_TAG_INDEX:
            raise ValueError(f"XRP deposit index must be in [0, 2**32 - 2], got {index}")
        return DepositTarget(self._address, index + 1)


def make_deriver(chain: Chain, network: Network, xpub: str) -> AddressDeriver:
    """A deriver for ``chain`` on ``network`` from an account-level extended public key.

    Raises ValueError for an unusable key (see the module docstring for accepted prefixes) and
    for Solana, which has no public derivation.
    """
    if chain.family == "solana":
        raise ValueError(
            "solana keys are ed25519, which has no public child derivation: use a pre-derived "
            "address pool (kassa.keys.seed.solana_addresses) instead of an xpub"
        )
    if network not in get_args(Network):
        raise ValueError(f"unknown network {network!r}")
    change = _parse_account_key(chain, network, xpub).ChildKey(0)
    if chain.family == "xrp":
        return TagDeriver(_encoder(chain, network)(change.ChildKey(0).PublicKey().KeyObject()))
    return ChildDeriver(change, _encoder(chain, network))


def _encoder(chain: Chain, network: Network) -> Callable[[Any], str]:
    if chain.family == "utxo":
        return partial(P2WPKHAddrEncoder.EncodeKey, hrp=SEGWIT_HRP[(chain.id, network)])
    encoders: dict[str, Callable[[Any], str]] = {
        "evm": EthAddrEncoder.EncodeKey,
        "tron": TrxAddrEncoder.EncodeKey,
        "xrp": XrpAddrEncoder.EncodeKey,
    }
    return encoders[chain.family]


def _parse_account_key(chain: Chain, network: Network, xpub: str) -> Any:
    where = f"{chain.id} {network}"
    accepted = accepted_prefixes(chain, network)
    if not isinstance(xpub, str) or not xpub.isascii() or not xpub.isalnum():
        raise ValueError(f"invalid extended public key for {where}: not a base58 string")
    try:
        raw = bytes(Base58Decoder.CheckDecode(xpub))
    except Base58ChecksumError:
        raise ValueError(f"invalid extended public key for {where}: checksum mismatch") from None
    except ValueError:
        raise ValueError(f"invalid extended public key for {where}: not base58") from None
    if len(raw) != 78:
        raise ValueError(f"invalid extended public key for {where}: {len(raw)} bytes, not 78")
    version = raw[:4]
    if version in _PRIVATE:
        raise ValueError(
            f"an extended PRIVATE key ({_PRIVATE[version]}) was given for {where}; "
            "receiving needs only the account-level extended public key"
        )
    name = _PUBLIC.get(version, "0x" + version.hex())
    if name not in accepted:
        raise ValueError(
            f"extended key prefix {name!r} is not accepted for {where}; "
            f"expected one of {', '.join(accepted)}"
        )
    if raw[4] != 3 or int.from_bytes(raw[9:13], "big") < _HARDENED:
        raise ValueError(
            f"the extended public key for {where} is not account-level "
            f"(depth {raw[4]}, expected 3 with a hardened index, e.g. m/84'/0'/0')"
        )
    try:
        return Bip32Secp256k1.FromExtendedKey(xpub, Bip32KeyNetVersions(*_VERSIONS[name]))
    except Bip32KeyError as exc:
        raise ValueError(f"invalid extended public key for {where}: {exc}") from None
