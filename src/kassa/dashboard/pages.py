"""The merchant dashboard (``/dashboard``): login, overview, and the section routers.

Server-rendered HTML without JavaScript. Every page needs a logged-in dashboard user (see
:mod:`kassa.dashboard.auth`); every form post carries the session's CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kassa.assets.registry import registry
from kassa.checkout.web import render
from kassa.dashboard import auth, invoices, payments, settings, withdrawals
from kassa.dashboard.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfUserDep,
    UserDep,
    page,
    redirect,
    set_cookie,
    templates,
)
from kassa.dashboard.repository import DashboardRepository
from kassa.dashboard.views import invoice_row, payment_row
from kassa.deps import RuntimeDep, SessionDep
from kassa.invoices.repository import InvoiceRepository
from kassa.kit.money import format_atomic
from kassa.kit.timeutil import utcnow
from kassa.ledger.service import merchant_balances

router = APIRouter(include_in_schema=False)
for section in (payments, invoices, withdrawals, settings):
    router.include_router(section.router)


def _login_page(request: Request, error: str = "", email: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        templates, "login.html", {"csrf": token, "error": error, "email": email}, status
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/dashboard/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/dashboard/login")
async def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not auth.same(cookie, csrf_token):
        return _login_page(request, "Your form expired; please try again.", email, 403)
    ip = request.client.host if request.client else "unknown"
    async with runtime.db.session() as session:
        logged_in = await auth.login(session, email, password, ip, utcnow())
    if not isinstance(logged_in, auth.LoggedIn):
        return _login_page(request, logged_in.message, email, logged_in.status_code)
    response = redirect(request, "/dashboard")
    max_age = int(auth.SESSION_LIFETIME.total_seconds())
    set_cookie(response, request, SESSION_COOKIE, logged_in.token, max_age)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard")
    return response


@router.post("/dashboard/logout")
async def logout(request: Request, user: CsrfUserDep, session: SessionDep) -> Response:
    await auth.logout(session, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(request, "/dashboard/login")
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")
    return response


@router.get("/dashboard")
async def overview(request: Request, user: UserDep, session: SessionDep) -> Response:
    """Balances per asset, the latest payments and invoices."""
    assets = registry().assets
    balances = [
        {
            "asset": symbol,
            "available": format_atomic(b.available, assets[symbol].decimals),
            "pending": format_atomic(b.pending, assets[symbol].decimals),
        }
        for symbol, b in sorted((await merchant_balances(session, user.merchant.id)).items())
        if symbol in assets
    ]
    recent, _ = await DashboardRepository(session).search_payments(
        user.merchant.id, search=None, status=None, asset=None, limit=5, offset=0
    )
    latest, _ = await InvoiceRepository(session).list_for_merchant(
        user.merchant.id, limit=5, offset=0
    )
    context = {
        "balances": balances,
        "payments": [payment_row(p) for p in recent],
        "invoices": [invoice_row(i) for i in latest],
    }
    return page(request, user, "overview.html", "overview", context)
