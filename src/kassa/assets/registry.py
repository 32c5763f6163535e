"""Load the asset registry from its data file and look assets up by symbol.

The registry is immutable and process-wide: it is read once from ``assets.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Literal

from kassa.kit.errors import BadRequest

ChainFamily = Literal["utxo", "evm", "tron", "solana", "xrp"]


@dataclass(frozen=True, slots=True)
class Chain:
    """A blockchain Kassa watches. ``id`` is Kassa's short name (``btc``, ``eth``, ``bsc`` ...)."""

    id: str
    family: ChainFamily
    name: str
    network_label: str
    explorer_tx: str

    def explorer_url(self, tx_hash: str) -> str:
        return self.explorer_tx.format(tx=tx_hash)


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset on one chain: a native coin (``contract is None``) or a token."""

    symbol: str
    name: str
    chain: Chain
    standard: str
    decimals: int
    quote_decimals: int
    confirmations: int
    coingecko_id: str
    contract: str | None = None
    family_symbol: str | None = None
    min_withdrawal: Decimal = Decimal(0)
    """The smallest amount a withdrawal may send, in whole units."""

    @property
    def is_token(self) -> bool:
        return self.contract is not None


@dataclass(frozen=True, slots=True)
class Registry:
    chains: dict[str, Chain]
    assets: dict[str, Asset]

    @property
    def symbols(self) -> list[str]:
        return list(self.assets)

    def assets_on(self, chain_id: str) -> list[Asset]:
        return [a for a in self.assets.values() if a.chain.id == chain_id]

    def by_contract(self, chain_id: str, contract: str | None) -> Asset | None:
        """The asset a transfer on ``chain_id`` moves: native when ``contract`` is None."""
        for asset in self.assets_on(chain_id):
            if contract is None and asset.contract is None:
                return asset
            if contract is not None and asset.contract is not None:
                same = (
                    asset.contract.lower() == contract.lower()
                    if asset.chain.family == "evm"
                    else asset.contract == contract
                )
                if same:
                    return asset
        return None

    def native_asset(self, chain_id: str) -> Asset:
        return next(a for a in self.assets_on(chain_id) if not a.is_token)

    def get(self, symbol: str, field: str = "asset") -> Asset:
        """Return the asset for ``symbol`` or raise a 400 the client can act on.

        A bare ``USDT`` or ``USDC`` is ambiguous and lists the valid network-suffixed symbols.
        """
        asset = self.assets.get(symbol)
        if asset is not None:
            return asset
        variants = [a.symbol for a in self.assets.values() if a.family_symbol == symbol]
        if variants:
            quoted = ", ".join(f'"{v}"' for v in variants)
            raise BadRequest(
                f'"{symbol}" is ambiguous — please specify the network. Valid symbols: {quoted}'
            )
        raise BadRequest(
            f'Unsupported {field}: "{symbol}". Supported assets: {", ".join(self.symbols)}'
        )


@cache
def registry() -> Registry:
    """The process-wide registry read from the packaged ``assets.toml``."""
    raw = tomllib.loads(resources.files(__package__).joinpath("assets.toml").read_text("utf-8"))
    chains = {cid: Chain(id=cid, **spec) for cid, spec in raw["chains"].items()}
    assets: dict[str, Asset] = {}
    for spec in raw["assets"]:
        fields = dict(spec)
        fields["chain"] = chains[fields["chain"]]
        fields["min_withdrawal"] = Decimal(str(fields.get("min_withdrawal", "0")))
        asset = Asset(**fields)
        assets[asset.symbol] = asset
    return Registry(chains=chains, assets=assets)
