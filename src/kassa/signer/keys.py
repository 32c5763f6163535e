"""Private keys of the EVM account ``m/44'/60'/0'`` (only the signer process imports this)."""

from __future__ import annotations

from typing import Any

from bip_utils import Bip39SeedGenerator, Bip44, Bip44Changes, Bip44Coins

from kassa.chains.evm.hotwallet import HOT_INDEX


class EvmKeys:
    """The EVM account of one mnemonic: deposit keys ``…/0/i`` and the hot wallet ``…/1/0``."""

    def __init__(self, mnemonic: str) -> None:
        seed = bytes(Bip39SeedGenerator(mnemonic).Generate())
        self._account = Bip44.FromSeed(seed, Bip44Coins.ETHEREUM).Purpose().Coin().Account(0)
        self._external = self._account.Change(Bip44Changes.CHAIN_EXT)
        self._hot = self._account.Change(Bip44Changes.CHAIN_INT).AddressIndex(HOT_INDEX)

    @property
    def xpub(self) -> str:
        """The account xpub to configure as ``KASSA_CHAINS__<CHAIN>__XPUB``."""
        return str(self._account.PublicKey().ToExtended())

    @property
    def hot_address(self) -> str:
        return _address(self._hot)

    def hot_key(self) -> bytes:
        return bytes(self._hot.PrivateKey().Raw().ToBytes())

    def deposit_address(self, index: int) -> str:
        return _address(self._external.AddressIndex(index))

    def deposit_key(self, index: int) -> bytes:
        return bytes(self._external.AddressIndex(index).PrivateKey().Raw().ToBytes())


def _address(node: Any) -> str:
    return str(node.PublicKey().ToAddress())
