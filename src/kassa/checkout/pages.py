"""The hosted checkout: ``/pay/{id}`` for invoices and payments, its live status (JSON and
server-sent events), the buyer's asset choice, the devnet's simulate button, and buy-now clicks.

Public pages: no API key, unguessable ids, nothing merchant-private. Each database access opens
its own short session, so a long-lived event stream never holds a connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from kassa.checkout import service
from kassa.checkout.i18n import LANGUAGE_NAMES, Translator, negotiate
from kassa.checkout.presenter import page_context
from kassa.checkout.service import Target
from kassa.checkout.state import Stage
from kassa.checkout.web import SECURITY_HEADERS, environment, render
from kassa.deps import RuntimeDep
from kassa.invoices import buttons
from kassa.invoices.service import choose_asset
from kassa.kit import jsonutil
from kassa.kit.api import ExactJSONResponse
from kassa.kit.errors import HTTPError, NotFound
from kassa.kit.timeutil import utcnow
from kassa.runtime import Runtime

router = APIRouter(include_in_schema=False)
templates = environment("kassa.checkout")

STREAM_SECONDS = 300.0
"""An event stream ends after this long; the browser's EventSource reconnects by itself."""
STREAM_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0

Lang = Annotated[str | None, Query(max_length=8)]


def translator(request: Request, lang: str | None) -> Translator:
    return Translator(negotiate(lang, request.headers.get("accept-language")))


def _message(t: Translator, runtime: Runtime, title: str, text: str, status: int) -> Response:
    context = {
        "t": t,
        "lang": t.locale,
        "languages": LANGUAGE_NAMES,
        "merchant": "",
        "devnet": runtime.settings.network == "devnet",
        "title": title,
        "text": text,
    }
    return render(templates, "message.html", context, status)


def _not_found(t: Translator, runtime: Runtime) -> Response:
    return _message(t, runtime, t("not_found_title"), t("not_found_text"), 404)


async def _load(runtime: Runtime, public_id: str) -> Target:
    async with runtime.db.session() as session:
        return await service.load(session, service.parse_id(public_id))


def _state_body(runtime: Runtime, target: Target, t: Translator) -> dict[str, Any]:
    now = utcnow()
    state = target.view(now)
    context = page_context(target, state, runtime.settings, runtime.keys.chains, t, now)
    html = templates.get_template("_live.html").render(**context)
    return {"stage": state.stage.value, "final": state.final, "key": state.key, "html": html}


@router.post("/pay/button/{button_id}")
async def buy_now(
    button_id: str, request: Request, runtime: RuntimeDep, lang: Lang = None
) -> Response:
    """A buy-now click from the merchant's site: create the invoice, go to its checkout."""
    t = translator(request, lang)
    try:
        async with runtime.db.session() as session:
            invoice = await buttons.click(session, runtime, service.parse_id(button_id), utcnow())
    except NotFound:
        return _not_found(t, runtime)
    except buttons.TooManyRequests as exc:
        return _message(t, runtime, t("busy_title"), exc.message, 429)
    suffix = f"?lang={lang}" if lang else ""
    return RedirectResponse(f"/pay/{invoice.id}{suffix}", status_code=303)


@router.get("/pay/{public_id}")
async def pay_page(
    public_id: str,
    request: Request,
    runtime: RuntimeDep,
    lang: Lang = None,
    change: bool = False,
) -> Response:
    """The checkout page of an invoice or a payment."""
    t = translator(request, lang)
    try:
        target = await _load(runtime, public_id)
    except NotFound:
        return _not_found(t, runtime)
    if str(target.id) != public_id.lower():
        suffix = f"?lang={lang}" if lang else ""
        return RedirectResponse(f"/pay/{target.id}{suffix}", status_code=303)
    return _page(runtime, target, t, change=change)


def _page(
    runtime: Runtime,
    target: Target,
    t: Translator,
    *,
    change: bool = False,
    error: HTTPError | None = None,
) -> Response:
    now = utcnow()
    state = target.view(now)
    choosing = change and target.can_choose and state.stage == Stage.AWAITING
    context = page_context(
        target, state, runtime.settings, runtime.keys.chains, t, now, choosing=choosing
    )
    context["error"] = error.message if error else ""
    return render(templates, "pay.html", context, error.status_code if error else 200)


@router.post("/pay/{public_id}/asset")
async def pick_asset(
    public_id: str,
    request: Request,
    runtime: RuntimeDep,
    asset: Annotated[str, Form(max_length=32)],
    lang: Lang = None,
) -> Response:
    """The buyer chose an asset for an invoice: create (or reuse) its payment intent."""
    t = translator(request, lang)
    try:
        async with runtime.db.session() as session:
            invoice_id = await service.canonical_id(session, service.parse_id(public_id))
            await choose_asset(session, runtime, invoice_id, asset, utcnow())
    except NotFound:
        return _not_found(t, runtime)
    except HTTPError as exc:
        try:
            target = await _load(runtime, public_id)
        except NotFound:
            return _not_found(t, runtime)
        return _page(runtime, target, t, error=exc)
    suffix = f"?lang={lang}" if lang else ""
    return RedirectResponse(f"/pay/{invoice_id}{suffix}", status_code=303)


@router.get("/pay/{public_id}/status")
async def status(
    public_id: str, request: Request, runtime: RuntimeDep, lang: Lang = None
) -> ExactJSONResponse:
    """The live panel as JSON ``{stage, final, key, html}`` (the polling fallback)."""
    target = await _load(runtime, public_id)
    body = _state_body(runtime, target, translator(request, lang))
    return ExactJSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/pay/{public_id}/events")
async def events(
    public_id: str, request: Request, runtime: RuntimeDep, lang: Lang = None
) -> Response:
    """Server-sent events: a ``status`` event (same body as ``/status``) whenever it changes.

    The stream ends when the payment reaches a final state, or after five minutes.
    """
    t = translator(request, lang)
    first = await _load(runtime, public_id)

    async def stream() -> AsyncIterator[str]:
        last_key = ""
        started = beat = time.monotonic()
        target: Target | None = first
        yield "retry: 3000\n\n"
        while time.monotonic() - started < STREAM_SECONDS:
            if target is None:
                target = await _load(runtime, public_id)
            body = _state_body(runtime, target, t)
            target = None
            if body["key"] != last_key:
                last_key = body["key"]
                beat = time.monotonic()
                yield f"event: status\ndata: {jsonutil.dumps(body)}\n\n"
            if body["final"] or await request.is_disconnected():
                return
            if time.monotonic() - beat > HEARTBEAT_SECONDS:
                beat = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(STREAM_POLL_SECONDS)

    headers = {**SECURITY_HEADERS, "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.post("/pay/{public_id}/simulate")
async def simulate(
    public_id: str,
    request: Request,
    runtime: RuntimeDep,
    mode: Annotated[str, Form(max_length=16)] = "full",
    lang: Lang = None,
) -> Response:
    """Devnet only: pay the checkout's payment from nowhere, like a buyer's wallet would."""
    if runtime.settings.network != "devnet":
        raise NotFound("Not found")
    async with runtime.db.session() as session:
        target = await service.load(session, service.parse_id(public_id))
        tx_hash = await service.simulate(session, target, utcnow(), partial=mode == "partial")
    if "application/json" in request.headers.get("accept", ""):
        return ExactJSONResponse({"tx_hash": tx_hash, "network": "devnet"})
    suffix = f"?lang={lang}" if lang else ""
    return RedirectResponse(f"/pay/{target.id}{suffix}", status_code=303)
