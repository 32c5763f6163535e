"""The withdrawal executor: signs, broadcasts and tracks withdrawals through the chain's
:class:`~kassa.chains.base.PayoutAdapter`, and nothing else (it is chain-agnostic).

Each tick claims due withdrawals (``FOR UPDATE SKIP LOCKED`` on PostgreSQL plus a claim lease),
then for each one, without holding a database transaction across any call to the chain:

* ``pending``: sign (only if no signed transaction is stored yet) and **store the signed
  transaction before broadcasting it**; broadcast the stored transaction (after a crash it is the
  same transaction again, never a second one); accepted → ``broadcasting``; refused for good
  (:class:`BroadcastRejected`) → ``failed`` with the hold restored.
* ``broadcasting``: ask the chain for the transaction's status: mined with the asset's required
  confirmations → ``completed`` (unused network fee refunded); failed on-chain → ``failed``;
  unknown to the node → re-broadcast the stored transaction.

A retriable error (node down) leaves the withdrawal as it is until ``retry_after``; any other
error never fails a withdrawal (funds are only restored when the chain says no for good).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kassa.assets.registry import registry
from kassa.chains.base import Payout, PayoutAdapter, SignedTx, TxState, TxStatus
from kassa.db import Database
from kassa.kit.errors import BroadcastRejected, RetriableError
from kassa.kit.timeutil import utcnow
from kassa.models.withdrawal import Withdrawal, WithdrawalStatus
from kassa.withdrawals import ledger, transitions
from kassa.withdrawals.repository import WithdrawalRepository

log = logging.getLogger(__name__)

ONCHAIN_FAILURE = "Transaction failed on-chain; nothing was delivered"
UNEXPECTED_ERROR_DELAY = 30.0

AdapterLookup = Callable[[str], PayoutAdapter | None]


@dataclass
class TickResult:
    claimed: int = 0
    broadcast: int = 0
    completed: int = 0
    failed: int = 0


class WithdrawalExecutor:
    def __init__(
        self,
        db: Database,
        owner: str,
        adapters: AdapterLookup,
        *,
        lease_seconds: float = 30.0,
        batch_size: int = 20,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.owner = owner[:64]
        self.adapters = adapters
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.clock = clock
        self._cache: dict[str, PayoutAdapter | None] = {}

    def _adapter(self, chain: str) -> PayoutAdapter | None:
        if chain not in self._cache:
            self._cache[chain] = self.adapters(chain)
        return self._cache[chain]

    async def tick(self) -> TickResult:
        result = TickResult()
        now = self.clock()
        async with self.db.session() as session:
            claimed = await WithdrawalRepository(session).claim_due(
                self.owner, now, now + self.lease, self.batch_size
            )
        result.claimed = len(claimed)
        for withdrawal in claimed:
            try:
                await self._step(withdrawal, result)
            except RetriableError as exc:
                log.warning("withdrawal %s: %s", withdrawal.id, exc.message)
                await self._defer(withdrawal.id, exc.retry_after)
            except Exception:
                log.exception("withdrawal %s: unexpected error; will retry", withdrawal.id)
                await self._defer(withdrawal.id, UNEXPECTED_ERROR_DELAY)
        return result

    async def _step(self, w: Withdrawal, result: TickResult) -> None:
        adapter = self._adapter(w.chain)
        if adapter is None:
            log.error("withdrawal %s: no payout adapter for %s", w.id, w.chain)
            await self._defer(w.id, UNEXPECTED_ERROR_DELAY)
            return
        if w.status == WithdrawalStatus.PENDING:
            await self._send(w, adapter, result)
        else:
            await self._track(w, adapter, result)

    # --- pending: sign, store, broadcast ----------------------------------------------------

    async def _send(self, w: Withdrawal, adapter: PayoutAdapter, result: TickResult) -> None:
        signed = _stored(w)
        if signed is None:
            payout = Payout(
                id=w.id,
                asset=registry().assets[w.asset],
                to_address=w.destination_address,
                amount=w.amount,
                destination_tag=w.destination_tag,
            )
            try:
                signed = await adapter.sign(payout)
            except BroadcastRejected as exc:
                await self._fail(w.id, exc.message, WithdrawalStatus.PENDING, result)
                return
            if not await self._store(w.id, signed):
                return
        try:
            await adapter.broadcast(signed)
        except BroadcastRejected as exc:
            await self._fail(w.id, exc.message, WithdrawalStatus.PENDING, result)
            return
        async with self.db.session() as session:
            row = await WithdrawalRepository(session).lock_claimed(w.id, self.owner)
            if row is None or row.status != WithdrawalStatus.PENDING:
                return
            await transitions.broadcasting(session, row, self.clock())
            _unclaim(row)
        result.broadcast += 1

    async def _store(self, withdrawal_id: uuid.UUID, signed: SignedTx) -> bool:
        """Persist the signed transaction (committed) before it is broadcast."""
        async with self.db.session() as session:
            row = await WithdrawalRepository(session).lock_claimed(withdrawal_id, self.owner)
            if row is None or row.status != WithdrawalStatus.PENDING or row.signed_raw:
                return False
            row.tx_hash, row.signed_raw, row.signed_fee = signed.tx_hash, signed.raw, signed.fee
            row.updated_at = self.clock()
        return True

    # --- broadcasting: confirmations, completion --------------------------------------------

    async def _track(self, w: Withdrawal, adapter: PayoutAdapter, result: TickResult) -> None:
        assert w.tx_hash is not None
        status = await adapter.tx_status(w.tx_hash)
        if status.state == TxState.UNKNOWN:
            signed = _stored(w)
            assert signed is not None
            try:
                await adapter.broadcast(signed)  # dropped from the mempool: the same tx again
            except BroadcastRejected as exc:
                await self._fail(w.id, exc.message, WithdrawalStatus.BROADCASTING, result)
                return
        if status.state == TxState.FAILED:
            await self._fail(w.id, ONCHAIN_FAILURE, WithdrawalStatus.BROADCASTING, result, status)
            return
        await self._observe(w.id, status, result)

    async def _observe(
        self, withdrawal_id: uuid.UUID, status: TxStatus, result: TickResult
    ) -> None:
        async with self.db.session() as session:
            row = await WithdrawalRepository(session).lock_claimed(withdrawal_id, self.owner)
            if row is None or row.status != WithdrawalStatus.BROADCASTING:
                return
            now = self.clock()
            if status.tx_hash and status.tx_hash != row.tx_hash:  # replaced with a higher fee
                row.tx_hash = status.tx_hash
            mined = status.state == TxState.MINED
            row.confirmations = status.confirmations if mined else 0
            row.updated_at = now
            _unclaim(row)
            if mined and status.confirmations >= registry().assets[row.asset].confirmations:
                await transitions.complete(session, row, status.fee, now)
                result.completed += 1

    # --- helpers ------------------------------------------------------------------------------

    async def _fail(
        self,
        withdrawal_id: uuid.UUID,
        error: str,
        expected: WithdrawalStatus,
        result: TickResult,
        status: TxStatus | None = None,
    ) -> None:
        """Refused for good: restore the hold and send ``withdrawal.failed`` (one transaction)."""
        async with self.db.session() as session:
            row = await WithdrawalRepository(session).lock_claimed(withdrawal_id, self.owner)
            if row is None or row.status != expected:
                return
            await transitions.fail(session, row, error, self.clock())
            if status is not None and status.fee:  # a reverted transaction still burnt gas
                row.actual_fee_native = status.fee
                await ledger.book_chain_fee(session, row, status.fee)
        result.failed += 1

    async def _defer(self, withdrawal_id: uuid.UUID, seconds: float) -> None:
        async with self.db.session() as session:
            row = await WithdrawalRepository(session).lock_claimed(withdrawal_id, self.owner)
            if row is not None:
                row.claimed_until = self.clock() + timedelta(seconds=seconds)


def _stored(w: Withdrawal) -> SignedTx | None:
    if w.tx_hash is None or w.signed_raw is None or w.signed_fee is None:
        return None
    return SignedTx(tx_hash=w.tx_hash, raw=w.signed_raw, fee=w.signed_fee)


def _unclaim(row: Withdrawal) -> None:
    row.claimed_by, row.claimed_until = None, None
