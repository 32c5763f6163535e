"""Real ``kassa`` processes for the reliability suite: start, wait until ready, SIGKILL, restart.

The processes share the test database (``KASSA_DATABASE_URL``): SQLite file or PostgreSQL.
The devnet's own miner is switched off (``KASSA_DEVNET_BLOCK_SECONDS`` is an hour) so that the
test decides when blocks are mined; leases are short so that a replacement takes over soon
after a kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
READY = {
    "worker": re.compile(r"workers running on"),
    "serve": re.compile(r"Uvicorn running on"),
}
START_TIMEOUT = 90.0


def kassa_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``kassa`` child process on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env.update(
        {
            "KASSA_DATABASE_URL": database_url,
            "KASSA_DATA_DIR": str(data_dir),
            "KASSA_NETWORK": "devnet",
            "KASSA_PRICE_SOURCE": "static",
            "KASSA_PRICES_FILE": str(FIXTURES / "prices.toml"),
            "KASSA_DEVNET_BLOCK_SECONDS": "3600",
            "KASSA_WATCHER_POLL_SECONDS": "0.2",
            "KASSA_WORKER_LEASE_SECONDS": "1",
            "KASSA_WEBHOOK_POLL_SECONDS": "0.1",
            "KASSA_WEBHOOK_TIMEOUT_SECONDS": "1",
            "KASSA_WEBHOOK_LEASE_SECONDS": "2",
        }
    )
    env.update(extra)
    return env


@dataclass
class KassaProcess:
    """One ``python -m kassa <command>`` child; its output is kept for failure messages."""

    command: tuple[str, ...]
    env: Mapping[str, str]
    proc: asyncio.subprocess.Process | None = None
    output: list[str] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    async def start(self) -> KassaProcess:
        self.ready = asyncio.Event()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "kassa",
            *self.command,
            env=dict(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        pattern = READY[self.command[0]]
        while line := await self.proc.stdout.readline():
            text = line.decode(errors="replace")
            self.output.append(text)
            if pattern.search(text):
                self.ready.set()

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> None:  # noqa: ASYNC109
        waiter = asyncio.create_task(self.ready.wait())
        assert self.proc is not None
        exited = asyncio.create_task(self.proc.wait())
        await asyncio.wait({waiter, exited}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        exited.cancel()
        if not self.ready.is_set():
            raise AssertionError(f"kassa {self.command[0]} did not start:\n{self.tail()}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no lease release, whatever transaction is open is cut."""
        await self._stop(signal.SIGKILL)

    async def terminate(self) -> None:
        await self._stop(signal.SIGTERM)

    async def _stop(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._reader, timeout=5)

    def tail(self, lines: int = 40) -> str:
        return "".join(self.output[-lines:])

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines it printed (a killed process prints none of its own)."""
        return [line for line in self.output if "Traceback" in line or " ERROR " in line]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
