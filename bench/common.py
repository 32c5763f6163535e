"""What every benchmark shares: databases to run on, bulk fills, percentiles, the result file.

A result is ``bench/results/<name>.json`` with the figures, the machine and its load while the
benchmark ran (the machine may be shared: the load average says how much to trust a figure).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kassa.db import Database
from kassa.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_ENV = "KASSA_BENCH_POSTGRES_URL"
"""A PostgreSQL database the benchmarks may wipe; unset: SQLite only."""


@dataclass(frozen=True, slots=True)
class Backend:
    name: str
    """``sqlite`` or ``postgresql``."""
    url: str


def parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument(
        "--db",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help=f"backends to run on (postgresql needs {POSTGRES_ENV}; default: both when it is set)",
    )
    ap.add_argument("--quick", action="store_true", help="a short smoke run (figures are rough)")
    return ap


@contextlib.contextmanager
def backends(choice: str) -> Iterator[list[Backend]]:
    """The databases to run on: a fresh SQLite file in a temporary directory, and the PostgreSQL
    database of ``KASSA_BENCH_POSTGRES_URL`` when it is set (it is wiped)."""
    pg_url = os.environ.get(POSTGRES_ENV)
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        chosen: list[Backend] = []
        if choice in ("sqlite", "both"):
            chosen.append(Backend("sqlite", f"sqlite+aiosqlite:///{tmp}/kassa.db"))
        if choice in ("postgresql", "both"):
            if pg_url:
                chosen.append(Backend("postgresql", pg_url))
            elif choice == "postgresql":
                sys.exit(f"--db postgresql needs {POSTGRES_ENV}=postgresql+asyncpg://...")
            else:
                print(f"  (PostgreSQL skipped: set {POSTGRES_ENV} to include it)", flush=True)
        yield chosen


async def fresh_database(url: str) -> None:
    """Empty the database and apply every migration."""
    db = Database(url)
    try:
        if db.is_sqlite:
            path = Path(db.engine.url.database or "")
            await db.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)  # noqa: ASYNC240 - set-up
        else:
            async with db.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(db.engine)
    finally:
        await db.dispose()


def _hex_address_sql(dialect: str, number: str) -> str:
    """SQL for a fake EVM-style address ``0x`` + 40 hex digits of ``number``, same on both."""
    if dialect == "sqlite":
        return f"printf('0x%040x', {number})"
    return f"'0x' || lpad(to_hex({number}::bigint), 40, '0')"


def watched_address(number: int) -> str:
    """The address :func:`fill_deposit_addresses` gives watched target ``number``."""
    return f"0x{number:040x}"


async def fill_deposit_addresses(
    engine: AsyncEngine, *, chain: str, key_id: str, count: int, merchant_id: str
) -> float:
    """Insert ``count`` watched deposit targets in one statement; returns the seconds it took.

    Target ``i`` gets address :func:`watched_address` ``(i)`` and derivation index ``i`` of
    ``key_id``; the address counter of ``key_id`` is set to ``count`` as if they had been issued.
    """
    dialect = engine.dialect.name
    started = time.perf_counter()
    async with engine.begin() as conn:
        if dialect == "sqlite":
            await conn.exec_driver_sql("PRAGMA cache_size=-200000")
            last = int(count) - 1
            series = (
                f"WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {last}) "  # noqa: S608
            )
            source = "FROM s"
            new_id = "lower(hex(randomblob(16)))"
            now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
            mid = f"'{merchant_id.replace('-', '')}'"
        else:
            series = ""
            source = f"FROM generate_series(0, {count - 1}) AS s(i)"
            new_id = "gen_random_uuid()"
            now = "now()"
            mid = f"'{merchant_id}'::uuid"
        address = _hex_address_sql(dialect, "i")
        await conn.exec_driver_sql(
            f"{series}INSERT INTO deposit_addresses "
            "(id, chain, match_key, address, destination_tag, key_id, derivation_index, "
            "payment_id, merchant_id, created_at) "
            f"SELECT {new_id}, '{chain}', {address}, {address}, NULL, '{key_id}', i, "
            f"{new_id}, {mid}, {now} {source}"
        )
        await conn.execute(
            text("UPDATE address_counters SET next_index = :n WHERE key_id = :k"),
            {"n": count, "k": key_id},
        )
        if dialect == "postgresql":
            await conn.exec_driver_sql("ANALYZE deposit_addresses")
        else:
            await conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def pin_to_core(core: int) -> int | None:
    """Run this process on one core (of two or more); returns it, or None on a 1-core machine."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    chosen = cores[core % len(cores)]
    os.sched_setaffinity(0, {chosen})
    return chosen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _git_commit(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Run:
    """One benchmark run: collects the load around it and writes its result file."""

    def __init__(self, name: str, quick: bool) -> None:
        self.name = name
        self.quick = quick
        self.started = datetime.now(UTC)
        self.load_before = load_average()

    def write(self, figures: dict[str, Any], summary: str) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        result = {
            "benchmark": self.name,
            "started_at": self.started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - self.started).total_seconds(), 1),
            "quick": self.quick,
            "machine": machine(),
            "load_average": {"before": self.load_before, "after": load_average()},
            "summary": summary,
            **figures,
        }
        path.write_text(json.dumps(result, indent=2) + "\n")
        load = result["load_average"]["after"][0]  # type: ignore[index]
        print(f"{self.name}: {summary} [load {load}]", flush=True)
        return path
