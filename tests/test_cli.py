"""The ``kassa`` command line an operator uses: merchants, API keys, fees, the ledger check and
migrations, run in-process against the test database (SQLite, or PostgreSQL when
``KASSA_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, inspect, select, update
from typer.testing import CliRunner, Result

from kassa.cli import app
from kassa.config import Settings, get_settings
from kassa.db import Database
from kassa.kit import jsonutil
from kassa.ledger.service import merchant_owner
from kassa.models import ApiKey, LedgerAccount
from kassa.runtime import Runtime
from tests.conftest import PRICES_FILE, Devnet
from tests.payments.helpers import HOOK, balance, fetch

Invoke = Callable[..., Awaitable[Result]]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def kassa(settings: Settings, fresh_settings: None) -> Invoke:
    """Run ``kassa ...`` on the test database (tests that need it empty also ask for
    ``runtime``). The CLI calls ``asyncio.run``, which cannot run inside the test's event loop:
    it runs in a worker thread."""
    env = {
        "KASSA_DATABASE_URL": settings.resolved_database_url,
        "KASSA_DATA_DIR": str(settings.data_dir),
        "KASSA_NETWORK": "devnet",
        "KASSA_PRICE_SOURCE": "static",
        "KASSA_PRICES_FILE": str(PRICES_FILE),
    }

    async def run(*args: str, **overrides: str) -> Result:
        get_settings.cache_clear()
        result = await asyncio.to_thread(
            CliRunner().invoke, app, list(args), env={**env, **overrides}
        )
        get_settings.cache_clear()
        return result

    return run


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def refused(result: Result) -> str:
    """A deliberate refusal: exit 1, one ``error: ...`` line on stderr, nothing on stdout."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def create_payment(client: httpx.AsyncClient, key: str, **body: Any) -> httpx.Response:
    return await client.post(
        "/api/payments",
        content=jsonutil.dumps({"webhook_url": HOOK, **body}),
        headers={**bearer(key), "content-type": "application/json"},
    )


async def new_merchant(kassa: Invoke, *args: str) -> tuple[str, str]:
    created = as_json(await kassa("merchant", "create", "--json", *args))
    return created["merchant_id"], created["api_key"]


async def key_count(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ApiKey)) or 0)


async def test_merchant_create_prints_a_key_that_works_once_and_is_stored_hashed(
    kassa: Invoke, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = as_json(await kassa("merchant", "create", "--name", "CLI Shop", "--json"))
    merchant_id, key = created["merchant_id"], created["api_key"]
    assert uuid.UUID(merchant_id)
    assert key.startswith("ks_")

    balances = await client.get("/api/ledger/balance", headers=bearer(key))
    assert balances.status_code == 200
    assert balances.json() == {"merchant": "CLI Shop", "balances": {}}
    # the first key has every scope an operator needs to try the API: it can create payments
    assert (
        await create_payment(client, key, asset="BTC", amount_crypto="0.001")
    ).status_code == 200

    async with runtime.db.session() as session:
        (stored,) = (await session.scalars(select(ApiKey))).all()
    assert str(stored.merchant_id) == merchant_id
    assert stored.prefix == key[:11]
    assert key not in (stored.key_hash, stored.prefix, stored.scopes)


async def test_merchant_create_without_json_prints_one_field_per_line(
    kassa: Invoke, runtime: Runtime
) -> None:
    lines = ok(await kassa("merchant", "create", "--name", "Plain")).splitlines()
    assert lines[0].startswith("merchant_id: ")
    assert lines[1].startswith("api_key: ks_")


async def test_read_only_key_reads_but_cannot_create(
    kassa: Invoke, client: httpx.AsyncClient
) -> None:
    merchant_id, _ = await new_merchant(kassa, "--name", "Reader")
    issued = as_json(
        await kassa("apikey", "create", "--merchant", merchant_id, "--scopes", "read", "--json")
    )
    assert issued["scopes"] == "read"
    assert uuid.UUID(issued["api_key_id"])
    key = issued["api_key"]

    listed = await client.get("/api/payments", headers=bearer(key))
    assert listed.status_code == 200
    refused_create = await create_payment(client, key, asset="BTC", amount_crypto="0.001")
    assert refused_create.status_code == 403
    assert refused_create.json() == {"error": "This API key lacks the 'write' scope"}
    assert (await client.get("/api/payments", headers=bearer(key))).json()["total"] == 0


async def test_apikey_scopes_are_normalised(kassa: Invoke, runtime: Runtime) -> None:
    merchant_id, _ = await new_merchant(kassa, "--name", "Scopes")
    issued = as_json(
        await kassa(
            "apikey",
            "create",
            "--merchant",
            merchant_id,
            "--scopes",
            " admin, read,read ",
            "--json",
        )
    )
    assert issued["scopes"] == "read,admin"


INVALID = [
    (
        ("apikey", "create", "--merchant", "{mid}", "--scopes", "read,bogus"),
        "unknown scope 'bogus' (valid: read, write, payouts, approve, admin)",
    ),
    (("apikey", "create", "--merchant", "{mid}", "--scopes", " , "), "at least one scope"),
    (("merchant", "create", "--name", "X", "--scopes", "root"), "unknown scope 'root'"),
    (("apikey", "create", "--merchant", "nope"), "not a merchant id: nope"),
    (
        ("apikey", "create", "--merchant", "00000000-0000-0000-0000-000000000000"),
        "merchant 00000000-0000-0000-0000-000000000000 not found",
    ),
    (("merchant", "create", "--name", "   "), "merchant name must not be empty"),
    (("merchant", "create", "--name", "X", "--fee-rate", "1"), "fee rate must be a fraction"),
    (("merchant", "create", "--name", "X", "--fee-rate", "half"), "not a number: half"),
]


async def test_invalid_input_is_refused_and_creates_nothing(
    kassa: Invoke, runtime: Runtime
) -> None:
    merchant_id, _ = await new_merchant(kassa, "--name", "Existing")
    keys = await key_count(runtime)
    for args, message in INVALID:
        result = await kassa(*(a.replace("{mid}", merchant_id) for a in args))
        assert refused(result).startswith(message), args
    assert await key_count(runtime) == keys
    assert len(as_json(await kassa("merchant", "list", "--json"))) == 1


async def test_disable_gives_403_to_every_key_and_enable_restores_them(
    kassa: Invoke, client: httpx.AsyncClient
) -> None:
    merchant_id, key = await new_merchant(kassa, "--name", "Toggle")
    other_id, other_key = await new_merchant(kassa, "--name", "Bystander")

    assert ok(await kassa("merchant", "disable", merchant_id)).strip() == (
        f"merchant {merchant_id} is disabled"
    )
    for response in (
        await client.get("/api/payments", headers=bearer(key)),
        await client.get("/api/ledger/balance", headers=bearer(key)),
        await create_payment(client, key, asset="BTC", amount_crypto="0.001"),
    ):
        assert response.status_code == 403
        assert response.json() == {"error": "Merchant account is disabled"}
    assert (await client.get("/api/payments", headers=bearer(other_key))).status_code == 200
    statuses = {
        m["merchant_id"]: m["status"] for m in as_json(await kassa("merchant", "list", "--json"))
    }
    assert statuses == {merchant_id: "disabled", other_id: "active"}

    assert ok(await kassa("merchant", "enable", merchant_id)).strip() == (
        f"merchant {merchant_id} is active"
    )
    assert (await client.get("/api/payments", headers=bearer(key))).status_code == 200
    assert (
        await create_payment(client, key, asset="BTC", amount_crypto="0.001")
    ).status_code == 200


async def test_unknown_merchants_are_refused(kassa: Invoke, runtime: Runtime) -> None:
    missing = str(uuid.uuid4())
    for command, *rest in (["disable"], ["enable"], ["set-fee", "0.01"]):
        not_found = await kassa("merchant", command, missing, *rest)
        assert refused(not_found) == f"merchant {missing} not found"
        assert refused(await kassa("merchant", command, "42", *rest)) == "not a merchant id: 42"


async def test_set_fee_refuses_invalid_rates(kassa: Invoke, runtime: Runtime) -> None:
    merchant_id, _ = await new_merchant(kassa, "--name", "Fees")
    out_of_range = "fee rate must be a fraction between 0 and 1 (0.005 = 0.5 %)"
    for rate, message in [
        ("1", out_of_range),
        ("1.5", out_of_range),
        ("-0.1", out_of_range),
        ("NaN", out_of_range),
        ("sNaN", out_of_range),
        ("Infinity", out_of_range),
        ("abc", "not a number: abc"),
    ]:
        # "--" lets a negative rate through as an argument instead of an unknown option
        assert refused(await kassa("merchant", "set-fee", "--", merchant_id, rate)) == message
    (row,) = as_json(await kassa("merchant", "list", "--json"))
    assert row["fee_rate"] == "0.005"


async def test_merchant_list(kassa: Invoke, runtime: Runtime) -> None:
    assert as_json(await kassa("merchant", "list", "--json")) == []
    first, _ = await new_merchant(kassa, "--name", "First Shop")
    second, _ = await new_merchant(kassa, "--name", "Second Shop", "--fee-rate", "0.0125")
    ok(await kassa("merchant", "set-fee", first, "0"))

    rows = as_json(await kassa("merchant", "list", "--json"))
    assert [{k: r[k] for k in ("merchant_id", "name", "status", "fee_rate")} for r in rows] == [
        {"merchant_id": first, "name": "First Shop", "status": "active", "fee_rate": "0"},
        {"merchant_id": second, "name": "Second Shop", "status": "active", "fee_rate": "0.0125"},
    ]
    human = ok(await kassa("merchant", "list")).splitlines()
    assert len(human) == 2
    assert human[1].split("  ") == [second, "Second Shop", "active", "0.0125"]


async def test_set_fee_applies_to_the_next_credit_and_the_ledger_checks_out(
    kassa: Invoke, client: httpx.AsyncClient, devnet: Devnet, runtime: Runtime
) -> None:
    merchant_id, key = await new_merchant(kassa, "--name", "Flow Shop")
    assert ok(await kassa("merchant", "set-fee", merchant_id, "0.02")).strip() == (
        f"merchant {merchant_id} fee rate is 0.02"
    )
    created = await create_payment(client, key, asset="BTC", amount_crypto="0.001")
    assert created.status_code == 200
    payment = created.json()

    paid = as_json(
        await kassa(
            "devnet", "pay", "--asset", "BTC", "--address", payment["address"], "--amount",
            payment["amount_crypto"], "--json",
        )
    )  # fmt: skip
    as_json(await kassa("devnet", "mine", "--blocks", "6", "--chain", "btc", "--json"))
    await devnet.sync("btc")

    done = await fetch(client, bearer(key), payment["id"])
    assert done["status"] == "confirmed"
    assert done["tx_hashes"] == [paid["tx_hash"]]
    # 100 000 sat at 2 %: 2 000 sat to the platform
    assert await balance(client, bearer(key), "BTC") == {
        "available": "0.00098000",
        "pending": "0.00000000",
    }
    assert ok(await kassa("ledger", "check")).strip() == "ledger is balanced"

    async with runtime.db.session() as session:
        await session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.owner == merchant_owner(uuid.UUID(merchant_id)))
            .values(balance=LedgerAccount.balance + 1)
        )
    broken = await kassa("ledger", "check")
    assert broken.exit_code == 1
    assert broken.stdout == ""
    assert "!= sum of entries" in broken.stderr
    assert "Traceback" not in broken.stderr


async def test_migrate_creates_the_schema_and_is_idempotent(kassa: Invoke, tmp_path: Path) -> None:
    fresh = f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'kassa.db'}"
    for _ in range(2):
        result = await kassa("migrate", KASSA_DATABASE_URL=fresh)
        assert ok(result).strip() == "database is up to date"
    db = Database(fresh)
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await db.dispose()
    assert {"merchants", "api_keys", "payments", "ledger_entries", "alembic_version"} <= tables
    # the test database itself is already at the head revision
    assert ok(await kassa("migrate")).strip() == "database is up to date"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("postgresql+asyncpg://kassa@127.0.0.1:1/kassa", "cannot open the database"),
        ("sqlite+aiosqlite:///{file}/kassa.db", "cannot open the database"),
        ("sqlite+aiosqlite:///{file}", "database error: file is not a database"),
    ],
)
async def test_an_unusable_database_is_one_error_line(
    kassa: Invoke, tmp_path: Path, url: str, message: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = await kassa("merchant", "list", KASSA_DATABASE_URL=url.format(file=blocker))
    assert refused(result).startswith(message)
