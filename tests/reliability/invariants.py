"""The books after a storm: every invariant as a function returning its violations (sentences).

* the journal balances and every balance equals the sum of its entries (``ledger.verify``);
* every receipt's postings add up to what its status says: seen → pending, confirmed → available
  net of its fee (so credited exactly once), reverted → nothing;
* the outbox has one event per posting: ``payment.detected`` per seen posting, one credit event
  (``payment.received`` / ``payment.confirmed``) per confirmed posting, ``payment.reverted`` per
  reversal, and exactly one closing event per closed payment;
* a payment's running totals and status agree with its receipts;
* once settled, the chain and the receipts agree: a transfer to a deposit target that is in the
  main chain is one confirmed receipt; one that left it is reverted or was never seen;
* every deposit target was issued once (address, derivation index), one per payment;
* every event was delivered at least once to its ``webhook_url`` (the webhook dispatcher).
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.chains.base import match_key
from kassa.db import Database
from kassa.kit import jsonutil
from kassa.kit.timeutil import utcnow
from kassa.ledger.service import verify
from kassa.models import (
    AddressCounter,
    DepositAddress,
    DevnetBlock,
    DevnetTx,
    Event,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Receipt,
)
from kassa.models.ledger import AccountKind
from kassa.models.payment import PaymentStatus, ReceiptStatus
from kassa.payments.lifecycle import next_status

CREDIT_EVENTS = frozenset({"payment.received", "payment.confirmed"})
CLOSING_EVENTS = {
    PaymentStatus.EXPIRED: "payment.expired",
    PaymentStatus.UNDERPAID: "payment.underpaid",
    PaymentStatus.CONFIRMED: "payment.confirmed",
}


@dataclass
class Postings:
    kinds: Counter[str]
    net: Counter[str]
    """Net amount per account kind (merchant pending / available, platform revenue)."""


async def _receipt_postings(session: AsyncSession) -> dict[uuid.UUID, Postings]:
    found: dict[uuid.UUID, Postings] = defaultdict(lambda: Postings(Counter(), Counter()))
    for receipt_id, kind in await session.execute(
        select(LedgerTransaction.receipt_id, LedgerTransaction.kind).where(
            LedgerTransaction.receipt_id.is_not(None)
        )
    ):
        found[receipt_id].kinds[kind] += 1
    rows = await session.execute(
        select(LedgerTransaction.receipt_id, LedgerEntry.kind, LedgerEntry.amount)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.receipt_id.is_not(None))
    )
    for receipt_id, kind, amount in rows:
        found[receipt_id].net[kind] += amount
    return found


def receipt_problems(
    receipts: Iterable[Receipt], postings: Mapping[uuid.UUID, Postings], *, single_credit: bool
) -> list[str]:
    problems = []
    for r in receipts:
        p = postings.get(r.id, Postings(Counter(), Counter()))
        name = f"receipt {r.chain}:{r.tx_hash}:{r.output_index} ({r.status})"
        seen, reverted = p.kinds["deposit_seen"], p.kinds["deposit_reverted"]
        credits = p.kinds["deposit_confirmed"]
        expected = {
            ReceiptStatus.SEEN: (r.amount_atomic, 0, 0),
            ReceiptStatus.CONFIRMED: (0, r.amount_atomic - r.fee_atomic, r.fee_atomic),
            ReceiptStatus.REVERTED: (0, 0, 0),
        }[r.status]
        actual = (
            p.net[AccountKind.PENDING],
            p.net[AccountKind.AVAILABLE],
            p.net[AccountKind.REVENUE],
        )
        if actual != expected:
            problems.append(f"{name}: pending/available/revenue {actual}, expected {expected}")
        if seen - reverted != (0 if r.status == ReceiptStatus.REVERTED else 1):
            problems.append(f"{name}: seen {seen} times, reverted {reverted} times")
        if single_credit and credits > 1:
            problems.append(f"{name}: credited {credits} times")
    return problems


async def _events(session: AsyncSession) -> list[tuple[Event, dict[str, object]]]:
    rows = (await session.scalars(select(Event).order_by(Event.seq))).all()
    return [(e, jsonutil.loads(e.payload)) for e in rows]


def event_problems(
    payments: Iterable[Payment],
    receipts: Iterable[Receipt],
    postings: Mapping[uuid.UUID, Postings],
    events: Iterable[tuple[Event, dict[str, object]]],
    *,
    single_credit: bool,
) -> list[str]:
    """Without deep reorgs (``single_credit``) a payment closes once: exactly one closing event
    of its final status; with them it may be confirmed, reverted and confirmed again."""
    per_tx: dict[tuple[uuid.UUID, str], Counter[str]] = defaultdict(Counter)
    per_payment: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    for event, payload in events:
        if event.payment_id is None:
            continue
        per_payment[event.payment_id][event.type] += 1
        if "tx_hash" in payload:
            kind = "credit" if event.type in CREDIT_EVENTS else event.type
            per_tx[(event.payment_id, str(payload["tx_hash"]))][kind] += 1
    problems = []
    for r in receipts:
        got = per_tx[(r.payment_id, r.tx_hash)]
        kinds = postings.get(r.id, Postings(Counter(), Counter())).kinds
        want = {
            "payment.detected": kinds["deposit_seen"],
            "credit": kinds["deposit_confirmed"],
            "payment.reverted": kinds["deposit_reverted"],
        }
        if {k: got[k] for k in want} != want:
            problems.append(
                f"receipt {r.chain}:{r.tx_hash}: events {dict(got)}, postings say {want}"
            )
    for p in payments:
        for status, kind in CLOSING_EVENTS.items():
            count = per_payment[p.id][kind]
            most = 1 if single_credit else max(1, per_payment[p.id]["payment.reverted"] + 1)
            if (p.status == status and not 1 <= count <= most) or count > most:
                problems.append(f"payment {p.id} ({p.status}): {count} {kind} event(s)")
    return problems


def payment_problems(
    payments: Iterable[Payment], receipts: Iterable[Receipt], *, settled: bool
) -> list[str]:
    by_payment: dict[uuid.UUID, list[Receipt]] = defaultdict(list)
    for r in receipts:
        by_payment[r.payment_id].append(r)
    now = utcnow()
    problems = []
    for p in payments:
        own = [r for r in by_payment[p.id] if r.asset == p.asset and not r.late]
        live = [r for r in own if r.status != ReceiptStatus.REVERTED]
        seen = sum(r.amount_atomic for r in live)
        confirmed = sum(r.amount_atomic for r in live if r.status == ReceiptStatus.CONFIRMED)
        if (p.seen_atomic, p.confirmed_atomic) != (seen, confirmed):
            problems.append(
                f"payment {p.id}: seen/confirmed {p.seen_atomic}/{p.confirmed_atomic},"
                f" receipts say {seen}/{confirmed}"
            )
        sequences = sorted(r.sequence for r in by_payment[p.id])
        if sequences != list(range(1, len(sequences) + 1)) or p.receipt_count != len(sequences):
            problems.append(f"payment {p.id}: receipt sequences {sequences}")
        if settled:
            status = next_status(
                amount=p.amount_atomic,
                seen=seen,
                confirmed=confirmed,
                unconfirmed=sum(1 for r in live if r.status == ReceiptStatus.SEEN),
                expired=now >= p.expires_at,
            )
            if status != p.status:
                problems.append(f"payment {p.id}: status {p.status}, receipts say {status}")
    return problems


async def chain_problems(session: AsyncSession, receipts: Iterable[Receipt]) -> list[str]:
    """Once the watcher has caught up: the devnet's chains and the receipts agree."""
    targets = {
        (d.chain, d.match_key) for d in (await session.scalars(select(DepositAddress))).all()
    }
    main = set(
        (await session.scalars(select(DevnetBlock.hash).where(DevnetBlock.orphaned.is_(False))))
        .unique()
        .all()
    )
    by_tx = {(r.chain, r.tx_hash, r.output_index): r for r in receipts}
    problems = []
    for tx in (await session.scalars(select(DevnetTx))).all():
        if (tx.chain, match_key(tx.to_address, tx.destination_tag)) not in targets:
            continue
        receipt = by_tx.get((tx.chain, tx.tx_hash, tx.output_index))
        on_chain = tx.block_hash in main and not tx.dropped
        if on_chain and (receipt is None or receipt.status != ReceiptStatus.CONFIRMED):
            state = receipt.status if receipt else "no receipt"
            problems.append(f"{tx.chain} tx {tx.tx_hash} is in the main chain: {state}")
        if tx.dropped and receipt is not None and receipt.status != ReceiptStatus.REVERTED:
            problems.append(f"{tx.chain} tx {tx.tx_hash} was dropped: receipt {receipt.status}")
        if not on_chain and not tx.dropped:
            problems.append(f"{tx.chain} tx {tx.tx_hash} still unmined: not settled")
    return problems


async def issue_problems(session: AsyncSession) -> list[str]:
    """Every payment has one deposit target of its own; no derivation index was used twice."""
    problems = []
    per_payment = Counter((await session.scalars(select(DepositAddress.payment_id))).all())
    for payment_id in (await session.scalars(select(Payment.id))).all():
        if per_payment[payment_id] != 1:
            problems.append(f"payment {payment_id} has {per_payment[payment_id]} deposit targets")
    indexes = await session.execute(
        select(DepositAddress.key_id, DepositAddress.derivation_index, func.count())
        .group_by(DepositAddress.key_id, DepositAddress.derivation_index)
        .having(func.count() > 1)
    )
    problems += [f"{key} index {index} issued {n} times" for key, index, n in indexes]
    counter_rows = await session.execute(select(AddressCounter.key_id, AddressCounter.next_index))
    counters = dict(counter_rows.all())
    highest = await session.execute(
        select(DepositAddress.key_id, func.max(DepositAddress.derivation_index)).group_by(
            DepositAddress.key_id
        )
    )
    for key_id, top in highest:
        if counters.get(key_id, 0) <= top:
            problems.append(f"counter {key_id} at {counters.get(key_id)}, index {top} issued")
    return problems


async def delivery_problems(session: AsyncSession, received: Mapping[str, int]) -> list[str]:
    """Every event with a ``webhook_url`` reached the receiver at least once."""
    from kassa.webhooks.events import message_id

    problems = []
    for event in await session.scalars(select(Event).where(Event.webhook_url.is_not(None))):
        if not received.get(message_id(event.id, None)):
            problems.append(f"event {event.type} {event.id} never delivered to {event.webhook_url}")
    return problems


async def check(
    db: Database,
    *,
    settled: bool,
    single_credit: bool = True,
    received: Mapping[str, int] | None = None,
) -> list[str]:
    """Every violated invariant. ``settled``: the watcher has caught up with the devnet and the
    expiry loop has run; ``received``: ``webhook-id`` counts seen by the receiver."""
    assert registry()  # the asset registry is loaded before mapping receipts to assets
    async with db.session() as session:
        problems = [f"ledger: {p}" for p in await verify(session)]
        receipts = (await session.scalars(select(Receipt))).all()
        payments = (await session.scalars(select(Payment))).all()
        postings = await _receipt_postings(session)
        problems += receipt_problems(receipts, postings, single_credit=single_credit)
        problems += event_problems(
            payments, receipts, postings, await _events(session), single_credit=single_credit
        )
        problems += payment_problems(payments, receipts, settled=settled)
        problems += await issue_problems(session)
        if settled:
            problems += await chain_problems(session, receipts)
        if received is not None:
            problems += await delivery_problems(session, received)
    return problems
