"""``kassa signer``: create the encrypted seed, show its public keys, run the signer process."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Annotated

import typer

from kassa.config import get_settings

signer_app = typer.Typer(
    help="The signer: the only process that holds the seed.", no_args_is_help=True
)

PASSPHRASE_ENV = "KASSA_SIGNER_PASSPHRASE"  # noqa: S105 - the variable name, not a secret


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _passphrase(confirm: bool) -> str:
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        _fail(f"set {PASSPHRASE_ENV} or run in a terminal to type the passphrase")
    value: str = typer.prompt("Signer passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


def _show_public(mnemonic: str) -> None:
    from kassa.signer.keys import EvmKeys

    keys = EvmKeys(mnemonic)
    typer.echo(f"evm account xpub (KASSA_CHAINS__ETH__XPUB, __BSC__, ...): {keys.xpub}")
    typer.echo(f"evm hot wallet (fund it with gas and payout float):     {keys.hot_address}")


@signer_app.command("init")
def init(
    mnemonic_stdin: Annotated[
        bool, typer.Option("--mnemonic-stdin", help="Import a BIP39 mnemonic read from stdin")
    ] = False,
) -> None:
    """Create the encrypted seed file (a new 24-word mnemonic unless one is imported)."""
    from kassa.keys.seed import new_mnemonic
    from kassa.signer.keys import EvmKeys
    from kassa.signer.vault import VaultError, write_seed_file

    settings = get_settings()
    path = settings.resolved_signer_seed_file
    if path.exists():
        _fail(f"{path} exists: refusing to overwrite a seed")
    mnemonic = sys.stdin.readline().strip() if mnemonic_stdin else new_mnemonic()
    try:
        EvmKeys(mnemonic)
    except ValueError:
        _fail("invalid BIP39 mnemonic")
    try:
        write_seed_file(path, mnemonic, _passphrase(confirm=True))
    except VaultError as exc:
        _fail(str(exc))
    typer.echo(f"seed encrypted to {path}")
    if not mnemonic_stdin:
        typer.echo(f"mnemonic (write it down, shown once): {mnemonic}")
    _show_public(mnemonic)


@signer_app.command("info")
def info() -> None:
    """Decrypt the seed and print its public keys (xpub, hot wallet address)."""
    _show_public(_unlock())


@signer_app.command("serve")
def serve() -> None:
    """Run the signer on KASSA_SIGNER_URL (unix socket by default) with KASSA_SIGNER_TOKEN."""
    import uvicorn

    from kassa.signer.local import LocalSigner
    from kassa.signer.server import create_signer_app, server_config

    settings = get_settings()
    if not settings.signer_token:
        _fail("set KASSA_SIGNER_TOKEN (a long random string shared with the workers)")
    assert settings.signer_token is not None
    signer = LocalSigner.for_settings(_unlock(), settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    url = settings.resolved_signer_url
    try:
        config = server_config(create_signer_app(signer, settings.signer_token), url)
    except ValueError as exc:
        _fail(str(exc))
        raise
    if url.startswith("unix:"):
        socket = url.removeprefix("unix:")
        if os.path.exists(socket):
            os.unlink(socket)
    typer.echo(f"signer for {signer.keys.hot_address} listening on {url}")
    asyncio.run(uvicorn.Server(config).serve())


def _unlock() -> str:
    from kassa.signer.vault import VaultError, read_seed_file

    try:
        return read_seed_file(get_settings().resolved_signer_seed_file, _passphrase(confirm=False))
    except VaultError as exc:
        _fail(str(exc))
        raise
