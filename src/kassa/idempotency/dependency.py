"""The ``Idempotency-Key`` request dependency and the wrapper that runs a handler's effect."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.config import Settings
from kassa.deps import get_runtime
from kassa.idempotency import service
from kassa.idempotency.service import HEADER, Claimed, PreconditionRequired, Replay
from kassa.kit.api import ExactJSONResponse
from kassa.kit.timeutil import utcnow

log = logging.getLogger(__name__)

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True, slots=True)
class Idempotency:
    """What a handler needs to make its effect idempotent: see :meth:`run`."""

    key: str | None
    fingerprint: str
    settings: Settings

    async def run(
        self,
        session: AsyncSession,
        merchant_id: uuid.UUID,
        work: Callable[[], Awaitable[Response]],
        *,
        payout: bool,
    ) -> Response:
        """Run ``work`` at most once per key, and commit before the response leaves.

        ``work`` writes its effect in ``session`` and returns the response; with a key, the
        response is stored in the same transaction as the effect.
        """
        if self.key is None:
            if payout and self.settings.require_idempotency_key:
                raise PreconditionRequired(
                    f"Missing {HEADER} header: this gateway requires one on payouts"
                )
            response = await work()
            await session.commit()
            return response
        outcome = await service.claim(
            session,
            merchant_id=merchant_id,
            key=self.key,
            fingerprint=self.fingerprint,
            now=utcnow(),
            ttl=timedelta(hours=self.settings.idempotency_ttl_hours),
        )
        if isinstance(outcome, Replay):
            await session.commit()
            return replay(outcome)
        await session.commit()  # the claim is visible: a concurrent retry sees it in flight
        try:
            response = await work()
            if 200 <= response.status_code < 300:
                body = bytes(response.body).decode("utf-8")
                await service.complete(session, outcome, response.status_code, body)
            else:
                await service.release(session, outcome)
            await session.commit()
        except Exception:
            await session.rollback()
            await _release_quietly(session, outcome)
            raise
        return response


async def _release_quietly(session: AsyncSession, claimed: Claimed) -> None:
    with contextlib.suppress(Exception):
        await service.release(session, claimed)
        await session.commit()
        return
    log.warning("could not release idempotency claim %s; it expires on its own", claimed)


def replay(stored: Replay) -> Response:
    return Response(
        content=stored.body.encode("utf-8"),
        status_code=stored.status,
        media_type=ExactJSONResponse.media_type,
        headers={REPLAYED_HEADER: "true"},
    )


async def idempotency(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Makes retries safe: the same key and body replay the first response "
            "(kept at least 24 h); a different body with the same key is a 409.",
        ),
    ] = None,
) -> Idempotency:
    key = None if idempotency_key is None else service.check_key(idempotency_key)
    body = await request.body()
    return Idempotency(
        key=key,
        fingerprint=service.fingerprint(request.method, request.url.path, body),
        settings=get_runtime(request).settings,
    )


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
