"""``kassa evm``: the operator's view of the EVM hot wallets."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from kassa.config import get_settings

evm_app = typer.Typer(help="EVM chains: hot wallets, sweeps, holdings.", no_args_is_help=True)


@evm_app.command("balances")
def balances(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """On-chain holdings (hot wallet + deposit addresses) against the ledger, per asset."""
    from kassa.assets.registry import registry
    from kassa.chains.evm.wiring import close_all, evm_chain
    from kassa.runtime import Runtime
    from kassa.sweeps.report import chain_holdings

    async def main() -> list[dict[str, str]]:
        runtime = await Runtime.start(get_settings())
        try:
            rows: list[dict[str, str]] = []
            for chain_id in sorted(registry().chains):
                wired = evm_chain(runtime, chain_id)
                if wired is None or wired.payout is None:
                    continue
                for holding in await chain_holdings(runtime.db, wired.payout):
                    rows.append({**holding.as_dict(), "hot_address": wired.payout.hot_address})
            return rows
        finally:
            await close_all(runtime)
            await runtime.close()

    rows = asyncio.run(main())
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no EVM chain with an rpc_url and an xpub is configured")
    for row in rows:
        typer.echo(
            f"{row['asset']:<12} hot {row['hot_wallet']:>28}  "
            f"deposits {row['deposit_addresses']:>24}  ledger {row['ledger_holdings']:>28}  "
            f"difference {row['difference']}"
        )
