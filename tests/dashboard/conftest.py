"""Dashboard fixtures: a merchant with a dashboard login, and a logged-in client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kassa.dashboard.auth import create_user
from kassa.runtime import Runtime
from tests.conftest import MerchantKey

PASSWORD = "correct horse battery staple"


@dataclass
class Owner:
    merchant: MerchantKey
    email: str
    password: str


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/dashboard/login")
    return await client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )


async def make_owner(runtime: Runtime, merchant: MerchantKey, email: str) -> Owner:
    async with runtime.db.session() as session:
        await create_user(session, uuid.UUID(merchant.merchant_id), email, PASSWORD)
    return Owner(merchant=merchant, email=email.lower(), password=PASSWORD)


@pytest.fixture
async def owner(runtime: Runtime, merchant: MerchantKey) -> Owner:
    return await make_owner(runtime, merchant, "Owner@Shop.example")


@pytest.fixture
async def dash(client: httpx.AsyncClient, owner: Owner) -> httpx.AsyncClient:
    """The test client, logged in as the merchant's owner."""
    response = await login(client, owner.email, owner.password)
    assert response.status_code == 303, response.text
    return client


async def form_post(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Post a dashboard form the way a browser does: with the page's CSRF token."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={**(data or {}), "csrf_token": token})


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id with tiny parameters: the same code path, a fraction of the time."""
    from argon2 import PasswordHasher

    from kassa.dashboard import auth

    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()
