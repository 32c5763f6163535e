"""Request plumbing of the dashboard: the logged-in user, CSRF checks, flash messages, pages."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from urllib.parse import quote, unquote

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from kassa.checkout.web import environment, render
from kassa.dashboard import auth
from kassa.deps import SessionDep
from kassa.kit.errors import Forbidden, HTTPError
from kassa.kit.timeutil import utcnow

SESSION_COOKIE = "kassa_session"
LOGIN_CSRF_COOKIE = "kassa_login_csrf"
FLASH_COOKIE = "kassa_flash"
COOKIE_PATH = "/dashboard"
PAGE_SIZE = 25

templates = environment("kassa.dashboard")


class LoginRequired(HTTPError):
    """303 to the login page (browsers follow it)."""

    status_code = 303
    headers: ClassVar[dict[str, str]] = {"Location": "/dashboard/login"}


def secure(request: Request) -> bool:
    """Cookies get ``Secure`` when the dashboard is served over HTTPS."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


async def require_user(request: Request, session: SessionDep) -> auth.Current:
    found = await auth.current(session, request.cookies.get(SESSION_COOKIE), utcnow())
    if found is None:
        raise LoginRequired("Log in to the dashboard")
    return found


UserDep = Annotated[auth.Current, Depends(require_user)]


async def require_csrf(
    user: UserDep, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> auth.Current:
    """Every state-changing form carries the session's CSRF token."""
    if not csrf_token or not auth.same(csrf_token, user.session.csrf_token):
        raise Forbidden("Invalid or missing form token: reload the page and try again")
    return user


CsrfUserDep = Annotated[auth.Current, Depends(require_csrf)]


def redirect(
    request: Request, url: str, *, message: str | None = None, error: bool = False
) -> Response:
    """303 to ``url`` with an optional one-time message shown by the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_cookie(response, request, FLASH_COOKIE, quote(("!" if error else "") + message), 60)
    return response


def page(
    request: Request,
    user: auth.Current,
    name: str,
    active: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    """Render a page of the logged-in dashboard (layout, navigation, flash, CSRF token)."""
    raw = unquote(request.cookies.get(FLASH_COOKIE, ""))[:500]
    flash = {"error": raw.startswith("!"), "text": raw.lstrip("!")} if raw else None
    full = {
        "merchant": user.merchant.name,
        "email": user.user.email,
        "csrf": user.session.csrf_token,
        "active": active,
        "flash": flash,
        **context,
    }
    response = render(templates, name, full, status_code)
    if raw:
        response.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    return response


def missing(request: Request, user: auth.Current, what: str, active: str) -> Response:
    """A 404 page inside the dashboard layout (another merchant's ids look the same)."""
    context = {"title": f"{what} not found", "text": f"There is no such {what.lower()}."}
    return page(request, user, "error.html", active, context, 404)
