"""Webhook benchmarks:

* dispatch rate: deliveries per second from one worker process (this one, running Kassa's
  dispatcher with its default settings) to a local receiver (its own process, uvicorn);
* block-to-webhook latency on the devnet: an XRP payment (1 confirmation) is paid, then a block
  is mined; the time from that block's commit until the signed ``payment.confirmed`` arrives at
  the receiver, with every worker running as in ``kassa serve``.

    uv run python -m bench.webhooks [--db sqlite|postgresql|both] [--quick]
        [--deliveries 5000] [--payments 40] [--watcher-poll 0.25]

Writes ``bench/results/webhooks.json`` and prints one summary line. Bounded in time: each part
gives up after a few minutes at most.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select

from bench.common import Backend, Run, backends, free_port, fresh_database, parser, percentile
from kassa.app import create_app
from kassa.assets.registry import registry
from kassa.chains.devnet.service import DevnetService
from kassa.config import Settings
from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key, create_merchant
from kassa.models import Event
from kassa.models.webhook import WebhookAttempt, WebhookDelivery
from kassa.runtime import Runtime
from kassa.webhooks import verify
from kassa.webhooks.dispatcher import Dispatcher
from kassa.webhooks.events import record_event
from kassa.webhooks.service import create_signing_secret
from kassa.webhooks.vault import secret_box
from kassa.workers.runner import start_workers

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "tests" / "fixtures" / "prices.toml"
BATCH = 500
DISPATCH_LIMIT = 300.0
LATENCY_LIMIT = 300.0
STEP_LIMIT = 20.0


# -- the receiver (its own process) ------------------------------------------------------------


class Receiver:
    """Answers every POST with 200; remembers when payment events arrived (for latency)."""

    def __init__(self) -> None:
        self.count = 0
        self.arrivals: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "GET":
            answer = json.dumps({"count": self.count, "arrivals": self.arrivals}).encode()
        else:
            at = time.time()
            self.count += 1
            answer = b"ok"
            if scope["path"] == "/latency":
                event = json.loads(body)
                headers = {k.decode(): v.decode() for k, v in scope["headers"]}
                self.arrivals[f"{event['event']}:{event['payment_id']}"] = {
                    "at": at,
                    "body": body.decode(),
                    "headers": {k: v for k, v in headers.items() if k.startswith("webhook-")},
                }
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": answer})


def serve_receiver(port: int) -> None:
    uvicorn.run(
        Receiver(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


class ReceiverProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.webhooks", "--receiver", str(self.port)], cwd=ROOT
        )
        self.client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def ready(self) -> None:
        async with asyncio.timeout(30):
            while True:
                try:
                    await self.stats()
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.05)

    async def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self.client.get("/stats")).json()
        return data

    async def arrival(self, key: str) -> dict[str, Any]:
        async with asyncio.timeout(STEP_LIMIT):
            while True:
                found = (await self.stats())["arrivals"].get(key)
                if found is not None:
                    return dict(found)
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        self.process.wait(timeout=10)


# -- Kassa side ---------------------------------------------------------------------------------


def settings_for(backend: Backend, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=backend.url,
        network="devnet",
        price_source="static",
        prices_file=PRICES,
        devnet_block_seconds=3600,
        **overrides,
    )


async def dispatch_rate(
    backend: Backend, data_dir: Path, receiver: ReceiverProcess, count: int
) -> dict[str, Any]:
    await fresh_database(backend.url)
    settings = settings_for(backend, data_dir)
    runtime = await Runtime.start(settings)
    box = secret_box(settings)
    try:
        async with runtime.db.session() as session:
            merchant = await create_merchant(session, "Bench Shop", Decimal("0.005"))
            await create_signing_secret(session, box, merchant.id)
        url = receiver.url("/rate")
        for start in range(0, count, BATCH):
            async with runtime.db.session() as session:
                for i in range(start, min(count, start + BATCH)):
                    await record_event(
                        session,
                        merchant_id=merchant.id,
                        payload={
                            "event": "payment.confirmed",
                            "payment_id": str(uuid.uuid4()),
                            "amount_received": Decimal("0.00118694"),
                            "n": i,
                        },
                        webhook_url=url,
                    )
        before = (await receiver.stats())["count"]
        dispatcher = Dispatcher.from_settings(runtime.db, settings, box)
        started, cpu = time.perf_counter(), time.process_time()
        async with asyncio.timeout(DISPATCH_LIMIT):
            await dispatcher.run_until_idle()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        await dispatcher.aclose()
        received = (await receiver.stats())["count"] - before
        async with runtime.db.session() as session:
            succeeded = await session.scalar(
                select(func.count()).where(WebhookDelivery.status == "succeeded")
            )
            latencies = list(await session.scalars(select(WebhookAttempt.latency_ms)))
        return {
            "deliveries": count,
            "succeeded": int(succeeded or 0),
            "received": received,
            "seconds": round(seconds, 3),
            "deliveries_per_second": round(count / seconds, 1),
            "worker_cpu_seconds": round(cpu_seconds, 3),
            "deliveries_per_cpu_second": round(count / cpu_seconds, 1),
            "attempt_latency_ms": {
                "p50": percentile(latencies, 0.5),
                "p99": percentile(latencies, 0.99),
            },
            "concurrency": settings.webhook_concurrency,
            "per_target_concurrency": settings.webhook_per_target_concurrency,
        }
    finally:
        await runtime.close()


async def block_to_webhook(
    backend: Backend,
    data_dir: Path,
    receiver: ReceiverProcess,
    payments: int,
    watcher_poll: float,
) -> dict[str, Any]:
    await fresh_database(backend.url)
    settings = settings_for(backend, data_dir, watcher_poll_seconds=watcher_poll)
    runtime = await Runtime.start(settings)
    stop = await start_workers(runtime)
    xrp = registry().get("XRP")
    try:
        async with runtime.db.session() as session:
            merchant = await create_merchant(session, "Bench Shop", Decimal("0.005"))
            key = await create_api_key(session, merchant.id, frozenset({Scope.WRITE}))
            secret = await create_signing_secret(session, secret_box(settings), merchant.id)
        app = create_app(settings, runtime)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key.secret}"}
        latencies: list[float] = []
        to_event: list[float] = []
        to_webhook: list[float] = []
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://kassa") as api,
            asyncio.timeout(LATENCY_LIMIT),
        ):
            for _ in range(payments):
                created = await api.post(
                    "/api/payments",
                    headers=headers,
                    json={
                        "asset": "XRP",
                        "amount_crypto": "10",
                        "webhook_url": receiver.url("/latency"),
                    },
                )
                payment = created.json()
                async with runtime.db.session() as session:
                    await DevnetService(session).pay(
                        xrp, payment["address"], Decimal("10"), payment["destination_tag"]
                    )
                await receiver.arrival(f"payment.detected:{payment['id']}")
                async with runtime.db.session() as session:
                    await DevnetService(session).mine(["xrp"])
                mined = time.time()
                arrived = await receiver.arrival(f"payment.confirmed:{payment['id']}")
                verify(arrived["body"], arrived["headers"], secret)  # signed, and by this secret
                latencies.append(arrived["at"] - mined)
                async with runtime.db.session() as session:
                    recorded = await session.scalar(
                        select(Event.created_at).where(
                            Event.payment_id == uuid.UUID(payment["id"]),
                            Event.type == "payment.confirmed",
                        )
                    )
                assert recorded is not None
                to_event.append(recorded.timestamp() - mined)
                to_webhook.append(arrived["at"] - recorded.timestamp())
        return {
            "payments": len(latencies),
            "asset": "XRP",
            "confirmations": xrp.confirmations,
            "watcher_poll_seconds": watcher_poll,
            "p50_seconds": round(percentile(latencies, 0.5), 3),
            "p99_seconds": round(percentile(latencies, 0.99), 3),
            "max_seconds": round(max(latencies), 3),
            "block_to_event": {
                "p50_seconds": round(percentile(to_event, 0.5), 3),
                "p99_seconds": round(percentile(to_event, 0.99), 3),
            },
            "event_to_webhook": {
                "p50_seconds": round(percentile(to_webhook, 0.5), 3),
                "p99_seconds": round(percentile(to_webhook, 0.99), 3),
            },
        }
    finally:
        await stop()
        await runtime.close()


async def main(args: argparse.Namespace) -> None:
    run = Run("webhooks", args.quick)
    count = args.deliveries or (1000 if args.quick else 5000)
    payments = args.payments or (10 if args.quick else 40)
    receiver = ReceiverProcess()
    figures: dict[str, Any] = {"dispatch": {}, "block_to_webhook": {}}
    parts: list[str] = []
    try:
        await receiver.ready()
        with backends(args.db) as chosen, tempfile.TemporaryDirectory() as tmp:
            for backend in chosen:
                rate = await dispatch_rate(backend, Path(tmp) / backend.name, receiver, count)
                latency = await block_to_webhook(
                    backend,
                    Path(tmp) / f"{backend.name}-latency",
                    receiver,
                    payments,
                    args.watcher_poll,
                )
                figures["dispatch"][backend.name] = rate
                figures["block_to_webhook"][backend.name] = latency
                parts.append(
                    f"{backend.name}: {rate['deliveries_per_second']:.0f} deliveries/s "
                    f"({count} in {rate['seconds']:.1f} s, "
                    f"{rate['deliveries_per_cpu_second']:.0f} per worker CPU-second), "
                    "block→webhook "
                    f"p50 {latency['p50_seconds'] * 1000:.0f} ms "
                    f"p99 {latency['p99_seconds'] * 1000:.0f} ms"
                )
    finally:
        await receiver.close()
    run.write(figures, "; ".join(parts) + f" (watcher poll {args.watcher_poll:g} s)")


def cli() -> None:
    ap = parser(__doc__ or "")
    ap.add_argument("--deliveries", type=int, default=0, help="events to dispatch (5000)")
    ap.add_argument("--payments", type=int, default=0, help="payments for the latency part (40)")
    ap.add_argument(
        "--watcher-poll", type=float, default=0.25, help="KASSA_WATCHER_POLL_SECONDS (0.25)"
    )
    ap.add_argument("--receiver", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receiver:
        serve_receiver(args.receiver)
        return
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
