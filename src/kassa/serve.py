"""``kassa serve`` and ``kassa worker``: process entry points."""

from __future__ import annotations

import asyncio
import logging
import signal

import uvicorn

from kassa.app import create_app
from kassa.config import Settings
from kassa.merchants.repository import MerchantRepository
from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key, create_merchant
from kassa.runtime import Runtime
from kassa.webhooks.service import create_signing_secret
from kassa.webhooks.tasks import require_secret_key
from kassa.webhooks.vault import secret_box
from kassa.workers.runner import start_workers

log = logging.getLogger("kassa")

DEMO_SCOPES = frozenset({Scope.READ, Scope.WRITE, Scope.PAYOUTS, Scope.ADMIN})


async def ensure_demo_merchant(runtime: Runtime) -> None:
    """On the first start of a devnet gateway, create a demo merchant and print its key once."""
    if runtime.settings.network != "devnet":
        return
    async with runtime.db.session() as session:
        if await MerchantRepository(session).list():
            return
        merchant = await create_merchant(session, "Demo Store", runtime.settings.default_fee_rate)
        issued = await create_api_key(session, merchant.id, DEMO_SCOPES)
        hook = await create_signing_secret(session, secret_box(runtime.settings), merchant.id)
    print(
        "\n  Demo merchant created (devnet).\n"
        f"  merchant_id: {merchant.id}\n"
        f"  api_key:     {issued.secret}   (shown once: keep it)\n"
        f"  webhook_secret: {hook}   (signs webhooks to your webhook_url)\n",
        flush=True,
    )


async def serve(settings: Settings, *, with_workers: bool) -> None:
    require_secret_key(settings)
    runtime = await Runtime.start(settings)
    try:
        await ensure_demo_merchant(runtime)
        app = create_app(settings, runtime, background=start_workers if with_workers else None)
        print(
            f"  Kassa on {settings.network}: API {settings.base_url}/api, "
            f"docs {settings.base_url}/docs, database {runtime.db.engine.url.render_as_string()}\n",
            flush=True,
        )
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="info")
        await uvicorn.Server(config).serve()
    finally:
        await runtime.close()


async def run_workers(settings: Settings) -> None:
    require_secret_key(settings)
    runtime = await Runtime.start(settings)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    stop = await start_workers(runtime)
    log.info("workers running on %s", settings.network)
    try:
        await stopped.wait()
    finally:
        await stop()
        await runtime.close()
