"""``kassa devnet ...``: drive the devnet of the database the ``KASSA_*`` settings select.

The CLI and a running server share that database, so a payment made here is seen by the server's
watcher like any other. ``--json`` prints the same shapes as ``/api/devnet``. Errors print
``error: <message>`` and exit with status 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.assets.registry import registry
from kassa.chains.devnet.service import NETWORK, DevnetService
from kassa.config import get_settings
from kassa.db import Database
from kassa.kit import jsonutil
from kassa.kit.errors import BadRequest, KassaError
from kassa.migrate import upgrade

T = TypeVar("T")

devnet_app = typer.Typer(
    help="Kassa's built-in test network: send test payments, mine blocks, inject reorgs.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _run(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``action`` in one committed transaction on the configured database."""
    settings = get_settings()
    if settings.network != NETWORK:
        _fail(f"The devnet is not enabled on this gateway (network is {settings.network})")

    async def main() -> T:
        db = Database(settings.resolved_database_url)
        try:
            await upgrade(db.engine)
            async with db.session() as session:
                return await action(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except KassaError as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _print_json(value: Any) -> None:
    typer.echo(jsonutil.dumps(value))


@devnet_app.command()
def pay(
    asset: Annotated[str, typer.Option(help="Asset symbol, e.g. BTC or USDT-TRC20.")],
    address: Annotated[str, typer.Option(help="A devnet address of the asset's chain.")],
    amount: Annotated[str, typer.Option(help="Amount in whole units, e.g. 0.015.")],
    tag: Annotated[int | None, typer.Option(help="XRP destination tag.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send test funds to an address (into the mempool; the next block confirms it)."""

    async def action(session: AsyncSession) -> tuple[str, str]:
        found = registry().get(asset)
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise BadRequest(f'Invalid amount: "{amount}" is not a number') from None
        tx_hash = await DevnetService(session).pay(found, address, value, tag)
        return found.chain.id, tx_hash

    chain, tx_hash = _run(action)
    if as_json:
        _print_json({"tx_hash": tx_hash, "chain": chain, "network": NETWORK})
    else:
        typer.echo(f"sent {amount} {asset} to {address}: tx {tx_hash} (in the {chain} mempool)")


@devnet_app.command()
def mine(
    blocks: Annotated[
        int, typer.Option(min=1, max=10_000, help="Blocks to mine on each chain.")
    ] = 1,
    chain: Annotated[str | None, typer.Option(help="Only this chain (default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Mine blocks now; each chain's first new block includes its whole mempool."""
    chains = None if chain is None else [chain]
    tips = _run(lambda session: DevnetService(session).mine(chains, blocks))
    if as_json:
        tips_json = {cid: {"height": t.height, "hash": t.hash} for cid, t in tips.items()}
        _print_json({"network": NETWORK, "tips": tips_json})
        return
    for cid, tip in tips.items():
        typer.echo(f"{cid:<9} height {tip.height:<7} {tip.hash}")


@devnet_app.command()
def reorg(
    chain: Annotated[str, typer.Option(help="Chain id, e.g. btc, eth, tron.")],
    depth: Annotated[int, typer.Option(help="How many top blocks to orphan.")],
    keep_txs: Annotated[
        bool,
        typer.Option(
            "--keep-txs", help="Return the orphaned transactions to the mempool (default: drop)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the top DEPTH blocks of a chain with a longer branch of empty blocks."""
    tip = _run(lambda session: DevnetService(session).reorg(chain, depth, not keep_txs))
    if as_json:
        _print_json(
            {
                "network": NETWORK,
                "chain": chain,
                "depth": depth,
                "drop_txs": not keep_txs,
                "tip": {"height": tip.height, "hash": tip.hash},
            }
        )
        return
    fate = "returned to the mempool" if keep_txs else "dropped"
    typer.echo(
        f"{chain}: orphaned {depth} block(s), their transactions {fate}; "
        f"new tip {tip.height} {tip.hash}"
    )


@devnet_app.command("fail-next-broadcast")
def fail_next_broadcast(
    chain: Annotated[str, typer.Option(help="Chain id, e.g. btc, eth, tron.")],
    count: Annotated[int, typer.Option(min=1, help="How many of the next broadcasts fail.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Make the next payout broadcast(s) on a chain fail (the withdrawal's hold is restored)."""
    queued = _run(lambda session: DevnetService(session).fail_next_broadcast(chain, count))
    if as_json:
        _print_json({"network": NETWORK, "chain": chain, "queued_failures": queued})
        return
    typer.echo(f"{chain}: the next {queued} payout broadcast(s) will fail")


@devnet_app.command()
def status(as_json: JsonOpt = False) -> None:
    """Every chain's tip and mempool size."""
    chains = _run(lambda session: DevnetService(session).status())
    if as_json:
        by_chain = {
            c.chain: {"height": c.height, "hash": c.hash, "mempool": c.mempool} for c in chains
        }
        block_seconds = get_settings().devnet_block_seconds
        _print_json({"network": NETWORK, "block_seconds": block_seconds, "chains": by_chain})
        return
    for c in chains:
        typer.echo(f"{c.chain:<9} height {c.height:<7} mempool {c.mempool:<5} {c.hash}")
