"""Dashboard login: argon2 hashes, session cookies, CSRF, lockout."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from kassa.models.invoice import DashboardSession, DashboardUser
from kassa.runtime import Runtime
from tests.dashboard.conftest import Owner, csrf_of, form_post, login


async def test_pages_need_a_login(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/dashboard/payments", "/dashboard/api-keys"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"


async def test_login_sets_a_hardened_session_cookie_and_stores_only_hashes(
    client: httpx.AsyncClient, owner: Owner, runtime: Runtime
) -> None:
    response = await login(client, "  OWNER@shop.example ", owner.password)
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("kassa_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    async with runtime.db.session() as session:
        user = (await session.scalars(select(DashboardUser))).one()
        stored = (await session.scalars(select(DashboardSession))).one()
    assert user.password_hash.startswith("$argon2id$")
    assert owner.password not in user.password_hash
    assert stored.token_hash != token
    assert len(stored.token_hash) == 64
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "Overview" in page.text
    assert owner.email in page.text


async def test_a_wrong_password_says_nothing_about_which_part_was_wrong(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    wrong = await login(client, owner.email, "not the password")
    unknown = await login(client, "nobody@shop.example", owner.password)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Invalid email or password" in response.text
    assert (await client.get("/dashboard")).status_code == 303


async def test_lockout_after_five_failures_even_with_the_right_password(
    client: httpx.AsyncClient, owner: Owner
) -> None:
    for _ in range(5):
        assert (await login(client, owner.email, "wrong password")).status_code == 401
    locked = await login(client, owner.email, owner.password)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text


async def test_login_form_needs_its_csrf_token(client: httpx.AsyncClient, owner: Owner) -> None:
    await client.get("/dashboard/login")
    response = await client.post(
        "/dashboard/login",
        data={"email": owner.email, "password": owner.password, "csrf_token": "forged"},
    )
    assert response.status_code == 403
    assert "kassa_session" not in response.headers.get("set-cookie", "")


async def test_every_form_needs_the_session_csrf_token(dash: httpx.AsyncClient) -> None:
    missing = await dash.post("/dashboard/api-keys", data={"scope": "read"})
    forged = await dash.post("/dashboard/api-keys", data={"scope": "read", "csrf_token": "x"})
    for response in (missing, forged):
        assert response.status_code == 403
        assert response.json() == {
            "error": "Invalid or missing form token: reload the page and try again"
        }


async def test_logout_ends_the_session(dash: httpx.AsyncClient) -> None:
    token = csrf_of((await dash.get("/dashboard")).text)
    response = await dash.post("/dashboard/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert (await dash.get("/dashboard")).status_code == 303


async def test_a_disabled_merchant_is_logged_out(
    dash: httpx.AsyncClient, owner: Owner, runtime: Runtime
) -> None:
    import uuid

    from kassa.merchants.service import set_status
    from kassa.models.merchant import MerchantStatus

    async with runtime.db.session() as session:
        await set_status(session, uuid.UUID(owner.merchant.merchant_id), MerchantStatus.DISABLED)
    assert (await dash.get("/dashboard")).status_code == 303
    assert (await form_post(dash, "/dashboard/login", "/dashboard/logout")).status_code in (
        303,
        403,
    )
