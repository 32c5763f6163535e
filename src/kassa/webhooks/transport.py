"""One HTTP attempt of one delivery: check the target, sign, POST, keep the first bytes.

Requests go to the address the SSRF guard checked (``Host`` header and TLS server name from the
URL), never through an environment proxy, never following redirects, within
``KASSA_WEBHOOK_TIMEOUT_SECONDS`` in total. Connections are pooled per target
(``scheme://host:port``), so a TLS connection verified for one host name never carries another
host's request, and one target's connections never wait for another's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from kassa.kit.timeutil import utcnow
from kassa.webhooks import signing
from kassa.webhooks.events import target_key
from kassa.webhooks.ssrf import Guard, Target, TargetRefused

USER_AGENT = "Kassa-Webhooks/1.0"
BODY_BYTES = 1024
MAX_CLIENTS = 256
"""Targets whose connection pools are kept (least recently used idle ones are closed)."""
SHARD = 4

# httpcore 1.0 imports the optional ``sniffio`` each time it creates a lock; when sniffio is not
# installed every miss searches sys.path again (about 0.5 ms, several times per request).
# Remembering the miss once makes ``import sniffio`` fail at once, as it would anyway.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery, ready to send."""

    delivery_id: int
    token: int
    message_id: str
    merchant_id: uuid.UUID
    endpoint_id: uuid.UUID | None
    url: str
    body: bytes
    keys: tuple[bytes, ...]
    """HMAC keys, newest first (two during a rotation's grace period)."""
    failures: int


@dataclass(frozen=True, slots=True)
class Attempt:
    job: Job
    attempted_at: datetime
    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None
    retry_after: str | None = None
    permanent: bool = False
    """The target can never be called as configured (e.g. http without permission)."""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def row(self) -> dict[str, Any]:
        """The ``webhook_attempts`` row of this attempt."""
        return {
            "delivery_id": self.job.delivery_id,
            "attempted_at": self.attempted_at,
            "url": self.job.url,
            "succeeded": self.succeeded,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "error": (self.error or "")[:500] or None,
            "response_body": self.response_body,
        }


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        pending += [current.__cause__, current.__context__]
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
    return False


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        text = _short(exc)
        if "refused" in text.lower() or _caused_by(exc, ConnectionRefusedError):
            return "connection refused"
        if "ssl" in text.lower() or "certificate" in text.lower():
            return f"TLS error: {text}"
        return f"connection failed: {text}"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {_short(exc)}"
    return f"error: {type(exc).__name__}: {_short(exc)}"


class _TargetPool:
    """The HTTP clients of one target: small connection pools side by side.

    httpcore's pool does work proportional to its connections times its waiting requests on
    every request; several pools of ``SHARD`` connections cost far less CPU than one big one.
    """

    def __init__(self, make: Callable[[int], httpx.AsyncClient], size: int) -> None:
        self._make = make
        self._sizes = [min(SHARD, size - i) for i in range(0, max(1, size), SHARD)]
        self._clients: list[httpx.AsyncClient | None] = [None] * len(self._sizes)
        self._busy = [0] * len(self._sizes)

    @property
    def idle(self) -> bool:
        return not any(self._busy)

    def acquire(self) -> tuple[int, httpx.AsyncClient]:
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        client = self._clients[index]
        if client is None:
            client = self._clients[index] = self._make(self._sizes[index])
        return index, client

    def release(self, index: int) -> None:
        self._busy[index] -= 1

    async def aclose(self) -> None:
        for client in self._clients:
            if client is not None:
                await client.aclose()


class Sender:
    """Sends attempts; owns the HTTP connection pools."""

    def __init__(
        self,
        guard: Guard,
        timeout: float,
        *,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        pool_size: int = 20,
    ) -> None:
        """``pool_size``: connections per target (one pool per ``scheme://host:port``)."""
        self.guard = guard
        self.timeout = timeout
        self.verify = httpx.create_ssl_context() if verify is True else verify
        self.transport = transport
        self.clock = clock
        self.pool_size = pool_size
        self._pools: dict[str, _TargetPool] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def _new_client(self, connections: int) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            verify=self.verify,
            transport=self.transport,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    def _pool(self, key: str) -> _TargetPool:
        pool = self._pools.pop(key, None)
        if pool is None:
            pool = _TargetPool(self._new_client, self.pool_size)
            idle = [k for k, p in self._pools.items() if p.idle]
            for evicted in idle[: max(0, len(self._pools) + 1 - MAX_CLIENTS)]:
                task = asyncio.get_running_loop().create_task(self._pools.pop(evicted).aclose())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        self._pools[key] = pool  # most recently used last
        return pool

    async def send(self, job: Job) -> Attempt:
        attempted_at = self.clock()
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            async with asyncio.timeout(self.timeout):
                target = await self.guard.target(job.url)
                return await self._post(job, target, attempted_at, elapsed)
        except TargetRefused as exc:
            return Attempt(
                job,
                attempted_at,
                elapsed(),
                error=f"target refused: {exc.message}",
                permanent=exc.permanent,
            )
        except Exception as exc:  # every failure of the target is recorded, never raised
            return Attempt(job, attempted_at, elapsed(), error=_describe(exc, self.timeout))

    async def _post(
        self, job: Job, target: Target, attempted_at: datetime, elapsed: Callable[[], int]
    ) -> Attempt:
        timestamp = int(time.time())
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signing.headers(job.keys, job.message_id, timestamp, job.body),
        }
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
        pool = self._pool(target_key(job.url))
        shard, client = pool.acquire()
        try:
            return await self._exchange(
                client, job, target, headers, extensions, attempted_at, elapsed
            )
        finally:
            pool.release(shard)

    async def _exchange(
        self,
        client: httpx.AsyncClient,
        job: Job,
        target: Target,
        headers: dict[str, str],
        extensions: dict[str, str] | None,
        attempted_at: datetime,
        elapsed: Callable[[], int],
    ) -> Attempt:
        for index, address in enumerate(target.addresses):
            request = client.build_request(
                "POST",
                target.url_for(address),
                content=job.body,
                headers=headers,
                extensions=extensions,
            )
            try:
                response = await client.send(request, stream=True)
                break
            except httpx.ConnectError:
                if index == len(target.addresses) - 1:
                    raise
        try:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= BODY_BYTES:
                    break
        finally:
            await response.aclose()
        status = response.status_code
        error = None
        if 300 <= status < 400:
            error = f"redirect to {response.headers.get('location', '?')} not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
        return Attempt(
            job,
            attempted_at,
            elapsed(),
            status_code=status,
            error=error,
            response_body=bytes(body[:BODY_BYTES]).decode("utf-8", errors="replace") or None,
            retry_after=response.headers.get("retry-after"),
        )

    async def aclose(self) -> None:
        for task in list(self._closing):
            await task
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()
