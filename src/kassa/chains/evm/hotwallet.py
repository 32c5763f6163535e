"""The EVM hot wallet: ``m/44'/60'/0'/1/0``, the first address of the account's INTERNAL chain.

Deposit addresses are the external chain (``xpub/0/i``), so the hot wallet is derivable from
the same account xpub without any private key (``xpub/1/0``) and never collides with a deposit
address. The signer derives the matching private key from the seed and checks they agree.
"""

from __future__ import annotations

from functools import cache

from bip_utils import Bip32Secp256k1, EthAddrEncoder

HOT_CHANGE = 1
HOT_INDEX = 0


@cache
def hot_wallet_address(xpub: str) -> str:
    """EIP-55 address of ``xpub/1/0`` (``xpub`` validated by the receiving keys already)."""
    key = Bip32Secp256k1.FromExtendedKey(xpub).ChildKey(HOT_CHANGE).ChildKey(HOT_INDEX)
    return str(EthAddrEncoder.EncodeKey(key.PublicKey().KeyObject()))
