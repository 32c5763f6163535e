"""``kassa user create``: a dashboard login from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner, Result

from kassa.cli import app
from kassa.config import Settings, get_settings
from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.dashboard.conftest import login


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def kassa(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {
        "KASSA_DATABASE_URL": settings.resolved_database_url,
        "KASSA_DATA_DIR": str(settings.data_dir),
    }
    get_settings.cache_clear()
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=stdin, env=env)


async def test_create_with_password_on_stdin_then_log_in(
    settings: Settings,
    runtime: Runtime,
    merchant: MerchantKey,
    client: httpx.AsyncClient,
    fresh_settings: None,
) -> None:
    result = await kassa(
        settings,
        "user",
        "create",
        "--merchant",
        merchant.merchant_id,
        "--email",
        "Boss@Shop.example",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "dashboard user boss@shop.example created" in result.output
    assert (await login(client, "boss@shop.example", "a long enough secret")).status_code == 303


async def test_prompted_password_must_be_confirmed(
    settings: Settings, runtime: Runtime, merchant: MerchantKey, fresh_settings: None
) -> None:
    result = await kassa(
        settings,
        "user",
        "create",
        "--merchant",
        merchant.merchant_id,
        "--email",
        "a@shop.example",
        stdin="first password!\nfirst password!\n",
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "x@shop.example"], "short\n", "Invalid password: must be at least 10"),
        (["--email", "not-an-email"], "long enough pw\n", "Invalid email: must be an email"),
    ],
)
async def test_bad_input_is_refused(
    settings: Settings,
    runtime: Runtime,
    merchant: MerchantKey,
    fresh_settings: None,
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    result = await kassa(
        settings,
        "user",
        "create",
        "--merchant",
        merchant.merchant_id,
        *args,
        "--password-stdin",
        stdin=stdin,
    )
    assert result.exit_code == 1
    assert message in result.output


async def test_duplicate_email_and_unknown_merchant(
    settings: Settings, runtime: Runtime, merchant: MerchantKey, fresh_settings: None
) -> None:
    base = ["user", "create", "--email", "dup@shop.example", "--password-stdin"]
    first = await kassa(
        settings, *base, "--merchant", merchant.merchant_id, stdin="long enough pw\n"
    )
    assert first.exit_code == 0, first.output
    again = await kassa(
        settings, *base, "--merchant", merchant.merchant_id, stdin="long enough pw\n"
    )
    assert "already exists" in again.output
    nobody = await kassa(
        settings,
        *base,
        "--merchant",
        "00000000-0000-4000-8000-000000000000",
        stdin="long enough pw\n",
    )
    assert nobody.exit_code == 1
    assert "not found" in nobody.output
