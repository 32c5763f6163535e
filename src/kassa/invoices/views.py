"""Pure mapping from invoice rows to the API's and the webhook events' shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kassa.assets.registry import registry
from kassa.invoices.amounts import format_minor, from_minor
from kassa.kit import jsonutil
from kassa.kit.timeutil import isoformat
from kassa.models import Payment, Receipt
from kassa.models.invoice import Invoice, InvoiceItem
from kassa.payments.views import payment_body


def checkout_url(base_url: str, object_id: object) -> str:
    return f"{base_url.rstrip('/')}/pay/{object_id}"


def _json(text: str | None) -> Any:
    return None if text is None else jsonutil.loads(text)


def _time(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def item_body(item: InvoiceItem, currency: str) -> dict[str, Any]:
    return {
        "name": item.name,
        "sku": item.sku,
        "description": item.description,
        "quantity": format(item.quantity, "f"),
        "unit_price": format_minor(item.unit_price, currency),
        "tax": format_minor(item.tax, currency),
        "amount": format_minor(item.amount, currency),
    }


def amount_body(invoice: Invoice) -> dict[str, str]:
    c = invoice.currency
    return {
        "subtotal": format_minor(invoice.subtotal, c),
        "tax": format_minor(invoice.tax, c),
        "shipping": format_minor(invoice.shipping, c),
        "discount": format_minor(invoice.discount, c),
        "total": format_minor(invoice.total, c),
    }


def invoice_body(
    invoice: Invoice,
    items: Sequence[InvoiceItem],
    payments: Sequence[Payment],
    receipts: dict[Any, list[Receipt]],
    base_url: str,
) -> dict[str, Any]:
    """``payment`` is the invoice's current payment intent, in the shape of ``/api/payments``."""
    current = next((p for p in payments if p.id == invoice.payment_id), None)
    assets = registry().assets
    return {
        "id": str(invoice.id),
        "status": invoice.status,
        "currency": invoice.currency,
        "invoice_number": invoice.number,
        "external_ref": invoice.external_ref,
        "label": invoice.label,
        "description": invoice.description,
        "notes": invoice.notes,
        "items": [item_body(i, invoice.currency) for i in items],
        "amount": amount_body(invoice),
        "buyer": _json(invoice.buyer),
        "custom_data": _json(invoice.custom_data),
        "due_date": _time(invoice.due_at),
        "expires_at": isoformat(invoice.expires_at),
        "checkout_url": checkout_url(base_url, invoice.id),
        "success_url": invoice.success_url,
        "cancel_url": invoice.cancel_url,
        "webhook_url": invoice.webhook_url,
        "payment": (
            payment_body(current, assets[current.asset], receipts.get(current.id, []))
            if current is not None
            else None
        ),
        "payment_ids": [str(p.id) for p in payments],
        "created_at": isoformat(invoice.created_at),
        "paid_at": _time(invoice.paid_at),
        "completed_at": _time(invoice.completed_at),
        "cancelled_at": _time(invoice.cancelled_at),
    }


def invoice_event(invoice: Invoice, payment: Payment | None, at: datetime) -> dict[str, Any]:
    """``invoice.<status>``: the invoice's new status and the payment that decided it."""
    return {
        "event": f"invoice.{invoice.status}",
        "invoice_id": str(invoice.id),
        "invoice_number": invoice.number,
        "external_ref": invoice.external_ref,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": from_minor(invoice.total, invoice.currency),
        "payment_id": str(payment.id) if payment is not None else None,
        "asset": payment.asset if payment is not None else None,
        "custom_data": _json(invoice.custom_data),
        "timestamp": isoformat(at),
    }
