"""The ``kassa`` command line: serve, worker, migrate, merchant, apikey, devnet, ledger."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from kassa.chains.devnet.cli import devnet_app
from kassa.config import get_settings
from kassa.dashboard.cli import user_app
from kassa.db import Database
from kassa.kit.errors import KassaError
from kassa.merchants.scopes import parse_scopes
from kassa.migrate import upgrade
from kassa.signer.cli import signer_app
from kassa.sweeps.cli import evm_app

T = TypeVar("T")

app = typer.Typer(help="Kassa: a self-hosted cryptocurrency payment gateway.", no_args_is_help=True)
merchant_app = typer.Typer(help="Manage merchants.", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
ledger_app = typer.Typer(help="Inspect the ledger.", no_args_is_help=True)
app.add_typer(merchant_app, name="merchant")
app.add_typer(apikey_app, name="apikey")
app.add_typer(ledger_app, name="ledger")
app.add_typer(devnet_app, name="devnet")
app.add_typer(user_app, name="user")
app.add_typer(signer_app, name="signer")
app.add_typer(evm_app, name="evm")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the migrated database the KASSA_* settings select."""

    url = get_settings().resolved_database_url
    try:
        make_url(url)
    except ArgumentError as exc:
        _fail(f"invalid database URL (KASSA_DATABASE_URL): {exc}")

    async def main() -> T:
        db = Database(url)
        try:
            await upgrade(db.engine)
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except KassaError as exc:
        _fail(exc.message)
        raise  # unreachable
    except OSError as exc:
        _fail(f"cannot open the database: {exc}")
        raise
    except DBAPIError as exc:
        _fail(f"database error: {exc.orig}")
        raise


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data))
    else:
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        _fail(f"not a merchant id: {value}")
        raise


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        _fail(f"not a number: {value}")
        raise


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Start the API with every worker in one process (SQLite + devnet by default)."""
    from kassa.serve import serve as run_server

    settings = get_settings()
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_server(settings.model_copy(update=overrides), with_workers=True))


@app.command()
def worker() -> None:
    """Run the background workers without the API (chain watchers, confirmations, expiry)."""
    from kassa.serve import run_workers

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_workers(get_settings()))


@app.command()
def migrate() -> None:
    """Apply database migrations (``kassa serve`` and ``kassa worker`` do this on start)."""

    async def work(db: Database) -> None:
        return None

    _run(work)
    typer.echo("database is up to date")


@merchant_app.command("create")
def merchant_create(
    name: Annotated[str, typer.Option(help="Merchant name shown in balances")],
    fee_rate: Annotated[str | None, typer.Option(help="Platform fee, e.g. 0.005 for 0.5 %")] = None,
    scopes: Annotated[
        str, typer.Option(help="Scopes of the first API key")
    ] = "read,write,payouts,admin",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create a merchant, its first API key and its webhook signing secret (shown once)."""
    from kassa.merchants.service import create_api_key, create_merchant
    from kassa.webhooks.service import create_signing_secret
    from kassa.webhooks.vault import secret_box

    settings = get_settings()
    rate = _decimal(fee_rate) if fee_rate is not None else settings.default_fee_rate
    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        _fail(str(exc))
        raise

    async def work(db: Database) -> dict[str, Any]:
        async with db.session() as session:
            merchant = await create_merchant(session, name, rate)
            issued = await create_api_key(session, merchant.id, parsed)
            hook = await create_signing_secret(session, secret_box(settings), merchant.id)
        return {"merchant_id": str(merchant.id), "api_key": issued.secret, "webhook_secret": hook}

    _print(_run(work), as_json)


@merchant_app.command("disable")
def merchant_disable(merchant_id: str) -> None:
    """Disable a merchant: every key answers 403 until it is enabled again."""
    _set_status(merchant_id, "disabled")


@merchant_app.command("enable")
def merchant_enable(merchant_id: str) -> None:
    """Enable a disabled merchant."""
    _set_status(merchant_id, "active")


def _set_status(merchant_id: str, status: str) -> None:
    from kassa.merchants.service import set_status
    from kassa.models.merchant import MerchantStatus

    mid = _uuid(merchant_id)

    async def work(db: Database) -> None:
        async with db.session() as session:
            await set_status(session, mid, MerchantStatus(status))

    _run(work)
    typer.echo(f"merchant {merchant_id} is {status}")


@merchant_app.command("set-fee")
def merchant_set_fee(merchant_id: str, fee_rate: str) -> None:
    """Set a merchant's platform fee on inbound payments (e.g. 0.005 for 0.5 %)."""
    from kassa.merchants.service import set_fee_rate

    mid, rate = _uuid(merchant_id), _decimal(fee_rate)

    async def work(db: Database) -> None:
        async with db.session() as session:
            await set_fee_rate(session, mid, rate)

    _run(work)
    typer.echo(f"merchant {merchant_id} fee rate is {rate}")


@merchant_app.command("list")
def merchant_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List merchants."""
    from kassa.merchants.repository import MerchantRepository

    async def work(db: Database) -> list[dict[str, str]]:
        async with db.session() as session:
            return [
                {
                    "merchant_id": str(m.id),
                    "name": m.name,
                    "status": m.status,
                    "fee_rate": str(m.fee_rate),
                }
                for m in await MerchantRepository(session).list()
            ]

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps(rows))
    for row in [] if as_json else rows:
        typer.echo("  ".join(row.values()))


@apikey_app.command("create")
def apikey_create(
    merchant: Annotated[str, typer.Option(help="Merchant id")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated: read,write,payouts,approve,admin")
    ] = "read,write",
    withdrawal_limit_usd: Annotated[
        str | None, typer.Option(help="Withdrawals above this USD value become drafts")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key for a merchant (shown once)."""
    from kassa.merchants.service import create_api_key
    from kassa.withdrawals.service import set_withdrawal_limit

    mid = _uuid(merchant)
    limit = _decimal(withdrawal_limit_usd) if withdrawal_limit_usd is not None else None
    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        _fail(str(exc))
        raise

    async def work(db: Database) -> dict[str, Any]:
        async with db.session() as session:
            issued = await create_api_key(session, mid, parsed)
            if limit is not None:
                await set_withdrawal_limit(session, issued.key.id, limit)
        return {
            "api_key_id": str(issued.key.id),
            "api_key": issued.secret,
            "scopes": issued.key.scopes,
            "withdrawal_limit_usd": None if limit is None else str(limit),
        }

    _print(_run(work), as_json)


@ledger_app.command("check")
def ledger_check() -> None:
    """Verify that every journal transaction balances and balances equal their entries."""
    from kassa.ledger.service import verify

    async def work(db: Database) -> list[str]:
        async with db.session() as session:
            return await verify(session)

    problems = _run(work)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("ledger is balanced")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
