"""Dashboard: invoices (search by label, reference or number), one invoice, cancelling it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kassa.dashboard.deps import PAGE_SIZE, CsrfUserDep, UserDep, missing, page, redirect
from kassa.dashboard.repository import DashboardRepository
from kassa.dashboard.views import event_rows, invoice_row, pager, parse_uuid, payment_row, when
from kassa.deps import RuntimeDep, SessionDep
from kassa.invoices import service
from kassa.invoices.repository import InvoiceRepository
from kassa.kit import jsonutil
from kassa.kit.errors import HTTPError
from kassa.kit.timeutil import utcnow
from kassa.models.invoice import InvoiceStatus

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=200)]


@router.get("/dashboard/invoices")
async def list_invoices(
    request: Request,
    user: UserDep,
    session: SessionDep,
    q: Text = "",
    status: Text = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    statuses = [s.value for s in InvoiceStatus]
    rows, total = await InvoiceRepository(session).list_for_merchant(
        user.merchant.id,
        status=status if status in statuses else None,
        search=q.strip() or None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    context = {
        "invoices": [invoice_row(i) for i in rows],
        "total": total,
        "q": q,
        "status": status,
        "statuses": statuses,
        "pager": pager(
            "/dashboard/invoices", {"q": q, "status": status}, page_number, total, PAGE_SIZE
        ),
    }
    return page(request, user, "invoices.html", "invoices", context)


@router.get("/dashboard/invoices/{invoice_id}")
async def show_invoice(
    invoice_id: str, request: Request, user: UserDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    iid = parse_uuid(invoice_id)
    invoice = (
        await InvoiceRepository(session).get_for_merchant(user.merchant.id, iid) if iid else None
    )
    if invoice is None:
        return missing(request, user, "Invoice", "invoices")
    detail = await service.detail(session, invoice)
    body = detail.body(runtime.settings.base_url)
    events = await DashboardRepository(session).events_of_invoice(user.merchant.id, invoice.id)
    context = {
        "i": body,
        "created": when(invoice.created_at),
        "expires": when(invoice.expires_at),
        "buyer": jsonutil.dumps(body["buyer"]) if body["buyer"] else None,
        "custom_data": jsonutil.dumps(body["custom_data"]) if body["custom_data"] else None,
        "payments": [payment_row(p) for p in detail.payments],
        "events": await event_rows(session, events, f"/dashboard/invoices/{invoice.id}"),
        "cancellable": invoice.status == InvoiceStatus.UNPAID,
    }
    return page(request, user, "invoice.html", "invoices", context)


@router.post("/dashboard/invoices/{invoice_id}/cancel")
async def cancel_invoice(
    invoice_id: str, request: Request, user: CsrfUserDep, session: SessionDep
) -> Response:
    back = f"/dashboard/invoices/{invoice_id}"
    iid = parse_uuid(invoice_id)
    if iid is None:
        return missing(request, user, "Invoice", "invoices")
    try:
        await service.cancel_invoice(session, user.merchant.id, iid, utcnow())
    except HTTPError as exc:
        return redirect(request, back, message=exc.message, error=True)
    return redirect(request, back, message="Invoice cancelled")
