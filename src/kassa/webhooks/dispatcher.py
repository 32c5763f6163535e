"""The webhook dispatcher: claims due deliveries in batches and sends them concurrently.

Each :meth:`Dispatcher.step`:

1. records the attempts that finished since the last step (one transaction for the batch:
   attempt rows, delivery states, endpoint health, endpoints to disable);
2. claims as many due deliveries as there are free slots (one transaction: ``UPDATE ... WHERE id
   IN (SELECT ... FOR UPDATE SKIP LOCKED)`` pushes each one lease ahead), loads their payloads
   and secrets, and starts a task per delivery its target has room for. No transaction is open
   during HTTP calls;
3. when it claimed nothing, waits until a delivery finishes, a local commit creates deliveries,
   or ``KASSA_WEBHOOK_POLL_SECONDS`` pass.

At most ``KASSA_WEBHOOK_CONCURRENCY`` attempts are in flight, and at most
``KASSA_WEBHOOK_PER_TARGET_CONCURRENCY`` to one target (``scheme://host:port``). Deliveries
claimed for a target at its limit wait here for it (and are given back unsent if they could no
longer finish within their lease); while a target is at its limit or has deliveries waiting,
claims skip it. So one slow receiver cannot hold back the others. A worker killed mid-attempt
leaves its deliveries due again when their lease ends (``KASSA_WEBHOOK_LEASE_SECONDS``): at
least once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kassa.config import Settings
from kassa.db import Database
from kassa.kit.timeutil import utcnow
from kassa.models.webhook import DeliveryStatus, EndpointStatus
from kassa.webhooks import events, schedule, service
from kassa.webhooks.events import target_key
from kassa.webhooks.repository import Claimed, Outcome, WebhookRepository
from kassa.webhooks.ssrf import Guard, Resolver, TargetPolicy, system_resolver
from kassa.webhooks.transport import Attempt, Job, Sender
from kassa.webhooks.vault import SecretBox, SecretKeyError

log = logging.getLogger(__name__)

MAX_BATCH = 500
RELEASE_DELAY = (1.0, 3.0)
MAX_BACKOFF = 30.0


class Dispatcher:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        sender: Sender,
        *,
        concurrency: int = 100,
        per_target: int = 20,
        lease_seconds: float = 30.0,
        poll_seconds: float = 0.5,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if lease_seconds <= sender.timeout:
            raise ValueError(
                "KASSA_WEBHOOK_LEASE_SECONDS must exceed KASSA_WEBHOOK_TIMEOUT_SECONDS"
            )
        self.db = db
        self.box = box
        self.sender = sender
        self.concurrency = max(1, concurrency)
        self.per_target = max(1, per_target)
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.rng = rng or random.Random()
        self._news = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: Counter[str] = Counter()
        self._queues: dict[str, deque[tuple[Job, float]]] = {}
        self._queued = 0
        self._finished: list[Attempt] = []
        self._skipped: list[tuple[Claimed, str]] = []
        self._released: list[tuple[int, int]] = []
        self._backoff = 1.0
        events.add_waker(self._news.set)

    @classmethod
    def from_settings(
        cls,
        db: Database,
        settings: Settings,
        box: SecretBox,
        *,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime] = utcnow,
        **sender_options: Any,
    ) -> Dispatcher:
        guard = Guard(TargetPolicy.from_settings(settings), resolver)
        sender = Sender(
            guard,
            settings.webhook_timeout_seconds,
            clock=clock,
            pool_size=settings.webhook_per_target_concurrency,
            **sender_options,
        )
        return cls(
            db,
            box,
            sender,
            concurrency=settings.webhook_concurrency,
            per_target=settings.webhook_per_target_concurrency,
            lease_seconds=settings.webhook_lease_seconds,
            poll_seconds=settings.webhook_poll_seconds,
            clock=clock,
        )

    @property
    def in_flight(self) -> int:
        """Attempts running or claimed and waiting for their target."""
        return len(self._tasks) + self._queued

    async def step(self) -> int:
        """One round (see the module docstring); returns how many deliveries it claimed.

        A database error is logged and backed off here (up to 30 s), so the worker loop can
        call this without a pause of its own.
        """
        self._news.clear()
        try:
            await self.flush()
            claimed = await self._claim()
        except Exception:
            log.exception("webhook dispatch failed; retrying in %.0f s", self._backoff)
            await asyncio.sleep(self._backoff)
            self._backoff = min(MAX_BACKOFF, self._backoff * 2)
            return 0
        self._backoff = 1.0
        if not claimed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), timeout=self.poll_seconds)
        return claimed

    async def run_until_idle(self, horizon: float = 5.0) -> None:
        """Deliver until nothing is in flight and nothing falls due within ``horizon`` seconds
        (tests and benchmarks)."""
        while True:
            self._news.clear()
            await self.flush()
            if await self._claim():
                continue
            if self.in_flight:
                await self._news.wait()
                continue
            if self._finished or self._skipped or self._released:
                continue
            async with self.db.session() as session:
                due = await WebhookRepository(session).next_due()
            wait = None if due is None else (due - self.clock()).total_seconds()
            if wait is None or wait > horizon:
                return
            await asyncio.sleep(max(0.0, wait))

    async def aclose(self) -> None:
        """Stop: give back what waits for a target, cancel what runs (due again after its
        lease), record what finished."""
        events.remove_waker(self._news.set)
        for queue in self._queues.values():
            self._released += [(job.delivery_id, job.token) for job, _ in queue]
        self._queues.clear()
        self._queued = 0
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        with contextlib.suppress(Exception):
            await self.flush()
        await self.sender.aclose()

    # -- claiming ---------------------------------------------------------------------------

    def _busy_targets(self) -> list[str]:
        """Targets at their limit or with claimed deliveries waiting: not claimed for now."""
        return [t for t, n in self._running.items() if n >= self.per_target] + [
            t for t, q in self._queues.items() if q and self._running[t] < self.per_target
        ]

    async def _claim(self) -> int:
        """Claim due deliveries into free slots; returns how many were claimed."""
        free = self.concurrency - len(self._tasks)
        if free <= 0 or self._queued >= self.concurrency:
            return 0
        now = self.clock()
        async with self.db.session() as session:
            repo = WebhookRepository(session)
            claimed = await repo.claim(now, self.lease, min(free, MAX_BATCH), self._busy_targets())
            if not claimed:
                return 0
            payloads = await repo.payloads([c.event_id for c in claimed])
            endpoints = await repo.endpoints([c.endpoint_id for c in claimed if c.endpoint_id])
            secrets = await service.merchant_secrets(
                repo, self.box, [c.merchant_id for c in claimed if c.endpoint_id is None]
            )
        # A delivery must start early enough to finish within its lease.
        deadline = time.monotonic() + self.lease.total_seconds() - self.sender.timeout
        for claim in claimed:
            url = claim.url
            secret: service.HasSecrets | None = secrets.get(claim.merchant_id)
            if claim.endpoint_id is not None:
                endpoint = endpoints.get(claim.endpoint_id)
                if endpoint is None or endpoint.status != EndpointStatus.ENABLED:
                    state = "deleted" if endpoint is None else "disabled"
                    self._skipped.append((claim, f"endpoint {state}"))
                    continue
                url, secret = endpoint.url, endpoint
            try:
                keys = service.signing_keys(self.box, secret, now) if secret else ()
            except SecretKeyError as exc:
                log.error("webhook %s: %s", claim.message_id, exc.message)
                keys = ()
            job = Job(
                delivery_id=claim.id,
                token=claim.token,
                message_id=claim.message_id,
                merchant_id=claim.merchant_id,
                endpoint_id=claim.endpoint_id,
                url=url,
                body=payloads.get(claim.event_id, "").encode("utf-8"),
                keys=keys,
                failures=claim.failures,
            )
            self._queues.setdefault(target_key(url), deque()).append((job, deadline))
            self._queued += 1
        self._start_queued()
        return len(claimed)

    def _start_queued(self) -> None:
        """Start waiting deliveries while their target and the dispatcher have room; give back
        those that could no longer finish within their lease."""
        now = time.monotonic()
        for target in list(self._queues):
            queue = self._queues[target]
            while queue and (queue[0][1] < now):
                job, _ = queue.popleft()
                self._queued -= 1
                self._released.append((job.delivery_id, job.token))
            while (
                queue
                and self._running[target] < self.per_target
                and len(self._tasks) < self.concurrency
            ):
                job, _ = queue.popleft()
                self._queued -= 1
                self._start(job, target)
            if not queue:
                del self._queues[target]

    def _start(self, job: Job, target: str) -> None:
        self._running[target] += 1
        task = asyncio.create_task(self._attempt(job, target))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, job: Job, target: str) -> None:
        try:
            if job.keys:
                attempt = await self.sender.send(job)
            else:
                attempt = Attempt(job, self.clock(), 0, error="cannot sign: secret unavailable")
            self._finished.append(attempt)
        finally:
            self._running[target] -= 1
            if self._running[target] <= 0:
                del self._running[target]
            self._news.set()
            if self._queues:
                task = asyncio.current_task()
                if task is not None:
                    self._tasks.discard(task)  # its slot is free now
                self._start_queued()

    # -- recording --------------------------------------------------------------------------

    async def flush(self) -> int:
        """Record finished attempts; returns how many."""
        finished, self._finished = self._finished, []
        skipped, self._skipped = self._skipped, []
        released, self._released = self._released, []
        if not (finished or skipped or released):
            return 0
        try:
            await self._record(finished, skipped, released)
        except BaseException:
            self._finished[:0] = finished
            self._skipped[:0] = skipped
            self._released[:0] = released
            raise
        return len(finished)

    async def _record(
        self,
        finished: list[Attempt],
        skipped: list[tuple[Claimed, str]],
        released: list[tuple[int, int]],
    ) -> None:
        now = self.clock()
        outcomes: list[Outcome] = []
        rows: list[dict[str, Any]] = []
        healthy: set[uuid.UUID] = set()
        failing: set[uuid.UUID] = set()
        gone: set[uuid.UUID] = set()
        for attempt in finished:
            outcome, fate = self._outcome(attempt, now)
            outcomes.append(outcome)
            rows.append(attempt.row())
            endpoint_id = attempt.job.endpoint_id
            if endpoint_id is None:
                continue
            if fate == schedule.Fate.SUCCEEDED:
                healthy.add(endpoint_id)
            else:
                failing.add(endpoint_id)
            if fate == schedule.Fate.GONE:
                gone.add(endpoint_id)
        delay = self.rng.uniform(*RELEASE_DELAY)
        async with self.db.session() as session:
            repo = WebhookRepository(session)
            await repo.record(outcomes, rows)
            await repo.skip([(c.id, c.token) for c, _ in skipped], [r for _, r in skipped])
            await repo.release(released, now + timedelta(seconds=delay))
            await repo.mark_failing(list(failing - healthy), now)
            await repo.mark_healthy(list(healthy))
            for endpoint_id in gone:
                await service.disable_endpoint(
                    session, endpoint_id, "the target answered 410 Gone", now
                )
            stale = await repo.failing_enabled(
                list(failing - healthy - gone), now - schedule.DISABLE_AFTER
            )
            for endpoint in stale:
                await service.disable_endpoint(
                    session, endpoint.id, "every attempt failed for 3 days", now
                )

    def _outcome(self, attempt: Attempt, now: datetime) -> tuple[Outcome, schedule.Fate]:
        job = attempt.job
        decision = schedule.decide(
            status_code=attempt.status_code,
            permanent_error=attempt.permanent,
            failures=job.failures,
            now=now,
            retry_after=schedule.parse_retry_after(attempt.retry_after, now),
            rng=self.rng,
        )
        fate = decision.fate
        error = attempt.error
        if fate in (schedule.Fate.FAILED, schedule.Fate.GONE) and decision.reason:
            error = f"{error}; {decision.reason}" if error else decision.reason
        status = {
            schedule.Fate.SUCCEEDED: DeliveryStatus.SUCCEEDED,
            schedule.Fate.RETRY: DeliveryStatus.PENDING,
        }.get(fate, DeliveryStatus.FAILED)
        succeeded = fate == schedule.Fate.SUCCEEDED
        return (
            Outcome(
                delivery_id=job.delivery_id,
                token=job.token,
                url=job.url,
                status=status,
                next_attempt_at=decision.next_attempt_at or now,
                failures=0 if succeeded else decision.failures,
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=None if succeeded else (error or "")[:500],
                delivered_at=attempt.attempted_at if succeeded else None,
            ),
            fate,
        )
