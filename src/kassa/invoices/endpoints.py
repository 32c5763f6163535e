"""``/api/invoices`` (invoices with line items) and ``/api/buy-now-buttons``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from kassa.deps import RuntimeDep, SessionDep
from kassa.invoices import buttons, schemas, service, views
from kassa.invoices.repository import InvoiceRepository
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.errors import BadRequest, NotFound
from kassa.kit.pagination import PageDep
from kassa.kit.timeutil import utcnow
from kassa.merchants.auth import ReadAuth, WriteAuth
from kassa.models.invoice import InvoiceStatus
from kassa.payments.repository import PaymentRepository

router = APIRouter(route_class=ExactRoute)

IdPath = Annotated[str, Path(description="Invoice id (UUID)")]
ButtonPath = Annotated[str, Path(description="Button id (UUID)")]


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found") from None


@router.post("/invoices", tags=["invoices"], responses={200: {"model": schemas.InvoiceResponse}})
async def create_invoice(
    body: schemas.CreateInvoice, auth: WriteAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Create an invoice with line items; send the buyer to its ``checkout_url``.

    ``total = subtotal + tax + shipping - discount``, exact in ``currency``. The buyer picks the
    asset on the checkout page, which creates the payment intent (``payment``); pass ``asset`` to
    create it now. Events ``invoice.created``, ``invoice.pending``, ``invoice.paid``,
    ``invoice.completed``, ``invoice.cancelled``, ``invoice.timed_out`` go to ``webhook_url``.
    """
    invoice = await service.create_invoice(session, runtime, auth.merchant, body, utcnow())
    detail = await service.detail(session, invoice)
    return ExactJSONResponse(detail.body(runtime.settings.base_url))


@router.get("/invoices", tags=["invoices"], responses={200: {"model": schemas.InvoiceList}})
async def list_invoices(
    auth: ReadAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageDep,
    status: Annotated[
        str | None, Query(description="unpaid, pending, paid, completed, cancelled, timed_out")
    ] = None,
    external_ref: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Search label, external_ref, number")
    ] = None,
) -> ExactJSONResponse:
    """The merchant's invoices, newest first."""
    if status is not None and status not in {s.value for s in InvoiceStatus}:
        valid = ", ".join(s.value for s in InvoiceStatus)
        raise BadRequest(f"Invalid status: {status}. Valid: {valid}")
    repo = InvoiceRepository(session)
    invoices, total = await repo.list_for_merchant(
        auth.merchant.id,
        status=status,
        external_ref=external_ref,
        search=q,
        limit=page.limit,
        offset=page.offset,
    )
    ids = [i.id for i in invoices]
    items = await repo.items_of(ids)
    payments = await repo.payments_of(ids)
    receipts = await PaymentRepository(session).receipts_of(
        [i.payment_id for i in invoices if i.payment_id is not None]
    )
    base = runtime.settings.base_url
    body = {
        "invoices": [
            views.invoice_body(i, items[i.id], payments[i.id], receipts, base) for i in invoices
        ],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
    }
    return ExactJSONResponse(body)


@router.get(
    "/invoices/{invoice_id}",
    tags=["invoices"],
    responses={200: {"model": schemas.InvoiceResponse}},
)
async def get_invoice(
    invoice_id: IdPath, auth: ReadAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """An invoice, its amounts and its current payment intent."""
    detail = await service.get_invoice(session, auth.merchant.id, _uuid(invoice_id, "Invoice"))
    return ExactJSONResponse(detail.body(runtime.settings.base_url))


@router.post(
    "/invoices/{invoice_id}/cancel",
    tags=["invoices"],
    responses={200: {"model": schemas.InvoiceResponse}},
)
async def cancel_invoice(
    invoice_id: IdPath, auth: WriteAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Cancel an unpaid invoice (409 once anything was received); open payment windows close."""
    detail = await service.cancel_invoice(
        session, auth.merchant.id, _uuid(invoice_id, "Invoice"), utcnow()
    )
    return ExactJSONResponse(detail.body(runtime.settings.base_url))


@router.post(
    "/buy-now-buttons",
    tags=["buy-now buttons"],
    responses={200: {"model": schemas.ButtonResponse}},
)
async def create_button(
    body: schemas.CreateButton, auth: WriteAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Create a buy-now button and get the HTML ``snippet`` to paste into your site.

    Each click creates an invoice from ``invoice`` (price and items fixed here) and sends the
    buyer to its checkout page; at most ``max_per_hour`` invoices per hour (then 429).
    """
    button = await buttons.create_button(session, auth.merchant.id, body, utcnow())
    return ExactJSONResponse(buttons.button_body(button, runtime.settings.base_url))


@router.get(
    "/buy-now-buttons", tags=["buy-now buttons"], responses={200: {"model": schemas.ButtonList}}
)
async def list_buttons(
    auth: ReadAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """The merchant's buy-now buttons, newest first."""
    rows = await InvoiceRepository(session).buttons_of(auth.merchant.id)
    base = runtime.settings.base_url
    return ExactJSONResponse({"buttons": [buttons.button_body(b, base) for b in rows]})


@router.get(
    "/buy-now-buttons/{button_id}",
    tags=["buy-now buttons"],
    responses={200: {"model": schemas.ButtonResponse}},
)
async def get_button(
    button_id: ButtonPath, auth: ReadAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """A buy-now button and its snippet."""
    button = await InvoiceRepository(session).get_button(
        _uuid(button_id, "Button"), auth.merchant.id
    )
    if button is None:
        raise NotFound("Button not found")
    return ExactJSONResponse(buttons.button_body(button, runtime.settings.base_url))


@router.post(
    "/buy-now-buttons/{button_id}/disable",
    tags=["buy-now buttons"],
    responses={200: {"model": schemas.ButtonResponse}},
)
async def disable_button(
    button_id: ButtonPath, auth: WriteAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Stop a button: further clicks answer 404; invoices already created are unaffected."""
    button = await buttons.disable_button(
        session, auth.merchant.id, _uuid(button_id, "Button"), utcnow()
    )
    return ExactJSONResponse(buttons.button_body(button, runtime.settings.base_url))
