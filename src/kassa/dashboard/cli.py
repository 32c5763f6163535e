"""``kassa user create``: a login for the merchant dashboard."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Annotated

import typer

from kassa.config import get_settings
from kassa.db import Database
from kassa.kit.errors import KassaError
from kassa.migrate import upgrade

user_app = typer.Typer(help="Manage merchant dashboard users.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@user_app.command("create")
def create(
    merchant: Annotated[str, typer.Option(help="Merchant id")],
    email: Annotated[str, typer.Option(help="Login email")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a dashboard login for a merchant (the password is prompted, or read from stdin)."""
    from kassa.dashboard.auth import create_user

    try:
        merchant_id = uuid.UUID(merchant)
    except ValueError:
        _fail(f"not a merchant id: {merchant}")
        raise
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def main() -> str:
        db = Database(get_settings().resolved_database_url)
        try:
            await upgrade(db.engine)
            async with db.session() as session:
                user = await create_user(session, merchant_id, email, password)
            return user.email
        finally:
            await db.dispose()

    try:
        created = asyncio.run(main())
    except KassaError as exc:
        _fail(exc.message)
        raise
    typer.echo(f"dashboard user {created} created for merchant {merchant_id}")
