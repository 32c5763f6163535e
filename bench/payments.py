"""Payment creation: throughput and latency of ``POST /api/payments`` against the bare endpoint
(one insert, same framework, same server, same run), at 0 and at 1,000,000 issued addresses.

The server (``bench.server``) runs pinned to one core and the load generator (``bench.loadgen``)
to the other. Rounds alternate bare / Kassa so that both see the same machine load; the median
round of each is the figure. Targets (DESIGN.md): Kassa ≥ 80 % of the bare rate, a single
creation under 10 ms, and the rate at 1,000,000 issued addresses within 10 % of the rate at 0.

    uv run python -m bench.payments [--db sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench import profiling
from bench.common import (
    RESULTS,
    ROOT,
    Backend,
    Run,
    backends,
    fill_deposit_addresses,
    free_port,
    fresh_database,
    median,
    parser,
)
from bench.server import bench_settings, create_bare_table
from kassa.db import Database
from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key, create_merchant
from kassa.runtime import Runtime

NAME = "payments"
BODY = {
    "asset": "BTC",
    "amount_fiat": 100,
    "fiat_currency": "USD",
    "external_ref": "ORDER-12345",
    "webhook_url": "https://yourstore.com/webhooks/kassa",
    "description": "Order #12345 — Premium Plan",
}
TARGET_RATIO = 0.80
TARGET_SINGLE_MS = 10.0
TARGET_GROWTH = 0.10


@dataclass(frozen=True, slots=True)
class Plan:
    rounds: int
    seconds: float
    warmup: float
    concurrency: int
    issued: int

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls(rounds=1, seconds=2.0, warmup=0.5, concurrency=16, issued=100_000)
        return cls(rounds=3, seconds=5.0, warmup=1.0, concurrency=16, issued=1_000_000)


@dataclass(frozen=True, slots=True)
class Prepared:
    api_key: str
    merchant_id: str
    btc_key_id: str


async def prepare(url: str, data_dir: Path) -> Prepared:
    """A migrated empty database with one merchant, the devnet keys and the bare table."""
    await fresh_database(url)
    runtime = await Runtime.start(bench_settings(url, data_dir))
    try:
        await create_bare_table(runtime.db.engine)
        async with runtime.db.session() as session:
            merchant = await create_merchant(
                session, "Bench Store", runtime.settings.default_fee_rate
            )
            issued = await create_api_key(session, merchant.id, frozenset(Scope))
            key_id = await session.scalar(
                text("SELECT key_id FROM address_counters WHERE key_id LIKE 'btc:%'")
            )
        return Prepared(issued.secret, str(merchant.id), str(key_id))
    finally:
        await runtime.close()


async def fill(url: str, prepared: Prepared, count: int) -> float:
    db = Database(url)
    try:
        return await fill_deposit_addresses(
            db.engine,
            chain="btc",
            key_id=prepared.btc_key_id,
            count=count,
            merchant_id=prepared.merchant_id,
        )
    finally:
        await db.dispose()


@dataclass(frozen=True, slots=True)
class Server:
    base: str
    pid: int


@contextlib.contextmanager
def server(url: str, log: Path) -> Iterator[Server]:
    """``bench.server`` on core 0, once ``/health`` answers."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--database-url", url, "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                sys.exit(f"bench server exited: see {log}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"bench server did not start: see {log}")
            time.sleep(0.2)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load(
    url: str,
    *,
    method: str = "POST",
    body: dict[str, Any] | None = None,
    headers: list[str] | None = None,
    concurrency: int,
    seconds: float,
    warmup: float,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One ``bench.loadgen`` run; with ``server_pid``, also the server's CPU per request."""
    args = [sys.executable, "-m", "bench.loadgen", "--url", url, "--method", method]
    args += ["--concurrency", str(concurrency), "--seconds", str(seconds)]
    args += ["--warmup", str(warmup), "--core", "1"]
    if body is not None:
        args += ["--body", json.dumps(body)]
    for header in headers or []:
        args += ["--header", header]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    out = subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + warmup + 60
    )
    result: dict[str, Any] = json.loads(out.stdout)
    if result["errors"] or result["ok"] == 0:
        sys.exit(f"load on {url} failed: {result}")
    if server_pid:
        used = cpu_seconds(server_pid) - cpu_before
        result["server_cpu_ms_per_request"] = round(
            1000 * used / max(1, result["completed_with_warmup"]), 3
        )
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(srv: Server, prepared: Prepared, plan: Plan) -> dict[str, Any]:
    """Alternating rounds of the bare endpoint and payment creation; medians of each."""
    auth = [f"Authorization: Bearer {prepared.api_key}"]
    rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "kassa": []}
    for _ in range(plan.rounds):
        for name, path, headers in (
            ("bare", "/bench/bare", []),
            ("kassa", "/api/payments", auth),
        ):
            rounds[name].append(
                load(
                    srv.base + path,
                    body=BODY,
                    headers=headers,
                    concurrency=plan.concurrency,
                    seconds=plan.seconds,
                    warmup=plan.warmup,
                    server_pid=srv.pid,
                )
            )
    summary: dict[str, Any] = {}
    for name, results in rounds.items():
        summary[name] = {
            "rps": median([r["rps"] for r in results]),
            "p50_ms": median([r["latency_ms"]["p50"] for r in results]),
            "p99_ms": median([r["latency_ms"]["p99"] for r in results]),
            "server_cpu_ms_per_request": median([r["server_cpu_ms_per_request"] for r in results]),
            "rounds": results,
        }
    summary["ratio"] = round(summary["kassa"]["rps"] / summary["bare"]["rps"], 3)
    return summary


def profile(srv: Server, backend: str, prepared: Prepared, py_spy: str) -> dict[str, Any]:
    """CPU milliseconds per request, per step, of payment creation and of the bare insert."""
    rate, seconds = 200, 6.0
    found: dict[str, Any] = {"sampling_hz": rate}
    auth = [f"Authorization: Bearer {prepared.api_key}"]
    for name, path, headers in (("kassa", "/api/payments", auth), ("bare", "/bench/bare", [])):
        out = RESULTS / f"payments-{backend}-{name}.pyspy.txt"
        RESULTS.mkdir(parents=True, exist_ok=True)
        spy = profiling.record(py_spy, srv.pid, seconds, out, rate)
        result = load(
            srv.base + path,
            body=BODY,
            headers=headers,
            concurrency=16,
            seconds=seconds,
            warmup=0,
            server_pid=srv.pid,
        )
        spy.wait(timeout=60)
        prof = profiling.read_raw(out)
        per_step = prof.ms_per_request(result["ok"], rate)
        found[name] = {
            "rps_while_sampled": result["rps"],
            "server_cpu_ms_per_request": result["server_cpu_ms_per_request"],
            "sampled_cpu_ms_per_request": round(sum(per_step.values()), 3),
            "steps_ms": per_step,
            "raw": str(out.relative_to(ROOT)),
        }
    return found


def bench_backend(
    backend: Backend, plan: Plan, work: Path, py_spy: str | None = None
) -> dict[str, Any]:
    log = work / f"server-{backend.name}.log"
    prepared = asyncio.run(prepare(backend.url, work))
    result: dict[str, Any] = {"concurrency": plan.concurrency, "round_seconds": plan.seconds}
    with server(backend.url, log) as srv:
        base = srv.base
        ceiling = load(
            base + "/health", method="GET", concurrency=plan.concurrency, seconds=2, warmup=0.5
        )
        result["client_ceiling_rps"] = ceiling["rps"]
        single = load(
            base + "/api/payments",
            body=BODY,
            headers=[f"Authorization: Bearer {prepared.api_key}"],
            concurrency=1,
            seconds=plan.seconds,
            warmup=plan.warmup,
        )
        result["single"] = {
            "p50_ms": single["latency_ms"]["p50"],
            "p99_ms": single["latency_ms"]["p99"],
            "rps": single["rps"],
        }
        result["at_zero"] = compare(srv, prepared, plan)
        if py_spy:
            result["profile"] = profile(srv, backend.name, prepared, py_spy)
    result["issued"] = plan.issued
    result["fill_seconds"] = round(asyncio.run(fill(backend.url, prepared, plan.issued)), 1)
    with server(backend.url, log) as srv:
        result["at_issued"] = compare(srv, prepared, plan)
    zero, issued = result["at_zero"], result["at_issued"]
    result["issued_rate_ratio"] = round(issued["kassa"]["rps"] / zero["kassa"]["rps"], 3)
    result["issued_ratio_ratio"] = round(issued["ratio"] / zero["ratio"], 3)
    return result


def main() -> None:
    ap = parser(__doc__ or NAME)
    ap.add_argument(
        "--py-spy",
        default=os.environ.get("KASSA_BENCH_PY_SPY"),
        help="path to a py-spy binary: also profile both endpoints (see bench/profiling.py)",
    )
    args = ap.parse_args()
    plan = Plan.of(args.quick)
    run = Run(NAME, args.quick)
    figures: dict[str, Any] = {
        "targets": {
            "ratio_min": TARGET_RATIO,
            "single_p50_ms_max": TARGET_SINGLE_MS,
            "issued_rate_within": TARGET_GROWTH,
        },
        "body": BODY,
        "backends": {},
    }
    parts: list[str] = []
    with backends(args.db) as chosen, tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        for backend in chosen:
            r = bench_backend(backend, plan, Path(tmp), args.py_spy)
            figures["backends"][backend.name] = r
            zero = r["at_zero"]
            parts.append(
                f"{backend.name}: {zero['kassa']['rps']:.0f}/s vs bare {zero['bare']['rps']:.0f}/s"
                f" = {zero['ratio']:.0%} (target ≥ {TARGET_RATIO:.0%}),"
                f" p50 {zero['kassa']['p50_ms']}"
                f" p99 {zero['kassa']['p99_ms']} ms at c={plan.concurrency}, single p50"
                f" {r['single']['p50_ms']} ms; at {r['issued']:,} issued"
                f" {r['at_issued']['kassa']['rps']:.0f}/s = {r['issued_rate_ratio']:.0%} of zero"
                f" (bare-normalised {r['issued_ratio_ratio']:.0%})"
            )
    run.write(figures, " | ".join(parts))


if __name__ == "__main__":
    main()
