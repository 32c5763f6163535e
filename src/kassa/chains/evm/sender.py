"""Signing and sending on one EVM chain: nonces, fees, broadcast, status, fee replacement.

Nonces of the hot wallet are allocated in the database (``evm_nonces``, row-locked), in the same
transaction that persists the signed transaction (``evm_txs``): concurrent withdrawals get
distinct consecutive nonces, a retried payout gets its first transaction back, and a crash
can never burn a nonce without a transaction to fill it. The allocator never goes below the
node's pending count (transactions sent from the hot wallet outside Kassa) and reuses the nonce
of a transaction the node refused for good, so no gap stalls the transactions after it.

Deposit addresses only ever send sweeps, one at a time, so their nonce is the node's count.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from kassa.chains.base import SignedTx, TxState, TxStatus
from kassa.chains.evm import transformers as tf
from kassa.chains.evm.client import RpcError
from kassa.chains.evm.node import EvmNode
from kassa.chains.evm.repository import EvmRepository
from kassa.db import Database
from kassa.kit.errors import BroadcastRejected, ChainUnavailable
from kassa.kit.timeutil import utcnow
from kassa.models.evm import EvmTx, EvmTxPurpose, EvmTxState
from kassa.signer.protocol import EvmSignRequest, EvmTxFields, Purpose, Signer

log = logging.getLogger(__name__)

ACCEPTED = ("already known", "known transaction", "already imported", "already in mempool")
NONCE_USED = ("nonce too low", "nonce has already been used", "oldnonce")
REFUSED = (
    "insufficient funds",
    "intrinsic gas too low",
    "exceeds block gas limit",
    "invalid sender",
    "gas limit reached",
    "exceeds the configured cap",
    "transaction underpriced",
)
BUMP = (9, 8)
"""A replacement bids at least 12.5 % more (nodes require 10 %)."""


@dataclass(frozen=True, slots=True)
class Call:
    """What a transaction does: pay ``value`` to ``to`` with ``data`` (a token transfer call)."""

    to: str
    value: int
    data: str
    gas: int


def _bumped(old: int, floor: int) -> int:
    return max(floor, -(-old * BUMP[0] // BUMP[1]) + 1)


class EvmSender:
    def __init__(self, db: Database, node: EvmNode, signer: Signer, chain: str) -> None:
        self.db = db
        self.node = node
        self.signer = signer
        self.chain = chain

    async def sign_hot(
        self,
        purpose: EvmTxPurpose,
        ref: uuid.UUID,
        sender: str,
        call: Call,
        bid: tf.Bid,
        deposit_index: int | None = None,
    ) -> EvmTx:
        """Sign ``call`` from the hot wallet with the next nonce; idempotent per ``ref``."""
        chain_id = await self.node.chain_id()
        pending = await self.node.nonce(sender, "pending")
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            counter = await repo.lock_nonce(sender)
            existing = await repo.latest_for(ref)
            if existing is not None:
                return existing
            released = await repo.released_nonces(sender, pending)
            if released:
                nonce = released[0]
            else:
                nonce = max(counter.next_nonce, pending)
                counter.next_nonce = nonce + 1
            tx = await self._sign(
                purpose, ref, sender, None, nonce, call, bid, chain_id, deposit_index
            )
            repo.add(tx)
        return tx

    async def sign_deposit(
        self, ref: uuid.UUID, sender: str, index: int, call: Call, bid: tf.Bid
    ) -> EvmTx:
        """Sign a sweep from deposit address ``index`` (nonce from the node); idempotent."""
        chain_id = await self.node.chain_id()
        nonce = await self.node.nonce(sender, "pending")
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            existing = await repo.latest_for(ref)
            if existing is not None:
                return existing
            tx = await self._sign(
                EvmTxPurpose.SWEEP, ref, sender, index, nonce, call, bid, chain_id, index
            )
            repo.add(tx)
        return tx

    async def _sign(
        self,
        purpose: EvmTxPurpose,
        ref: uuid.UUID,
        sender: str,
        key_index: int | None,
        nonce: int,
        call: Call,
        fees: tf.Bid,
        chain_id: int,
        deposit_index: int | None,
    ) -> EvmTx:
        fields = EvmTxFields(
            nonce=nonce,
            to=call.to,
            value=call.value,
            data=call.data,
            gas=call.gas,
            max_fee_per_gas=fees.max_fee_per_gas,
            priority_fee=fees.priority_fee,
        )
        signed = await self.signer.sign_evm(
            EvmSignRequest(
                self.chain, chain_id, Purpose(str(purpose)), ref, sender, deposit_index, fields
            )
        )
        return EvmTx(
            id=uuid.uuid4(),
            chain=self.chain,
            purpose=purpose,
            ref_id=ref,
            from_address=sender,
            key_index=key_index,
            nonce=nonce,
            to_address=call.to,
            value=call.value,
            data=call.data,
            gas_limit=call.gas,
            max_fee_per_gas=fields.max_fee_per_gas,
            priority_fee=fields.priority_fee,
            tx_hash=signed.tx_hash,
            raw=signed.raw,
            state=EvmTxState.SIGNED,
        )

    async def broadcast(self, tx_hash: str, raw: str) -> None:
        """Submit; a transaction the node already has (or has mined) is not an error."""
        try:
            await self.node.send_raw(raw)
        except RpcError as exc:
            reason = exc.reason.lower()
            if any(text in reason for text in ACCEPTED) or "replacement" in reason:
                pass  # in the pool already (itself, or the same nonce at a higher fee)
            elif any(text in reason for text in NONCE_USED):
                if not await self.node.known(tx_hash):
                    await self._mark(tx_hash, EvmTxState.REJECTED, exc.reason)
                    raise BroadcastRejected("nonce already used by another transaction") from None
            elif any(text in reason for text in REFUSED):
                await self._mark(tx_hash, EvmTxState.REJECTED, exc.reason)
                raise BroadcastRejected(exc.reason) from None
            else:
                raise ChainUnavailable(f"broadcast failed: {exc.message}") from None
        await self._mark(tx_hash, EvmTxState.BROADCAST)

    async def _mark(self, tx_hash: str, state: EvmTxState, error: str | None = None) -> None:
        async with self.db.session() as session:
            row = await EvmRepository(session, self.chain).by_hash(tx_hash)
            if row is None or row.state in (EvmTxState.MINED, EvmTxState.REPLACED):
                return
            if state == EvmTxState.BROADCAST and row.state == EvmTxState.BROADCAST:
                return
            row.state = state
            row.error = error
            if state == EvmTxState.BROADCAST:
                row.broadcast_at = utcnow()

    async def status(self, tx_hash: str) -> TxStatus:
        """Where the transaction (or its fee replacement, same nonce) is."""
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            row = await repo.by_hash(tx_hash)
            family = list(await repo.same_nonce(row)) if row is not None else []
        hashes = [r.tx_hash for r in family] or [tx_hash]
        tip = tf.quantity((await self.node.head())["number"])
        for candidate, receipt in zip(hashes, await self.node.receipts(hashes), strict=True):
            if receipt is not None:
                status = tf.tx_status(receipt, True, tip)
                await self._mark_mined(candidate, family)
                return replace(status, tx_hash=None if candidate == tx_hash else candidate)
        for candidate in hashes:
            if await self.node.known(candidate):
                return TxStatus(TxState.PENDING)
        if row is not None and await self.node.nonce(row.from_address, "latest") > row.nonce:
            return TxStatus(TxState.FAILED)  # its nonce was taken by a transaction not ours
        return TxStatus(TxState.UNKNOWN)

    async def _mark_mined(self, tx_hash: str, family: list[EvmTx]) -> None:
        if not family or all(r.state in (EvmTxState.MINED, EvmTxState.REPLACED) for r in family):
            return
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            for member in family:
                row = await repo.get(member.id)
                if row is not None:
                    row.state = EvmTxState.MINED if row.tx_hash == tx_hash else EvmTxState.REPLACED

    async def replace_tx(self, tx_hash: str) -> EvmTx | None:
        """Re-sign a stuck transaction with the same nonce and a higher fee, and broadcast it.

        None when there is nothing to replace (unknown, already mined or replaced)."""
        market = await self.node.fee_market()
        chain_id = await self.node.chain_id()
        async with self.db.session() as session:
            repo = EvmRepository(session, self.chain)
            old = await repo.by_hash(tx_hash)
            if old is None or old.state not in (EvmTxState.SIGNED, EvmTxState.BROADCAST):
                return None
            call = Call(old.to_address, old.value, old.data, old.gas_limit)
            new = await self._sign(
                old.purpose,
                old.ref_id,
                old.from_address,
                old.key_index,
                old.nonce,
                call,
                replacement_bid(old, market),
                chain_id,
                old.key_index,
            )
            repo.add(new)
            old.state = EvmTxState.REPLACED
            old.replaced_by = new.id
        log.info(
            "%s: replaced stuck %s by %s (nonce %d)", self.chain, tx_hash, new.tx_hash, new.nonce
        )
        await self.broadcast(new.tx_hash, new.raw)
        return new

    async def keep_in_flight(self, replace_after: timedelta) -> None:
        """Rebroadcast transactions the node forgot; replace those stuck longer than
        ``replace_after`` (the worker's job; one pass)."""
        async with self.db.session() as session:
            rows = list(await EvmRepository(session, self.chain).in_flight())
        now = utcnow()
        for row in rows:
            if row.state != EvmTxState.BROADCAST:
                continue
            status = await self.status(row.tx_hash)
            if status.state in (TxState.MINED, TxState.FAILED):
                continue
            if row.broadcast_at is not None and now - row.broadcast_at >= replace_after:
                await self.replace_tx(row.tx_hash)
            elif status.state == TxState.UNKNOWN:
                await self.broadcast(row.tx_hash, row.raw)


def replacement_bid(old: EvmTx, market: tf.FeeMarket) -> tf.Bid:
    """At least 12.5 % above the old bid on every fee field, and at least today's market."""
    if old.priority_fee is None or not market.eip1559:
        return tf.Bid(_bumped(old.max_fee_per_gas, market.max_fee_per_gas), None)
    return tf.Bid(
        _bumped(old.max_fee_per_gas, market.max_fee_per_gas),
        _bumped(old.priority_fee, market.priority_fee),
    )


def signed_tx(tx: EvmTx) -> SignedTx:
    return SignedTx(tx_hash=tx.tx_hash, raw=tx.raw, fee=tx.fee_cap)
