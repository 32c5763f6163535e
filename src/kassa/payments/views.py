"""Pure mapping from payment rows to the wire shapes of the API and of webhook events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from kassa.assets.registry import Asset
from kassa.kit.money import format_atomic, format_fiat, from_atomic
from kassa.kit.timeutil import isoformat
from kassa.models import Payment, Receipt
from kassa.models.payment import ReceiptStatus


def plain(amount: int, asset: Asset) -> Decimal:
    """An atomic amount as an exact JSON number without trailing zeros."""
    text = format(from_atomic(amount, asset.decimals), "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def instructions(payment: Payment, asset: Asset) -> str:
    target = "the address above"
    if payment.destination_tag is not None:
        target += f" with destination tag {payment.destination_tag}"
    return (
        f"Send {asset.symbol} to {target}. "
        f"Payment confirmed after {asset.confirmations} block confirmation(s)."
    )


def credited(receipts: Sequence[Receipt], asset: str) -> list[Receipt]:
    """Confirmed receipts of the payment's asset, in the order they were credited."""
    done = [r for r in receipts if r.status == ReceiptStatus.CONFIRMED and r.asset == asset]
    return sorted(done, key=lambda r: (r.confirmed_at or r.created_at, r.sequence))


def payment_body(payment: Payment, asset: Asset, receipts: Sequence[Receipt]) -> dict[str, Any]:
    done = credited(receipts, payment.asset)
    overpaid = max(0, payment.confirmed_atomic - payment.amount_atomic)
    pending = max(0, payment.seen_atomic - payment.confirmed_atomic)
    return {
        "id": str(payment.id),
        "status": payment.status,
        "asset": payment.asset,
        "network": payment.network,
        "address": payment.address,
        "destination_tag": payment.destination_tag,
        "amount_fiat": (
            format_fiat(payment.amount_fiat, payment.fiat_currency)
            if payment.amount_fiat is not None
            else None
        ),
        "amount_crypto": format_atomic(payment.amount_atomic, asset.decimals),
        "fiat_currency": payment.fiat_currency,
        "live_price_used": payment.live_price,
        "external_ref": payment.external_ref,
        "label": payment.label,
        "description": payment.description,
        "expires_at": isoformat(payment.expires_at),
        "instructions": instructions(payment, asset),
        "amount_received": format_atomic(payment.confirmed_atomic, asset.decimals),
        "amount_pending": format_atomic(pending, asset.decimals),
        "amount_overpaid": format_atomic(overpaid, asset.decimals),
        "confirmations_required": asset.confirmations,
        "transaction_count": len(done),
        "tx_hashes": [r.tx_hash for r in done],
        "late_payment": payment.paid_late,
        "created_at": isoformat(payment.created_at),
        "confirmed_at": isoformat(payment.confirmed_at) if payment.confirmed_at else None,
    }


def detected_event(
    payment: Payment, receipt: Receipt, asset: Asset, at: datetime
) -> dict[str, Any]:
    return {
        "event": "payment.detected",
        "payment_id": str(payment.id),
        "external_ref": payment.external_ref,
        "asset": receipt.asset,
        "amount": plain(receipt.amount_atomic, asset),
        "tx_hash": receipt.tx_hash,
        "confirmations": receipt.confirmations,
        "late": receipt.late,
        "timestamp": isoformat(at),
    }


def credit_event(
    kind: str,
    payment: Payment,
    receipt: Receipt,
    asset: Asset,
    receipts: Sequence[Receipt],
    explorer_url: str | None,
    at: datetime,
) -> dict[str, Any]:
    """``payment.received``, ``payment.confirmed`` or ``payment.other_asset_received`` for one
    credited receipt."""
    done = credited(receipts, payment.asset)
    return {
        "event": kind,
        "payment_id": str(payment.id),
        "external_ref": payment.external_ref,
        "asset": receipt.asset,
        "network": asset.chain.network_label,
        "amount_received": plain(receipt.amount_atomic, asset),
        "platform_fee": plain(receipt.fee_atomic, asset),
        "amount_net": plain(receipt.amount_atomic - receipt.fee_atomic, asset),
        "tx_hash": receipt.tx_hash,
        "tx_hashes": [r.tx_hash for r in done],
        "transaction_count": len(done),
        "explorer_url": explorer_url,
        "confirmed_via": "block_scan",
        "confirmations": receipt.confirmations,
        "late": receipt.late,
        "status": payment.status,
        "timestamp": isoformat(at),
    }


def closed_event(kind: str, payment: Payment, asset: Asset, at: datetime) -> dict[str, Any]:
    """``payment.expired`` or ``payment.underpaid``."""
    body: dict[str, Any] = {
        "event": kind,
        "payment_id": str(payment.id),
        "external_ref": payment.external_ref,
        "asset": payment.asset,
        "amount_expected": plain(payment.amount_atomic, asset),
        "amount_received": plain(payment.confirmed_atomic, asset),
        "timestamp": isoformat(at),
    }
    if kind == "payment.underpaid":
        body["amount_missing"] = plain(payment.amount_atomic - payment.confirmed_atomic, asset)
    return body


def reverted_event(
    payment: Payment, receipt: Receipt, asset: Asset, was_confirmed: bool, at: datetime
) -> dict[str, Any]:
    return {
        "event": "payment.reverted",
        "payment_id": str(payment.id),
        "external_ref": payment.external_ref,
        "asset": receipt.asset,
        "network": asset.chain.network_label,
        "amount_reverted": plain(receipt.amount_atomic, asset),
        "tx_hash": receipt.tx_hash,
        "was_confirmed": was_confirmed,
        "status": payment.status,
        "timestamp": isoformat(at),
    }
