"""Webhook fixtures: a real HTTP receiver on 127.0.0.1, a settable clock, dispatchers, events."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import uvicorn

from kassa.config import Settings
from kassa.kit.timeutil import utcnow
from kassa.models import Event
from kassa.runtime import Runtime
from kassa.webhooks.dispatcher import Dispatcher
from kassa.webhooks.events import record_event
from kassa.webhooks.service import create_signing_secret
from kassa.webhooks.ssrf import Resolver, system_resolver
from kassa.webhooks.vault import SecretBox, secret_box

Scope = dict[str, Any]
Message = dict[str, Any]


@dataclass
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: asyncio.Event | None = None
    """Answer only once this is set (a slow receiver the test controls)."""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """A real HTTP server (uvicorn) whose answers each test scripts per path."""

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[Received] = []
        self.replies: dict[str, list[Reply]] = defaultdict(list)
        self.default = Reply()
        self.arrived = asyncio.Event()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *replies: Reply) -> None:
        self.replies[path].extend(replies)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, count: int, path: str | None = None, within: float = 30) -> None:
        """Until ``count`` requests (to ``path``) arrived; fails after ``within`` seconds."""
        async with asyncio.timeout(within):
            while len(self.requests if path is None else self.at(path)) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def __call__(
        self, scope: Scope, receive: Callable[[], Any], send: Callable[[Message], Any]
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        self.requests.append(Received(path, headers, body, time.time()))
        self.arrived.set()
        queue = self.replies.get(path)
        reply = queue.pop(0) if queue else self.default
        if reply.hold is not None:
            await reply.hold.wait()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        raw = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw})
        await send({"type": "http.response.body", "body": reply.body})


ReceiverFactory = Callable[..., Awaitable[Receiver]]


@pytest.fixture
async def make_receiver() -> AsyncIterator[ReceiverFactory]:
    """Start real receivers, each on its own port (so each is its own target host)."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None], socket.socket]] = []

    async def start(certfile: str | None = None, keyfile: str | None = None) -> Receiver:
        """A receiver; with ``certfile``/``keyfile`` it speaks HTTPS."""
        app = Receiver()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        app.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="critical",
            lifespan="off",
            ws="none",
            access_log=False,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task, sock))
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no started event
            await asyncio.sleep(0.01)
        return app

    yield start
    for server, task, sock in running:
        server.should_exit = True
        server.force_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@pytest.fixture
async def receiver(make_receiver: ReceiverFactory) -> Receiver:
    return await make_receiver()


class Clock:
    """The dispatcher's notion of now: real time plus an offset the test moves forward
    (retry schedules span days)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    @property
    def now(self) -> datetime:
        return self()

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    """Devnet defaults (http and loopback allowed) with short timeouts."""
    return settings.model_copy(
        update={"webhook_timeout_seconds": 2.0, "webhook_lease_seconds": 5.0}
    )


@pytest.fixture
def box(hook_settings: Settings) -> SecretBox:
    return secret_box(hook_settings)


DispatcherFactory = Callable[..., Dispatcher]


@pytest.fixture
async def make_dispatcher(
    runtime: Runtime, hook_settings: Settings, box: SecretBox, clock: Clock
) -> AsyncIterator[DispatcherFactory]:
    made: list[Dispatcher] = []

    def factory(
        settings: Settings | None = None,
        resolver: Resolver = system_resolver,
        **options: Any,
    ) -> Dispatcher:
        dispatcher = Dispatcher.from_settings(
            runtime.db, settings or hook_settings, box, resolver=resolver, clock=clock, **options
        )
        made.append(dispatcher)
        return dispatcher

    yield factory
    for dispatcher in made:
        await dispatcher.aclose()


async def signing_secret(runtime: Runtime, box: SecretBox, merchant_id: str) -> str:
    async with runtime.db.session() as session:
        return await create_signing_secret(session, box, uuid.UUID(merchant_id))


async def emit(
    runtime: Runtime,
    merchant_id: str,
    webhook_url: str | None = None,
    event: str = "payment.confirmed",
    **fields: Any,
) -> Event:
    """Record an event as the payment and withdrawal services do."""
    payload = {"event": event, "payment_id": str(uuid.uuid4()), **fields}
    async with runtime.db.session() as session:
        return await record_event(
            session,
            merchant_id=uuid.UUID(merchant_id),
            payload=payload,
            webhook_url=webhook_url,
        )
