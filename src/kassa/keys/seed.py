"""The private side: a BIP39 seed and what is derived from it.

Only the devnet and the signer use this module; the API never does (receiving needs only the
account xpubs, see :mod:`kassa.keys.derivation`). Paths, account 0, external chain:

* btc, ltc: BIP84 ``m/84'/coin'/0'/0/i`` (coin 0 / 2 on mainnet, 1 on testnet and devnet)
* evm chains: ``m/44'/60'/0'/0/i`` · tron: ``m/44'/195'/0'/0/i`` · xrp: ``m/44'/144'/0'/0/0``
* solana: ``m/44'/501'/i'/0'`` (every level hardened, ed25519 / SLIP-10)
"""

from __future__ import annotations

from typing import Any, Final

from bip_utils import (
    Bip39MnemonicGenerator,
    Bip39SeedGenerator,
    Bip39WordsNum,
    Bip44,
    Bip44Changes,
    Bip44Coins,
    Bip84,
    Bip84Coins,
    MnemonicChecksumError,
)

from kassa.assets.registry import Chain, registry
from kassa.chains.network import Network

_HARDENED: Final = 0x8000_0000
_BIP84_COINS: Final[dict[tuple[str, Network], Any]] = {
    ("btc", "mainnet"): Bip84Coins.BITCOIN,
    ("btc", "testnet"): Bip84Coins.BITCOIN_TESTNET,
    ("btc", "devnet"): Bip84Coins.BITCOIN_REGTEST,
    ("ltc", "mainnet"): Bip84Coins.LITECOIN,
    ("ltc", "testnet"): Bip84Coins.LITECOIN_TESTNET,
    ("ltc", "devnet"): Bip84Coins.LITECOIN_TESTNET,
}
_BIP44_COINS: Final[dict[str, Any]] = {
    "evm": Bip44Coins.ETHEREUM,
    "tron": Bip44Coins.TRON,
    "xrp": Bip44Coins.RIPPLE,
}


def new_mnemonic() -> str:
    """A fresh random 24-word English BIP39 mnemonic (256 bits of entropy)."""
    return str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_24).ToStr())


def account_xpubs(mnemonic: str, network: Network) -> dict[str, str]:
    """Chain id -> account-level extended public key, for every registry chain but solana.

    BTC and LTC keys come in bip_utils' BIP84 encoding (``zpub``; ``vpub`` for BTC and
    ``ttub`` for LTC off mainnet); the others are ``xpub``. Each is accepted by
    :func:`kassa.keys.derivation.make_deriver` for the same chain and network.
    """
    seed = _seed(mnemonic)
    by_family: dict[str, str] = {}
    result: dict[str, str] = {}
    for chain in registry().chains.values():
        if chain.family == "solana":
            continue
        if chain.family == "utxo":
            result[chain.id] = _xpub(_account(seed, chain, network))
        else:
            if chain.family not in by_family:
                by_family[chain.family] = _xpub(_account(seed, chain, network))
            result[chain.id] = by_family[chain.family]
    return result


def solana_addresses(mnemonic: str, start: int, count: int) -> list[str]:
    """Solana addresses ``m/44'/501'/i'/0'`` for ``i`` in ``[start, start + count)``."""
    if start < 0 or count < 0 or start + count > _HARDENED:
        raise ValueError(f"solana account range [{start}, {start}+{count}) outside [0, 2**31)")
    coin = Bip44.FromSeed(_seed(mnemonic), Bip44Coins.SOLANA).Purpose().Coin()
    return [
        str(coin.Account(i).Change(Bip44Changes.CHAIN_EXT).PublicKey().ToAddress())
        for i in range(start, start + count)
    ]


def private_key_hex(mnemonic: str, chain: Chain, network: Network, index: int) -> str:
    """The raw 32-byte private key (hex) behind deposit ``index`` of ``chain`` on ``network``.

    secp256k1 for every family but solana (the ed25519 seed of ``m/44'/501'/index'/0'``). XRP
    has one key for every deposit tag: only ``index == 0`` is valid.
    """
    if not 0 <= index < _HARDENED:
        raise ValueError(f"key index must be in [0, 2**31), got {index}")
    seed = _seed(mnemonic)
    if chain.family == "solana":
        account = Bip44.FromSeed(seed, Bip44Coins.SOLANA).Purpose().Coin().Account(index)
        return str(account.Change(Bip44Changes.CHAIN_EXT).PrivateKey().Raw().ToHex())
    if chain.family == "xrp" and index != 0:
        raise ValueError("xrp uses one key (index 0) for every deposit tag")
    key = _account(seed, chain, network).Change(Bip44Changes.CHAIN_EXT).AddressIndex(index)
    return str(key.PrivateKey().Raw().ToHex())


def _seed(mnemonic: str) -> bytes:
    try:
        return bytes(Bip39SeedGenerator(mnemonic).Generate())
    except (ValueError, MnemonicChecksumError):  # the details could echo words: keep them out
        raise ValueError("invalid BIP39 mnemonic (word count, unknown word or checksum)") from None


def _account(seed: bytes, chain: Chain, network: Network) -> Any:
    if chain.family == "utxo":
        return Bip84.FromSeed(seed, _BIP84_COINS[(chain.id, network)]).Purpose().Coin().Account(0)
    return Bip44.FromSeed(seed, _BIP44_COINS[chain.family]).Purpose().Coin().Account(0)


def _xpub(account: Any) -> str:
    return str(account.PublicKey().ToExtended())
