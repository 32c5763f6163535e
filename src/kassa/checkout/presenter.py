"""From a checkout target and its state to what the templates print (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import segno
from markupsafe import Markup

from kassa.assets.registry import Asset, registry
from kassa.checkout.i18n import LANGUAGE_NAMES, Translator
from kassa.checkout.service import Target
from kassa.checkout.state import Stage, View
from kassa.checkout.uris import amount_text, payment_uri
from kassa.config import Settings
from kassa.invoices.amounts import format_minor
from kassa.kit.money import format_fiat
from kassa.kit.timeutil import as_utc, isoformat


@lru_cache(maxsize=1024)
def qr_svg(data: str) -> Markup:
    """An inline SVG QR code (no image request, no script); live updates re-render the same
    URI every poll, so the codes are cached."""
    svg = segno.make(data, error="m", micro=False).svg_inline(
        scale=4, border=2, dark="#111827", light="#ffffff", omitsize=True, svgclass="qr-svg"
    )
    return Markup(svg)  # noqa: S704 - segno's own SVG markup, the data is only path geometry


def countdown_text(seconds: int) -> str:
    seconds = max(0, seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class AssetChoice:
    symbol: str
    name: str
    network: str


def enabled_assets(chains: frozenset[str]) -> list[AssetChoice]:
    return [
        AssetChoice(a.symbol, a.name, a.chain.network_label)
        for a in registry().assets.values()
        if a.chain.id in chains
    ]


def order_context(target: Target) -> dict[str, Any]:
    invoice = target.invoice
    if invoice is not None:
        c = invoice.currency
        lines = [
            ("subtotal", invoice.subtotal, False),
            ("tax", invoice.tax, False),
            ("shipping", invoice.shipping, False),
            ("discount", invoice.discount, True),
        ]
        return {
            "description": invoice.description,
            "number": invoice.number,
            "due": invoice.due_at.date().isoformat() if invoice.due_at else None,
            "notes": invoice.notes,
            "items": [
                {
                    "name": i.name,
                    "quantity": format(i.quantity, "f"),
                    "amount": format_minor(i.amount, c),
                }
                for i in target.items
            ],
            "lines": [
                (key, ("−" if minus else "") + format_minor(value, c))
                for key, value, minus in lines
                if value or key == "subtotal"
            ],
            "total": f"{format_minor(invoice.total, c)} {c}",
        }
    payment = target.payment
    assert payment is not None
    asset = registry().assets[payment.asset]
    fiat = (
        f"{format_fiat(payment.amount_fiat, payment.fiat_currency)} {payment.fiat_currency}"
        if payment.amount_fiat is not None
        else f"{amount_text(payment.amount_atomic, asset)} {asset.symbol}"
    )
    return {
        "description": payment.description,
        "number": None,
        "due": None,
        "notes": None,
        "items": [],
        "lines": [],
        "total": fiat,
    }


def live_context(
    target: Target,
    state: View,
    settings: Settings,
    chains: frozenset[str],
    now: datetime,
    *,
    choosing: bool = False,
) -> dict[str, Any]:
    """Everything the live panel (``_live.html``) needs for the current stage.

    ``choosing`` shows the asset choice instead of the open payment (the buyer asked to switch);
    it is marked final so that live updates do not take the form away.
    """
    invoice = target.invoice
    context: dict[str, Any] = {
        "stage": Stage.CHOOSE.value if choosing else state.stage.value,
        "key": f"choose:{state.key}" if choosing else state.key,
        "final": state.final or choosing,
        "pay_url": f"/pay/{target.id}",
        "success_url": invoice.success_url if invoice else None,
        "cancel_url": invoice.cancel_url if invoice else None,
        "devnet": settings.network == "devnet",
        "expired_before": state.expired_before,
        "can_change": bool(invoice and target.can_choose and state.stage == Stage.AWAITING),
    }
    if state.stage == Stage.CHOOSE or choosing:
        context["assets"] = enabled_assets(chains)
        context["expires_at"] = isoformat(invoice.expires_at) if invoice else None
        return context
    payment = state.payment
    if payment is None:
        return context
    asset: Asset = registry().assets[payment.asset]
    due = state.remaining
    chain_settings = settings.chain(asset.chain.id)
    uri = payment_uri(
        asset,
        payment.network,
        payment.address,
        due,
        payment.destination_tag,
        contract=chain_settings.tokens.get(asset.symbol),
        chain_id=getattr(chain_settings, "chain_id", None),
        label=target.merchant_name or None,
    )
    left = int((as_utc(payment.expires_at) - now).total_seconds())
    context.update(
        {
            "asset": asset.symbol,
            "asset_name": asset.name,
            "network": asset.chain.network_label,
            "address": payment.address,
            "destination_tag": payment.destination_tag,
            "amount": amount_text(payment.amount_atomic, asset),
            "due": amount_text(due, asset),
            "received": amount_text(payment.seen_atomic, asset),
            "remaining": amount_text(due, asset),
            "confirmations": state.confirmations,
            "required": asset.confirmations,
            "uri": uri,
            "qr": qr_svg(uri) if due > 0 else None,
            "expires_at": isoformat(payment.expires_at),
            "seconds_left": max(0, left),
            "countdown": countdown_text(left),
            "window_open": left > 0,
        }
    )
    return context


def page_context(
    target: Target,
    state: View,
    settings: Settings,
    chains: frozenset[str],
    t: Translator,
    now: datetime,
    *,
    choosing: bool = False,
) -> dict[str, Any]:
    return {
        "t": t,
        "lang": t.locale,
        "languages": LANGUAGE_NAMES,
        "merchant": target.merchant_name,
        "devnet": settings.network == "devnet",
        "order": order_context(target),
        "live": live_context(target, state, settings, chains, now, choosing=choosing),
        "status_url": f"/pay/{target.id}/status?lang={t.locale}",
        "events_url": f"/pay/{target.id}/events?lang={t.locale}",
    }
