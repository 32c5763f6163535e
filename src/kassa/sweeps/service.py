"""The EVM sweeper: one pass moves what is worth moving from deposit addresses to the hot wallet.

Per (deposit address, asset) with a confirmed receipt newer than its last sweep:

* native coin: one legacy-priced transfer of ``balance - 21000 x gasPrice`` (a legacy price
  makes the fee exact, so the address is emptied to the last wei);
* token: the transfer's gas is estimated and priced; if the address lacks that much native coin,
  the hot wallet first sends exactly the shortfall (the *top-up*), and the token transfer
  follows once the top-up is mined;
* dust: when the network fees would exceed ``sweep_fee_ratio`` of the amount's value (or the
  amount is under the chain's ``sweep_min`` for the asset) nothing is sent; a new deposit to the
  address makes it a candidate again.

Every step is persisted (``evm_sweeps``, ``evm_txs``) before anything is broadcast, so a crash
resumes where it stopped. The gas spent is posted to the ledger as a platform expense
(``network_fee``: platform revenue -fee, world +fee) so ledger holdings keep matching the chain.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import Asset, registry
from kassa.chains.base import TxState
from kassa.chains.evm import transformers as tf
from kassa.chains.evm.client import RpcError
from kassa.chains.evm.params import GAS_MARGIN, NATIVE_TRANSFER_GAS
from kassa.chains.evm.payout import EvmPayoutAdapter
from kassa.chains.evm.repository import EvmRepository
from kassa.chains.evm.sender import Call
from kassa.config import ChainSettings
from kassa.db import Database
from kassa.kit.errors import BroadcastRejected, KassaError
from kassa.kit.money import from_atomic
from kassa.ledger.service import platform_posting, post, world_posting
from kassa.models.evm import EvmSweep, EvmTx, EvmTxPurpose, SweepState
from kassa.prices.service import PriceService
from kassa.sweeps.repository import Candidate, SweepRepository

log = logging.getLogger(__name__)

BATCH = 50


@dataclass
class SweepPass:
    started: int = 0
    advanced: int = 0
    dust: int = 0


class EvmSweeper:
    def __init__(
        self,
        db: Database,
        payout: EvmPayoutAdapter,
        prices: PriceService,
        settings: ChainSettings,
        fee_ratio: Decimal,
    ) -> None:
        self.db = db
        self.payout = payout
        self.node = payout.node
        self.sender = payout.sender
        self.chain = payout.chain_id
        self.hot = payout.hot_address
        self.prices = prices
        self.settings = settings
        self.fee_ratio = fee_ratio

    async def run_once(self) -> SweepPass:
        result = SweepPass()
        async with self.db.session() as session:
            repo = SweepRepository(session, self.chain)
            open_ids = [s.id for s in await repo.open_sweeps()]
            candidates = await repo.candidates(BATCH)
        for sweep_id in open_ids:
            await self._advance(sweep_id)
            result.advanced += 1
        started: set[str] = set()
        for candidate in sorted(candidates, key=lambda c: not self._asset(c).is_token):
            if candidate.address in started:
                continue  # one sweep per address at a time (its nonce comes from the node)
            if await self._start(candidate):
                started.add(candidate.address)
                result.started += 1
            else:
                result.dust += 1
        return result

    def _asset(self, candidate: Candidate) -> Asset:
        return registry().assets[candidate.asset]

    # --- starting ---------------------------------------------------------------------------

    async def _start(self, candidate: Candidate) -> bool:
        asset = self._asset(candidate)
        market = await self.node.fee_market()
        bid = market.legacy_bid()
        native = await self.node.balance(candidate.address)
        sweep = EvmSweep(
            id=uuid.uuid4(),
            chain=self.chain,
            asset=asset.symbol,
            address=candidate.address,
            derivation_index=candidate.derivation_index,
            state=SweepState.SENDING,
            gas_price=bid.max_fee_per_gas,
        )
        if not asset.is_token:
            sweep.gas_limit = NATIVE_TRANSFER_GAS
            sweep.amount = native - NATIVE_TRANSFER_GAS * bid.max_fee_per_gas
            fee = NATIVE_TRANSFER_GAS * bid.max_fee_per_gas
            if sweep.amount <= 0 or not await self._worth(asset, sweep.amount, fee):
                return await self._dust(sweep)
        else:
            contract = self.payout.contract_of(asset)
            sweep.amount = await self.node.token_balance(contract, candidate.address)
            if sweep.amount <= 0:
                return await self._dust(sweep)
            data = tf.transfer_calldata(self.hot, sweep.amount)
            try:
                estimate = await self.node.estimate_gas(candidate.address, contract, 0, data)
            except RpcError as exc:
                sweep.note = f"gas estimate failed: {exc.reason}"
                return await self._dust(sweep)
            sweep.gas_limit = estimate * GAS_MARGIN[0] // GAS_MARGIN[1]
            need = sweep.gas_limit * bid.max_fee_per_gas
            shortfall = max(0, need - native)
            fee = need + (NATIVE_TRANSFER_GAS * bid.max_fee_per_gas if shortfall else 0)
            if not await self._worth(asset, sweep.amount, fee):
                return await self._dust(sweep)
            if shortfall:
                sweep.state = SweepState.TOPPING_UP
                sweep.topup_tx_id = await self._top_up(sweep, shortfall, bid)
        async with self.db.session() as session:
            SweepRepository(session, self.chain).add(sweep)
        if sweep.state == SweepState.SENDING:
            await self._send(sweep.id)
        log.info(
            "%s: sweeping %s %s from %s", self.chain, sweep.amount, asset.symbol, sweep.address
        )
        return True

    async def _dust(self, sweep: EvmSweep) -> bool:
        sweep.state = SweepState.DUST
        async with self.db.session() as session:
            SweepRepository(session, self.chain).add(sweep)
        return False

    async def _worth(self, asset: Asset, amount: int, fee: int) -> bool:
        """Whether ``amount`` of ``asset`` is worth ``fee`` (gas coin, atomic) to move."""
        minimum = self.settings.sweep_min.get(asset.symbol)
        if minimum is not None and from_atomic(amount, asset.decimals) < minimum:
            return False
        gas_asset = registry().assets.get(self.node.params.gas_symbol)
        if gas_asset is None:
            return minimum is not None
        if asset.symbol == gas_asset.symbol:
            return fee <= amount * self.fee_ratio
        try:
            value = (await self.prices.quote(asset, "USD")).price * from_atomic(
                amount, asset.decimals
            )
            cost = (await self.prices.quote(gas_asset, "USD")).price * from_atomic(
                fee, gas_asset.decimals
            )
        except KassaError:
            log.warning("%s: no prices to judge a %s sweep; sweeping", self.chain, asset.symbol)
            return True
        return cost <= value * self.fee_ratio

    async def _top_up(self, sweep: EvmSweep, shortfall: int, bid: tf.Bid) -> uuid.UUID:
        """The top-up bids the sweep's own legacy price: one price for the pair."""
        call = Call(to=sweep.address, value=shortfall, data="0x", gas=NATIVE_TRANSFER_GAS)
        tx = await self.sender.sign_hot(
            EvmTxPurpose.TOPUP,
            uuid.uuid5(sweep.id, "topup"),
            self.hot,
            call,
            bid,
            deposit_index=sweep.derivation_index,
        )
        await self.sender.broadcast(tx.tx_hash, tx.raw)
        return tx.id

    # --- advancing --------------------------------------------------------------------------

    async def _advance(self, sweep_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            sweep = await SweepRepository(session, self.chain).get(sweep_id)
        if sweep is None:
            return
        if sweep.state == SweepState.TOPPING_UP:
            topup = await self._tx(sweep.topup_tx_id)
            status = await self.sender.status(topup.tx_hash)
            if status.state == TxState.MINED:
                await self._update(sweep.id, state=SweepState.SENDING, fee=status.fee or 0)
                await self._send(sweep.id)
            elif status.state == TxState.FAILED:
                await self._update(sweep.id, state=SweepState.FAILED, note="top-up failed")
            return
        if sweep.sweep_tx_id is None:
            await self._send(sweep.id)
            return
        tx = await self._tx(sweep.sweep_tx_id)
        status = await self.sender.status(tx.tx_hash)
        if status.state == TxState.MINED:
            await self._update(sweep.id, state=SweepState.DONE, fee=status.fee or 0)
        elif status.state == TxState.FAILED:
            await self._update(
                sweep.id,
                state=SweepState.FAILED,
                fee=status.fee or 0,
                note="sweep transaction failed",
            )
        elif status.state == TxState.UNKNOWN:
            await self.sender.broadcast(tx.tx_hash, tx.raw)

    async def _send(self, sweep_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            sweep = await SweepRepository(session, self.chain).get(sweep_id)
        assert sweep is not None
        assert sweep.gas_limit is not None
        assert sweep.gas_price is not None
        asset = registry().assets[sweep.asset]
        if asset.is_token:
            data = tf.transfer_calldata(self.hot, sweep.amount)
            call = Call(self.payout.contract_of(asset), 0, data, sweep.gas_limit)
        else:
            call = Call(self.hot, sweep.amount, "0x", sweep.gas_limit)
        bid = tf.Bid(sweep.gas_price, None)
        tx = await self.sender.sign_deposit(
            sweep.id, sweep.address, sweep.derivation_index, call, bid
        )
        await self._update(sweep.id, sweep_tx_id=tx.id)
        try:
            await self.sender.broadcast(tx.tx_hash, tx.raw)
        except BroadcastRejected as exc:
            await self._update(sweep.id, state=SweepState.FAILED, note=exc.message)

    async def _tx(self, tx_id: uuid.UUID | None) -> EvmTx:
        async with self.db.session() as session:
            tx = await EvmRepository(session, self.chain).get(tx_id) if tx_id else None
        assert tx is not None
        return tx

    async def _update(
        self,
        sweep_id: uuid.UUID,
        *,
        state: SweepState | None = None,
        fee: int = 0,
        note: str | None = None,
        sweep_tx_id: uuid.UUID | None = None,
    ) -> None:
        async with self.db.session() as session:
            sweep = await SweepRepository(session, self.chain).get(sweep_id)
            assert sweep is not None
            if state is not None:
                sweep.state = state
            if note is not None:
                sweep.note = note
            if sweep_tx_id is not None:
                sweep.sweep_tx_id = sweep_tx_id
            if fee:
                sweep.fee_paid += fee
                await self._post_fee(session, sweep, fee)

    async def _post_fee(self, session: AsyncSession, sweep: EvmSweep, fee: int) -> None:
        gas_asset = next((a for a in registry().assets_on(self.chain) if not a.is_token), None)
        if gas_asset is None:
            return  # e.g. Arbitrum: its gas coin is not a Kassa asset; see docs/evm.md
        await post(
            session,
            kind="network_fee",
            asset=gas_asset.symbol,
            postings=[platform_posting(-fee), world_posting(fee)],
            description=f"{self.chain} sweep {sweep.id} of {sweep.asset} from {sweep.address}",
            guard_available=False,
        )
