"""The operator's report: what Kassa holds on chain against what its ledger says it holds.

Per asset of each EVM chain: the hot wallet's balance, the balances left on deposit addresses
(every address that ever received a transfer), their total, and the ledger: merchants' balances
(available + pending), platform revenue, and holdings (minus the ``world`` account: everything
Kassa's books say it holds). ``difference = on_chain - ledger_holdings``: zero when the books and
the chain agree; positive for unaccounted funds (e.g. a transfer no payment expected), negative
for a shortfall that needs looking into (unswept dust paid as fees, a deep reorg, ...).
Pending withdrawals still in the hot wallet show as a positive difference until mined.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kassa.assets.registry import registry
from kassa.chains.evm.payout import EvmPayoutAdapter
from kassa.db import Database
from kassa.kit.money import format_atomic
from kassa.ledger.repository import LedgerRepository
from kassa.ledger.service import WORLD
from kassa.models.ledger import AccountKind
from kassa.sweeps.repository import SweepRepository


@dataclass(frozen=True, slots=True)
class AssetHoldings:
    asset: str
    chain: str
    hot_wallet: int
    deposit_addresses: int
    ledger_holdings: int
    merchant_balances: int
    platform_revenue: int

    @property
    def on_chain(self) -> int:
        return self.hot_wallet + self.deposit_addresses

    @property
    def difference(self) -> int:
        return self.on_chain - self.ledger_holdings

    def as_dict(self) -> dict[str, str]:
        decimals = registry().assets[self.asset].decimals

        def fmt(value: int) -> str:
            return format_atomic(value, decimals)

        return {
            "asset": self.asset,
            "chain": self.chain,
            "hot_wallet": fmt(self.hot_wallet),
            "deposit_addresses": fmt(self.deposit_addresses),
            "on_chain": fmt(self.on_chain),
            "ledger_holdings": fmt(self.ledger_holdings),
            "merchant_balances": fmt(self.merchant_balances),
            "platform_revenue": fmt(self.platform_revenue),
            "difference": fmt(self.difference),
        }


async def ledger_totals(db: Database) -> dict[str, dict[str, int]]:
    """asset -> {holdings, merchants, platform} from the ledger's account balances."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    async with db.session() as session:
        for account in await LedgerRepository(session).all_accounts():
            row = totals[account.asset]
            if account.owner == WORLD:
                row["holdings"] -= account.balance
            elif account.kind == AccountKind.REVENUE:
                row["platform"] += account.balance
            else:
                row["merchants"] += account.balance
    return totals


async def chain_holdings(db: Database, payout: EvmPayoutAdapter) -> list[AssetHoldings]:
    chain = payout.chain_id
    node = payout.node
    async with db.session() as session:
        addresses = await SweepRepository(session, chain).receiving_addresses()
    ledger = await ledger_totals(db)
    found: list[AssetHoldings] = []
    for asset in registry().assets_on(chain):
        if asset.is_token:
            contract = payout.contract_of(asset)
            hot = await node.token_balance(contract, payout.hot_address)
            deposits = sum([await node.token_balance(contract, a) for a in addresses])
        else:
            hot = await node.balance(payout.hot_address)
            deposits = sum([await node.balance(a) for a in addresses])
        books = ledger.get(asset.symbol, {})
        found.append(
            AssetHoldings(
                asset=asset.symbol,
                chain=chain,
                hot_wallet=hot,
                deposit_addresses=deposits,
                ledger_holdings=books.get("holdings", 0),
                merchant_balances=books.get("merchants", 0),
                platform_revenue=books.get("platform", 0),
            )
        )
    return found
