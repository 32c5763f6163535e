"""A bounded HTTP/1.1 load generator: ``concurrency`` keep-alive connections, each sending the
same request back to back, for ``seconds`` after ``warmup`` seconds; then it stops by itself and
prints one JSON object (throughput, latency percentiles, errors).

It runs as its own process, pinned to a core of its own, so that it does not compete with the
server it measures. It speaks just enough HTTP (fixed request bytes, ``Content-Length``
responses) to stay far faster than the servers it loads: its ceiling is reported by
``bench.payments`` as ``client_ceiling_rps`` (a ``GET /health`` run).

    python -m bench.loadgen --url http://127.0.0.1:8080/api/payments --method POST \
        --body '{"asset": "BTC", ...}' --header 'Authorization: Bearer ks_...' --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.common import percentile, pin_to_core

MAX_ERROR_SAMPLES = 3


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    completed: int = 0
    """Every response, warm-up included."""
    statuses: dict[int, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    connection_errors: int = 0


def build_request(url: str, method: str, body: bytes, headers: list[str]) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += headers
    if body or method != "GET":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def connection(
    host: str, port: int, request: bytes, start: float, measure_from: float, stop: float, t: Tally
) -> None:
    while time.perf_counter() < stop:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            t.connection_errors += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while (sent := time.perf_counter()) < stop:
                writer.write(request)
                status, body = await read_response(reader)
                done = time.perf_counter()
                t.completed += 1
                if sent < measure_from:
                    continue
                t.statuses[status] = t.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    t.latencies.append(done - sent)
                elif len(t.error_samples) < MAX_ERROR_SAMPLES:
                    t.error_samples.append(f"{status} {body[:200].decode(errors='replace')}")
        except (OSError, ConnectionError, asyncio.IncompleteReadError):
            t.connection_errors += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def run(args: argparse.Namespace) -> dict[str, object]:
    parts = urlsplit(args.url)
    request = build_request(args.url, args.method, args.body.encode(), args.header)
    tally = Tally()
    start = time.perf_counter()
    measure_from = start + args.warmup
    stop = measure_from + args.seconds
    await asyncio.gather(
        *(
            connection(
                parts.hostname or "127.0.0.1",
                parts.port or 80,
                request,
                start,
                measure_from,
                stop,
                tally,
            )
            for _ in range(args.concurrency)
        )
    )
    ok = len(tally.latencies)
    ms = [x * 1000 for x in tally.latencies]
    return {
        "requests": sum(tally.statuses.values()),
        "completed_with_warmup": tally.completed,
        "ok": ok,
        "rps": round(ok / args.seconds, 1),
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "latency_ms": {
            "p50": round(percentile(ms, 0.50), 2),
            "p90": round(percentile(ms, 0.90), 2),
            "p99": round(percentile(ms, 0.99), 2),
            "max": round(max(ms), 2) if ms else None,
        },
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "errors": tally.error_samples,
        "connection_errors": tally.connection_errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--body", default="")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--core", type=int, default=1, help="core to pin to (of two or more)")
    args = ap.parse_args()
    pin_to_core(args.core)
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    print(json.dumps(run_loop(run(args))), flush=True)


if __name__ == "__main__":
    main()
