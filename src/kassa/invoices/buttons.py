"""Buy-now buttons: an HTML snippet for the merchant's site; each click creates an invoice.

The snippet is a plain HTML form that POSTs to ``/pay/button/{id}``. The price and items are
stored here when the merchant creates the button, so a buyer cannot change them; the click only
says "one more invoice from this template". Abuse is bounded: a button makes at most
``max_per_hour`` invoices (the button row is locked while counting), an invoice issues no
address until the buyer picks an asset, and a buyer can switch asset only a few times.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.invoices.amounts import format_minor
from kassa.invoices.repository import InvoiceRepository
from kassa.invoices.schemas import DEFAULT_BUTTON_MINUTES, CreateButton, InvoiceTemplate
from kassa.invoices.service import create_invoice, price
from kassa.kit import jsonutil
from kassa.kit.errors import HTTPError, NotFound
from kassa.kit.timeutil import isoformat
from kassa.merchants.repository import MerchantRepository
from kassa.models.invoice import BuyNowButton, Invoice
from kassa.models.merchant import MerchantStatus
from kassa.runtime import Runtime

BUTTON_STYLE = (
    "font:600 16px/1.2 system-ui,sans-serif;padding:12px 20px;border:0;border-radius:8px;"
    "background:#1d4ed8;color:#fff;cursor:pointer"
)


class TooManyRequests(HTTPError):
    """429: a rate limit was reached."""

    status_code = 429


def action_url(base_url: str, button_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/pay/button/{button_id}"


def snippet(base_url: str, button: BuyNowButton) -> str:
    """The HTML to paste into a page: no script, no external resource."""
    action = html.escape(action_url(base_url, button.id), quote=True)
    name = html.escape(button.name)
    return (
        f'<form action="{action}" method="post" target="_top" class="kassa-buy-now">'
        f'<button type="submit" style="{BUTTON_STYLE}">{name}</button></form>'
    )


def _template(button: BuyNowButton) -> InvoiceTemplate:
    return InvoiceTemplate.model_validate(jsonutil.loads(button.template))


def button_body(button: BuyNowButton, base_url: str) -> dict[str, Any]:
    template = _template(button)
    _, amounts = price(template)
    return {
        "id": str(button.id),
        "name": button.name,
        "currency": template.currency,
        "total": format_minor(amounts.total, template.currency),
        "max_per_hour": button.max_per_hour,
        "action_url": action_url(base_url, button.id),
        "snippet": snippet(base_url, button),
        "disabled": button.disabled_at is not None,
        "created_at": isoformat(button.created_at),
    }


async def create_button(
    session: AsyncSession, merchant_id: uuid.UUID, request: CreateButton, now: datetime
) -> BuyNowButton:
    template = request.invoice
    price(template)
    button = BuyNowButton(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        name=request.name,
        template=jsonutil.dumps(template.model_dump(exclude_none=True)),
        max_per_hour=request.max_per_hour,
        created_at=now,
    )
    InvoiceRepository(session).add(button)
    await session.flush()
    return button


async def disable_button(
    session: AsyncSession, merchant_id: uuid.UUID, button_id: uuid.UUID, now: datetime
) -> BuyNowButton:
    button = await InvoiceRepository(session).get_button(button_id, merchant_id)
    if button is None:
        raise NotFound("Button not found")
    button.disabled_at = button.disabled_at or now
    await session.flush()
    return button


async def click(
    session: AsyncSession, runtime: Runtime, button_id: uuid.UUID, now: datetime
) -> Invoice:
    """A buyer clicked the button: one new invoice from its template, within the hourly cap."""
    button = await session.scalar(
        select(BuyNowButton).where(BuyNowButton.id == button_id).with_for_update()
    )
    if button is None or button.disabled_at is not None:
        raise NotFound("Button not found")
    merchant = await MerchantRepository(session).get(button.merchant_id)
    if merchant is None or merchant.status != MerchantStatus.ACTIVE:
        raise NotFound("Button not found")
    recent = await InvoiceRepository(session).button_invoices_since(
        button.id, now - timedelta(hours=1)
    )
    if recent >= button.max_per_hour:
        raise TooManyRequests("This button is busy; please try again later")
    template = _template(button)
    if template.expires_minutes is None:
        template = template.model_copy(update={"expires_minutes": DEFAULT_BUTTON_MINUTES})
    return await create_invoice(session, runtime, merchant, template, now, button_id=button.id)
