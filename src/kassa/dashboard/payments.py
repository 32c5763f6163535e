"""Dashboard: payments (search by label or reference), one payment's receipts, confirmations and
events with their webhook deliveries, and resending an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kassa.assets.registry import registry
from kassa.dashboard.deps import PAGE_SIZE, CsrfUserDep, UserDep, missing, page, redirect
from kassa.dashboard.repository import DashboardRepository
from kassa.dashboard.views import event_rows, pager, parse_uuid, payment_row, safe_next, when
from kassa.deps import RuntimeDep, SessionDep
from kassa.invoices.repository import InvoiceRepository
from kassa.kit.errors import HTTPError, NotFound
from kassa.kit.money import format_atomic
from kassa.models.payment import PaymentStatus
from kassa.payments.repository import PaymentRepository
from kassa.payments.views import payment_body
from kassa.webhooks import service as webhooks

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=200)]


@router.get("/dashboard/payments")
async def list_payments(
    request: Request,
    user: UserDep,
    session: SessionDep,
    q: Text = "",
    status: Text = "",
    asset: Text = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    statuses = [s.value for s in PaymentStatus]
    symbols = list(registry().assets)
    rows, total = await DashboardRepository(session).search_payments(
        user.merchant.id,
        search=q.strip() or None,
        status=status if status in statuses else None,
        asset=asset if asset in symbols else None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    context = {
        "payments": [payment_row(p) for p in rows],
        "total": total,
        "q": q,
        "status": status,
        "asset": asset,
        "statuses": statuses,
        "assets": symbols,
        "pager": pager(
            "/dashboard/payments",
            {"q": q, "status": status, "asset": asset},
            page_number,
            total,
            PAGE_SIZE,
        ),
    }
    return page(request, user, "payments.html", "payments", context)


@router.get("/dashboard/payments/{payment_id}")
async def show_payment(
    payment_id: str, request: Request, user: UserDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    pid = parse_uuid(payment_id)
    repo = PaymentRepository(session)
    payment = await repo.get_for_merchant(user.merchant.id, pid) if pid else None
    if payment is None:
        return missing(request, user, "Payment", "payments")
    asset = registry().assets[payment.asset]
    receipts = (await repo.receipts_of([payment.id])).get(payment.id, [])
    body = payment_body(payment, asset, receipts)
    body["created_at"] = when(payment.created_at)
    body["expires_at"] = when(payment.expires_at)
    events = await DashboardRepository(session).events_of_payment(user.merchant.id, payment.id)
    back = f"/dashboard/payments/{payment.id}"
    context = {
        "p": body,
        "zero": format_atomic(0, asset.decimals),
        "receipts": [
            {
                "sequence": r.sequence,
                "tx_hash": r.tx_hash,
                "amount": format_atomic(r.amount_atomic, asset.decimals),
                "confirmations": r.confirmations,
                "required": asset.confirmations,
                "status": r.status,
                "late": r.late,
            }
            for r in receipts
        ],
        "events": await event_rows(session, events, back),
        "checkout_url": f"{runtime.settings.base_url}/pay/{payment.id}",
        "invoice_id": await InvoiceRepository(session).invoice_of_payment(payment.id),
    }
    return page(request, user, "payment.html", "payments", context)


@router.post("/dashboard/events/{event_id}/resend")
async def resend_event(
    event_id: str,
    request: Request,
    user: CsrfUserDep,
    session: SessionDep,
    next_page: Annotated[str, Query(alias="next", max_length=300)] = "",
) -> Response:
    """Deliver the event again now, to every target it had (webhooks service)."""
    back = safe_next(next_page, "/dashboard/payments")
    try:
        eid = parse_uuid(event_id)
        if eid is None:
            raise NotFound("Event not found")
        event = await webhooks.get_event(session, user.merchant.id, eid)
        deliveries = await webhooks.resend(session, user.merchant.id, event, None)
    except HTTPError as exc:
        return redirect(request, back, message=exc.message, error=True)
    count = len(deliveries)
    plural = "y" if count == 1 else "ies"
    return redirect(request, back, message=f"{event.type}: {count} deliver{plural} queued again")
