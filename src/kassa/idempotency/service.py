"""Claiming, completing and releasing idempotency keys (inside the caller's transaction)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import simplejson
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.idempotency.repository import IdempotencyRepository
from kassa.kit import jsonutil
from kassa.kit.errors import BadRequest, Conflict, HTTPError
from kassa.models.idempotency import IdempotencyKey, IdempotencyStatus

HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 255
IN_FLIGHT_TIMEOUT: Final = timedelta(seconds=60)
"""A claim older than this whose request never finished (a crashed process) may be taken over."""

MISMATCH: Final = (
    "Idempotency-Key was already used with a different request; send a new key for a new request"
)
IN_FLIGHT: Final = (
    "A request with this Idempotency-Key is still being processed; retry after it completes"
)


class PreconditionRequired(HTTPError):
    """428: the operator requires an ``Idempotency-Key`` on this request."""

    status_code = 428


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request holds the key: run the effect, then :func:`complete` or :func:`release`."""

    record_id: uuid.UUID
    token: uuid.UUID


@dataclass(frozen=True, slots=True)
class Replay:
    """The key was used for this very request before: answer with its stored response."""

    status: int
    body: str


def check_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in value):
        raise BadRequest(
            f"Invalid {HEADER} header: must be 1 to {MAX_KEY_LENGTH} visible ASCII characters "
            "(a UUID is recommended)"
        )
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the request: JSON bodies compare by content, not by key order or spacing."""
    try:
        canonical = simplejson.dumps(
            jsonutil.loads(body), sort_keys=True, separators=(",", ":"), use_decimal=True
        ).encode("utf-8")
    except (jsonutil.InvalidJSON, TypeError, ValueError):
        canonical = body
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


async def claim(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> Claimed | Replay:
    """Take ``key`` for this request, or say how to answer: raises 409 on reuse or in flight."""
    repo = IdempotencyRepository(session)
    token = uuid.uuid4()
    row = IdempotencyKey(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        key=key,
        fingerprint=fingerprint,
        status=IdempotencyStatus.IN_FLIGHT,
        claim_token=token,
        locked_at=now,
        response_status=None,
        response_body=None,
        created_at=now,
        expires_at=now + ttl,
    )
    if await repo.insert_in_flight(row):
        return Claimed(row.id, token)
    existing = await repo.get(merchant_id, key)
    if existing is None:  # purged in between: the key is free again
        if await repo.insert_in_flight(row):
            return Claimed(row.id, token)
        raise Conflict(IN_FLIGHT)
    expired = existing.expires_at <= now
    abandoned = (
        existing.status == IdempotencyStatus.IN_FLIGHT
        and existing.locked_at <= now - IN_FLIGHT_TIMEOUT
        and existing.fingerprint == fingerprint
    )
    if expired or abandoned:
        taken = await repo.take_over(
            existing.id,
            existing.claim_token,
            token=token,
            fingerprint=fingerprint,
            now=now,
            expires_at=now + ttl,
        )
        if taken:
            return Claimed(existing.id, token)
        raise Conflict(IN_FLIGHT)
    if existing.fingerprint != fingerprint:
        raise Conflict(MISMATCH)
    if existing.status == IdempotencyStatus.COMPLETED:
        return Replay(existing.response_status or 200, existing.response_body or "")
    raise Conflict(IN_FLIGHT)


async def complete(session: AsyncSession, claimed: Claimed, status: int, body: str) -> None:
    """Store the response with the effect; 409 if a retry took the key over meanwhile."""
    if not await IdempotencyRepository(session).complete(
        claimed.record_id, claimed.token, status, body
    ):
        raise Conflict(IN_FLIGHT)


async def release(session: AsyncSession, claimed: Claimed) -> None:
    """Give the key up: the request did nothing, so the same request may be sent again."""
    await IdempotencyRepository(session).release(claimed.record_id, claimed.token)


async def purge_expired(session: AsyncSession, now: datetime, limit: int = 1000) -> int:
    return await IdempotencyRepository(session).purge_expired(now, limit)
