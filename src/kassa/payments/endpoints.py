"""``/api/payments``: payment intents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from kassa.assets.registry import registry
from kassa.deps import RuntimeDep, SessionDep
from kassa.idempotency.dependency import IdempotencyDep
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.errors import BadRequest, NotFound
from kassa.kit.pagination import PageDep
from kassa.merchants.auth import ReadAuth, WriteAuth
from kassa.models.payment import PaymentStatus
from kassa.payments import schemas, service, views
from kassa.payments.repository import PaymentRepository

router = APIRouter(prefix="/payments", tags=["payments"], route_class=ExactRoute)


def _payment_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Payment not found") from None


@router.post("", responses={200: {"model": schemas.PaymentResponse}})
async def create_payment(
    body: schemas.CreatePayment,
    auth: WriteAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a payment intent and get its own deposit address.

    Kassa watches the chain and sends events to ``webhook_url`` when the payment is detected and
    when it is confirmed. With only ``amount_fiat``, the live price fixes the crypto amount.
    An ``Idempotency-Key`` header makes retries safe (the first response is replayed).
    """

    async def create() -> Response:
        payment = await service.create_payment(session, runtime, auth, body)
        asset = registry().assets[payment.asset]
        return ExactJSONResponse(views.payment_body(payment, asset, []))

    return await idempotency.run(session, auth.merchant.id, create, payout=False)


@router.get("/{payment_id}", responses={200: {"model": schemas.PaymentResponse}})
async def get_payment(
    payment_id: Annotated[str, Path(description="Payment id (UUID)")],
    auth: ReadAuth,
    session: SessionDep,
) -> ExactJSONResponse:
    """A payment's status, amounts received and transactions."""
    payment, receipts = await service.get_payment(session, auth, _payment_id(payment_id))
    return ExactJSONResponse(
        views.payment_body(payment, registry().assets[payment.asset], receipts)
    )


@router.get("", responses={200: {"model": schemas.PaymentList}})
async def list_payments(
    auth: ReadAuth,
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        str | None, Query(description="pending, detected, confirmed, expired, underpaid")
    ] = None,
    asset: Annotated[str | None, Query(description="Asset symbol, e.g. BTC")] = None,
    external_ref: Annotated[str | None, Query(max_length=200)] = None,
) -> ExactJSONResponse:
    """The merchant's payments, newest first."""
    if status is not None and status not in {s.value for s in PaymentStatus}:
        valid = ", ".join(s.value for s in PaymentStatus)
        raise BadRequest(f"Invalid status: {status}. Valid: {valid}")
    symbol = registry().get(asset.upper()).symbol if asset else None
    repo = PaymentRepository(session)
    payments, total = await repo.list_for_merchant(
        auth.merchant.id,
        status=status,
        asset=symbol,
        external_ref=external_ref,
        limit=page.limit,
        offset=page.offset,
    )
    receipts = await repo.receipts_of([p.id for p in payments])
    assets = registry().assets
    body = {
        "payments": [
            views.payment_body(p, assets[p.asset], receipts.get(p.id, [])) for p in payments
        ],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
    }
    return ExactJSONResponse(body)
