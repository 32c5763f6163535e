"""Memory: peak RSS (``VmHWM``) of ``kassa serve`` watching 1,000,000 deposit addresses, next to
the same server watching none.

For each size the database is prepared first (migrated, devnet keys made, the watched addresses
bulk-inserted), then ``python -m kassa serve`` runs on it with a fast devnet (a block every
0.5 s, the watcher polling every 0.25 s) while payments are created, paid and confirmed through
the API; after the traffic has settled and the watchers have ticked a while, ``VmHWM`` is read
from ``/proc/<pid>/status``. DESIGN.md sets no target: the figure to watch is the difference.

    uv run python -m bench.memory [--db sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text

from bench.common import (
    ROOT,
    Backend,
    Run,
    backends,
    fill_deposit_addresses,
    free_port,
    fresh_database,
    parser,
)
from bench.server import bench_settings
from kassa.runtime import Runtime

NAME = "memory"
ASSETS = ("BTC", "ETH", "USDT-TRC20", "XRP")
CONFIRM_LIMIT = 180.0


@dataclass(frozen=True, slots=True)
class Plan:
    watched: int
    payments: int
    run_seconds: float

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls(watched=100_000, payments=8, run_seconds=15)
        return cls(watched=1_000_000, payments=40, run_seconds=30)


async def prepare(url: str, data_dir: Path, watched: int) -> None:
    await fresh_database(url)
    runtime = await Runtime.start(bench_settings(url, data_dir))
    try:
        if watched:
            async with runtime.db.session() as session:
                key_id = await session.scalar(
                    text("SELECT key_id FROM address_counters WHERE key_id LIKE 'eth:%'")
                )
            await fill_deposit_addresses(
                runtime.db.engine,
                chain="eth",
                key_id=str(key_id),
                count=watched,
                merchant_id="00000000-0000-0000-0000-000000000000",
            )
    finally:
        await runtime.close()


def status_kib(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0])
    return found


class Output:
    """Collects a child's output lines in a thread, so that its pipe never fills up."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode(errors="replace"))

    def find(self, pattern: str) -> str | None:
        for line in self.lines:
            if match := re.search(pattern, line):
                return match.group(1)
        return None


def wait_ready(proc: subprocess.Popen[bytes], out: Output, base: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("kassa serve exited:\n" + "".join(out.lines[-30:]))
        key = out.find(r"api_key:\s+(ks_\S+)")
        try:
            if key and httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return key
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("kassa serve did not start:\n" + "".join(out.lines[-30:]))


def traffic(base: str, key: str, plan: Plan) -> dict[str, Any]:
    """Create and pay ``plan.payments`` payments, wait until they are confirmed, and keep the
    server running (blocks, watcher ticks) for at least ``plan.run_seconds`` in all."""
    headers = {"Authorization": f"Bearer {key}"}
    ids = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(plan.payments):
            asset = ASSETS[i % len(ASSETS)]
            created = client.post(
                "/api/payments",
                json={"asset": asset, "amount_fiat": "25", "webhook_url": "https://shop.example/h"},
            )
            created.raise_for_status()
            payment = created.json()
            paid = client.post(
                "/api/devnet/pay",
                json={
                    "asset": asset,
                    "address": payment["address"],
                    "amount": payment["amount_crypto"],
                    "destination_tag": payment.get("destination_tag"),
                },
            )
            paid.raise_for_status()
            ids.append(payment["id"])
        started = time.monotonic()
        confirmed, settled = 0, None
        while time.monotonic() < started + max(plan.run_seconds, CONFIRM_LIMIT):
            time.sleep(1)
            if settled is None:
                statuses = [client.get(f"/api/payments/{pid}").json()["status"] for pid in ids]
                confirmed = statuses.count("confirmed")
                if confirmed == len(ids):
                    settled = round(time.monotonic() - started, 1)
            if settled is not None and time.monotonic() >= started + plan.run_seconds:
                break
    return {"payments": len(ids), "confirmed": confirmed, "all_confirmed_after_s": settled}


def measure(backend: Backend, watched: int, plan: Plan, work: Path) -> dict[str, Any]:
    data_dir = work / f"data-{backend.name}-{watched}"
    data_dir.mkdir()
    url = backend.url if backend.name != "sqlite" else f"sqlite+aiosqlite:///{data_dir}/kassa.db"
    asyncio.run(prepare(url, data_dir, watched))
    port = free_port()
    env = {
        **os.environ,
        "KASSA_DATA_DIR": str(data_dir),
        "KASSA_DATABASE_URL": url,
        "KASSA_NETWORK": "devnet",
        "KASSA_DEVNET_BLOCK_SECONDS": "0.5",
        "KASSA_WATCHER_POLL_SECONDS": "0.25",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kassa", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    out = Output(proc.stdout)
    base = f"http://127.0.0.1:{port}"
    try:
        key = wait_ready(proc, out, base)
        at_start = status_kib(proc.pid)
        flow = traffic(base, key, plan)
        peak = status_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if flow["confirmed"] != flow["payments"]:
        raise SystemExit(f"only {flow['confirmed']} of {flow['payments']} payments confirmed")
    return {
        "watched": watched,
        "rss_after_start_mib": round(at_start["VmRSS"] / 1024, 1),
        "peak_rss_mib": round(peak["VmHWM"] / 1024, 1),
        "rss_at_end_mib": round(peak["VmRSS"] / 1024, 1),
        **flow,
    }


def main() -> None:
    args = parser(__doc__ or NAME).parse_args()
    plan = Plan.of(args.quick)
    run = Run(NAME, args.quick)
    figures: dict[str, Any] = {"run_seconds": plan.run_seconds, "backends": {}}
    parts = []
    with backends(args.db) as chosen, tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        for backend in chosen:
            empty = measure(backend, 0, plan, Path(tmp))
            full = measure(backend, plan.watched, plan, Path(tmp))
            figures["backends"][backend.name] = {"empty": empty, "watched": full}
            parts.append(
                f"{backend.name}: peak RSS {full['peak_rss_mib']} MiB with {plan.watched:,} watched"
                f" addresses vs {empty['peak_rss_mib']} MiB with none"
                f" ({full['peak_rss_mib'] - empty['peak_rss_mib']:+.1f} MiB)"
            )
    run.write(figures, " | ".join(parts))


if __name__ == "__main__":
    main()
