"""Where a server's time goes: py-spy samples of a process under load, summed per step.

py-spy is not a dependency of Kassa; install it apart (e.g. ``python3 -m venv /tmp/prof &&
/tmp/prof/bin/pip install py-spy``) and pass its path with ``--py-spy`` or ``KASSA_BENCH_PY_SPY``.
Each sample is charged to the innermost recognised step of its stack (``STEPS``, checked from
the leaf up), so the steps add up to the samples; the figures are CPU milliseconds per request.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# (step, frame marker): the first marker found walking up from the leaf names the step
STEPS: tuple[tuple[str, str], ...] = (
    ("derive address (bip32 child + encode)", "ChildDeriver.derive (kassa/keys/derivation.py"),
    ("address counter UPDATE", "_next_index (kassa/payments/addresses.py"),
    ("price quote", "price_amount (kassa/payments/service.py"),
    ("authenticate (API key lookup)", "authenticate (kassa/merchants/auth.py"),
    ("flush: INSERT payment + deposit address", "Session.flush (sqlalchemy/orm/session.py"),
    ("response body", "payment_body (kassa/payments/views.py"),
    ("bare INSERT", "bare (bench/server.py"),
    ("rest of create_payment", "create_payment (kassa/payments/service.py"),
    ("session dependency (BEGIN / COMMIT)", "get_session (kassa/deps.py"),
    ("request body parsing + validation", "request_body_to_args (fastapi/"),
    ("SQLite driver thread (aiosqlite)", "_connection_worker_thread (aiosqlite/"),
    ("sync dependency run in the thread pool", "WorkerThread.run (anyio/"),
    ("FastAPI routing + dependencies", "solve_dependencies (fastapi/"),
    ("ASGI stack (uvicorn, starlette, middleware)", "run_asgi (uvicorn/"),
    ("event loop, sockets, selector", "_run_once (asyncio/"),
)
FALLBACKS: tuple[tuple[str, str], ...] = (
    # SQLAlchemy's async layer runs ORM work in greenlets whose sampled stacks lose the frames
    # of the coroutine that started them: what is left of SQLAlchemy is charged here
    ("SQLAlchemy ORM/Core in greenlets (compile cache, unit of work)", "sqlalchemy/"),
)
OTHER = "other"
_LINE = re.compile(r":\d+\)")
WAITS = (
    "Condition.wait (threading.py",
    "EpollSelector.select (selectors.py",
    "Queue.get (queue.py",
)
"""Leaf frames of a thread that waits: py-spy does not always tell them from work."""


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    per_step: dict[str, int]

    def ms_per_request(self, requests: int, rate_hz: int) -> dict[str, float]:
        scale = 1000 / rate_hz / max(requests, 1)
        return {
            step: round(count * scale, 3)
            for step, count in sorted(self.per_step.items(), key=lambda kv: -kv[1])
        }


def classify(stack: str) -> str:
    frames = [_LINE.sub(")", f) for f in stack.split(";")]
    for steps in (STEPS, FALLBACKS):
        for frame in reversed(frames):
            for step, marker in steps:
                if marker in frame:
                    return step
    return OTHER


def read_raw(path: Path) -> Profile:
    """Sum a py-spy ``--format raw`` file (``frame;frame;... count`` per line) per step."""
    per_step: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or stack.rsplit(";", 1)[-1].startswith(WAITS):
            continue
        per_step[classify(stack)] += int(count)
        total += int(count)
    return Profile(samples=total, per_step=dict(per_step))


def record(
    py_spy: str, pid: int, seconds: float, out: Path, rate_hz: int
) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` for ``seconds``; wait on the returned process."""
    duration = str(max(1, round(seconds)))
    args = [py_spy, "record", "-p", str(pid), "-d", duration, "-r", str(rate_hz)]
    args += ["-f", "raw", "-o", str(out)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
