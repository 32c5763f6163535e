"""Pure mapping from withdrawal rows to the wire shapes of the API and of webhook events.

Money strings are ``"<amount> <SYMBOL>"`` with trailing zeros trimmed but at least two decimal
places (``"0.75 USDC-ERC20"``, ``"0.0012 USDC-ERC20"``, ``"502.00 USDT-TRC20"``), as in the
CoinWerx examples; USD amounts are ``"$1.00"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kassa.assets.registry import Asset, registry
from kassa.kit.money import format_atomic, from_atomic
from kassa.kit.timeutil import isoformat
from kassa.models.withdrawal import (
    BatchStatus,
    Withdrawal,
    WithdrawalBatch,
    WithdrawalStatus,
)
from kassa.withdrawals.fees import Fees

RESTORED = (WithdrawalStatus.FAILED, WithdrawalStatus.REJECTED)


def display(amount: int, decimals: int) -> str:
    whole, _, fraction = format_atomic(amount, decimals).partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def money(amount: int, asset: Asset) -> str:
    return f"{display(amount, asset.decimals)} {asset.symbol}"


def usd(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def number(amount: int, asset: Asset) -> Decimal:
    """An atomic amount as an exact JSON number without trailing zeros (``500``, ``0.25``)."""
    text = format(from_atomic(amount, asset.decimals), "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def explorer_url(withdrawal: Withdrawal, asset: Asset) -> str | None:
    if withdrawal.tx_hash is None or withdrawal.network == "devnet":
        return None
    return asset.chain.explorer_url(withdrawal.tx_hash)


def message(w: Withdrawal, asset: Asset) -> str:
    what = f"{number(w.amount, asset)} {asset.symbol}"
    confirmations = f"{asset.confirmations} confirmation(s)"
    if w.status == WithdrawalStatus.DRAFT:
        return f"{what} awaits approval: the amount is above this API key's withdrawal limit."
    if w.status == WithdrawalStatus.PENDING:
        return f"{what} queued for broadcast. Completes after {confirmations}."
    if w.status == WithdrawalStatus.BROADCASTING:
        return f"{what} sent. Awaiting {confirmations}."
    if w.status == WithdrawalStatus.COMPLETED:
        return f"{what} delivered with {confirmations}."
    if w.status == WithdrawalStatus.REJECTED:
        return f"{what} was rejected by an approver. Your balance was restored in full."
    return f"{what} failed: {w.error}. Your balance was restored in full."


def total_deducted(w: Withdrawal) -> int:
    return 0 if w.status in RESTORED else w.held - w.fee_refund


def withdrawal_body(w: Withdrawal) -> dict[str, Any]:
    assets = registry().assets
    asset, native = assets[w.asset], assets[w.native_asset]
    return {
        "id": str(w.id),
        "status": w.status,
        "asset": w.asset,
        "network": w.network,
        "amount_sent": number(w.amount, asset),
        "destination_address": w.destination_address,
        "destination_tag": w.destination_tag,
        "tx_hash": w.tx_hash,
        "explorer_url": explorer_url(w, asset),
        "platform_fee": money(w.platform_fee, asset),
        "platform_fee_usd": usd(w.platform_fee_usd),
        "estimated_network_fee": money(w.network_fee, asset),
        "network_fee_native": money(w.network_fee_native, native),
        "network_fee_refunded": money(w.fee_refund, asset),
        "total_deducted": money(total_deducted(w), asset),
        "confirmations": w.confirmations,
        "confirmations_required": asset.confirmations,
        "external_ref": w.external_ref,
        "label": w.label,
        "batch_id": str(w.batch_id) if w.batch_id else None,
        "error": w.error,
        "created_at": isoformat(w.created_at),
        "updated_at": isoformat(w.updated_at),
        "completed_at": isoformat(w.completed_at) if w.completed_at else None,
        "message": message(w, asset),
    }


def estimate_body(
    asset: Asset, submitted: Decimal, fees: Fees, amount: int, available: int
) -> dict[str, Any]:
    """The ``POST /api/estimate-fee`` answer, exactly the CoinWerx fields."""
    required = fees.total(amount)
    return {
        "asset": asset.symbol,
        "amount": submitted,
        "platform_fee": money(fees.platform_fee, asset),
        "estimated_network_fee": money(fees.network_fee, asset),
        "total_required": money(required, asset),
        "balance_available": money(available, asset),
        "sufficient_balance": available >= required,
    }


def breakdown_body(fees: Fees, amount: int, available: int) -> dict[str, Any]:
    asset = fees.asset
    return {
        "asset": asset.symbol,
        "amount": number(amount, asset),
        "platform_fee": money(fees.platform_fee, asset),
        "platform_fee_usd": usd(fees.platform_fee_usd),
        "estimated_network_fee": money(fees.network_fee, asset),
        "network_fee_native": money(fees.network_fee_native, fees.native),
        "total_required": money(fees.total(amount), asset),
        "balance_available": money(available, asset),
        "sufficient_balance": available >= fees.total(amount),
    }


def shortfall_message(fees: Fees, amounts: Sequence[int], available: int) -> str:
    """The insufficient-balance error, with the exact fee breakdown and the shortfall."""
    asset, n = fees.asset, len(amounts)
    amount = sum(amounts)
    required = amount + n * fees.per_withdrawal
    if n == 1:
        head = "Insufficient balance for this withdrawal: amount"
        fee_words = ("platform fee", "network fee")
    else:
        head = f"Insufficient balance for this batch of {n} payouts: amounts"
        fee_words = ("platform fees", "network fees")
    return (
        f"{head} {money(amount, asset)}"
        f" + {fee_words[0]} {money(n * fees.platform_fee, asset)}"
        f" ({usd(n * fees.platform_fee_usd)})"
        f" + {fee_words[1]} {money(n * fees.network_fee, asset)}"
        f" ({money(n * fees.network_fee_native, fees.native)})"
        f" = {money(required, asset)} required; {money(available, asset)} available;"
        f" short by {money(required - available, asset)}. Nothing was sent."
    )


# --- webhook events ---------------------------------------------------------------------------


def _event(kind: str, w: Withdrawal, at: datetime, *, amount: Any = None) -> dict[str, Any]:
    asset = registry().assets[w.asset]
    body: dict[str, Any] = {
        "event": kind,
        "withdrawal_id": str(w.id),
        "external_ref": w.external_ref,
    }
    if w.label is not None:
        body["label"] = w.label
    body["asset"] = w.asset
    body["amount"] = number(w.amount, asset) if amount is None else amount
    body["destination"] = w.destination_address
    if w.destination_tag is not None:
        body["destination_tag"] = w.destination_tag
    if w.batch_id is not None:
        body["batch_id"] = str(w.batch_id)
    return body


def pending_event(w: Withdrawal, at: datetime) -> dict[str, Any]:
    return {**_event("withdrawal.pending", w, at), "timestamp": isoformat(at)}


def broadcasting_event(w: Withdrawal, at: datetime) -> dict[str, Any]:
    asset = registry().assets[w.asset]
    return {
        **_event("withdrawal.broadcasting", w, at),
        "tx_hash": w.tx_hash,
        "explorer_url": explorer_url(w, asset),
        "timestamp": isoformat(at),
    }


def completed_event(w: Withdrawal, at: datetime) -> dict[str, Any]:
    asset = registry().assets[w.asset]
    return {
        **_event("withdrawal.completed", w, at, amount=format_atomic(w.amount, asset.decimals)),
        "tx_hash": w.tx_hash,
        "explorer_url": explorer_url(w, asset),
        "network_fee_refunded": money(w.fee_refund, asset),
        "timestamp": isoformat(at),
    }


def failed_event(w: Withdrawal, at: datetime) -> dict[str, Any]:
    return {**_event("withdrawal.failed", w, at), "error": w.error, "timestamp": isoformat(at)}


# --- batches ----------------------------------------------------------------------------------


def batch_counts(withdrawals: Sequence[Withdrawal]) -> dict[str, int]:
    done = sum(1 for w in withdrawals if w.status == WithdrawalStatus.COMPLETED)
    failed = sum(1 for w in withdrawals if w.status in RESTORED)
    return {"completed": done, "failed": failed, "in_progress": len(withdrawals) - done - failed}


def batch_body(batch: WithdrawalBatch, withdrawals: Sequence[Withdrawal]) -> dict[str, Any]:
    asset = registry().assets[batch.asset]
    fees = batch.total_platform_fee + batch.total_network_fee
    return {
        "batch_id": str(batch.id),
        "status": batch.status,
        "asset": batch.asset,
        "total_recipients": batch.total_recipients,
        "total_amount": number(batch.total_amount, asset),
        "total_fees_usd": usd(batch.fees_usd),
        "total_platform_fee": money(batch.total_platform_fee, asset),
        "total_network_fee": money(batch.total_network_fee, asset),
        "total_required": money(batch.total_amount + fees, asset),
        **batch_counts(withdrawals),
        "external_ref": batch.external_ref,
        "label": batch.label,
        "withdrawals": [
            {
                "id": str(w.id),
                "address": w.destination_address,
                "amount": number(w.amount, asset),
                "status": w.status,
                "external_ref": w.external_ref,
                "tx_hash": w.tx_hash,
            }
            for w in withdrawals
        ],
        "created_at": isoformat(batch.created_at),
        "updated_at": isoformat(batch.updated_at),
    }


def batch_event(
    batch: WithdrawalBatch, withdrawals: Sequence[Withdrawal], at: datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": f"batch.{batch.status}",
        "batch_id": str(batch.id),
        "external_ref": batch.external_ref,
    }
    if batch.label is not None:
        body["label"] = batch.label
    body.update(
        {
            "asset": batch.asset,
            "status": batch.status,
            "total_recipients": batch.total_recipients,
            **batch_counts(withdrawals),
            "timestamp": isoformat(at),
        }
    )
    return body


def batch_status(statuses: Sequence[WithdrawalStatus]) -> BatchStatus:
    """processing → partial (some completed) → completed (all) / failed (all failed/rejected).

    A batch whose payouts all ended, some completed and some failed, stays ``partial``.
    """
    if statuses and all(s == WithdrawalStatus.DRAFT for s in statuses):
        return BatchStatus.DRAFT
    done = sum(1 for s in statuses if s == WithdrawalStatus.COMPLETED)
    failed = sum(1 for s in statuses if s in RESTORED)
    if done == len(statuses):
        return BatchStatus.COMPLETED
    if failed == len(statuses):
        return BatchStatus.FAILED
    return BatchStatus.PARTIAL if done else BatchStatus.PROCESSING
