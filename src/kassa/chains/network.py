"""Which network of a chain Kassa talks to.

``devnet`` is Kassa's built-in regtest-like network: BTC and LTC use their regtest address formats
(bech32 ``bcrt`` / ``rltc``, testnet base58 versions); every other family uses the same formats on
all networks.
"""

from typing import Literal

Network = Literal["mainnet", "testnet", "devnet"]
