"""``/api/webhooks`` (endpoints and signing secrets) and ``/api/events`` (the outbox and its
delivery log).

Scopes: ``admin`` manages endpoints, sends tests and rotates secrets; ``read`` lists events and
deliveries; ``write`` or ``admin`` resends an event.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from kassa.deps import RuntimeDep, SessionDep
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.errors import BadRequest, Forbidden, NotFound
from kassa.kit.pagination import PageDep
from kassa.kit.timeutil import as_utc, utcnow
from kassa.merchants.auth import AdminAuth, BearerDoc, Principal, ReadAuth, require
from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from kassa.webhooks import schemas, service, types, views
from kassa.webhooks.repository import WebhookRepository
from kassa.webhooks.ssrf import Guard, TargetPolicy
from kassa.webhooks.transport import Job, Sender
from kassa.webhooks.vault import secret_box

webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=ExactRoute)
events = APIRouter(prefix="/events", tags=["events"], route_class=ExactRoute)

EndpointId = Annotated[str, Path(description="Webhook endpoint id (UUID)")]
EventId = Annotated[str, Path(description="Event id (UUID)")]


async def _write_or_admin(request: Request, session: SessionDep, doc: BearerDoc) -> Principal:
    try:
        return await require(Scope.WRITE)(request, session, doc)
    except Forbidden as first:
        try:
            return await require(Scope.ADMIN)(request, session, doc)
        except Forbidden:
            if first.message.startswith("This API key lacks"):
                raise Forbidden("This API key lacks the 'write' or 'admin' scope") from None
            raise first from None


WriteOrAdminAuth = Annotated[Principal, Depends(_write_or_admin)]


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found") from None


def _guard(runtime: Runtime) -> Guard:
    return Guard(TargetPolicy.from_settings(runtime.settings))


async def _check_url(session: SessionDep, runtime: Runtime, url: str) -> None:
    """The SSRF check of a new URL (a 400 when refused). It may wait for DNS, so the request's
    transaction (opened by authentication) is ended first: no database lock is held meanwhile."""
    await session.commit()
    await service.check_target(_guard(runtime), url)


def _grace(body: schemas.RotateSecret | None) -> timedelta:
    return timedelta(seconds=(body or schemas.RotateSecret()).grace_seconds)


# -- /api/webhooks -----------------------------------------------------------------------------


@webhooks.post("", status_code=201, responses={201: {"model": schemas.EndpointCreated}})
async def create_endpoint(
    body: schemas.CreateEndpoint, auth: AdminAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Create an endpoint that receives the merchant's events of the given types.

    The response carries the endpoint's signing secret (`whsec_...`) **once**: store it to
    verify the `webhook-signature` header. The URL must be `https` and resolve to a public
    address (see docs/webhooks.md for the operator settings that relax this).
    """
    await _check_url(session, runtime, body.url)
    endpoint, secret = await service.create_endpoint(
        session,
        secret_box(runtime.settings),
        auth.merchant.id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
    )
    return ExactJSONResponse(views.endpoint_body(endpoint, secret), status_code=201)


@webhooks.get("", responses={200: {"model": schemas.EndpointList}})
async def list_endpoints(auth: AdminAuth, session: SessionDep) -> ExactJSONResponse:
    """The merchant's webhook endpoints (secrets are never shown again)."""
    rows = await WebhookRepository(session).endpoints_of(auth.merchant.id)
    return ExactJSONResponse({"endpoints": [views.endpoint_body(e) for e in rows]})


@webhooks.get("/signing-secret", responses={200: {"model": schemas.SigningSecretResponse}})
async def get_signing_secret(auth: AdminAuth, session: SessionDep) -> ExactJSONResponse:
    """When the merchant's signing secret was made and rotated (not the secret itself).

    That secret signs the events sent to the `webhook_url` given with each payment or
    withdrawal.
    """
    row = await WebhookRepository(session).signing_secret(auth.merchant.id)
    if row is None:
        raise NotFound("No signing secret yet: rotate it to create one")
    return ExactJSONResponse(views.signing_secret_body(row))


@webhooks.post("/signing-secret/rotate", responses={200: {"model": schemas.SigningSecretRotated}})
async def rotate_signing_secret(
    auth: AdminAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Annotated[schemas.RotateSecret | None, Body()] = None,
) -> ExactJSONResponse:
    """Replace the merchant's signing secret; the new one is returned **once**.

    For `grace_seconds` (default 24 h) every request carries two signatures, by the new and by
    the old secret, so receivers can switch without losing a webhook.
    """
    row, secret = await service.rotate_signing_secret(
        session, secret_box(runtime.settings), auth.merchant.id, _grace(body)
    )
    return ExactJSONResponse(views.signing_secret_body(row, secret))


@webhooks.get("/{endpoint_id}", responses={200: {"model": schemas.EndpointResponse}})
async def get_endpoint(
    endpoint_id: EndpointId, auth: AdminAuth, session: SessionDep
) -> ExactJSONResponse:
    """One webhook endpoint."""
    endpoint = await service.get_endpoint(
        session, auth.merchant.id, _uuid(endpoint_id, "Webhook endpoint")
    )
    return ExactJSONResponse(views.endpoint_body(endpoint))


@webhooks.patch("/{endpoint_id}", responses={200: {"model": schemas.EndpointResponse}})
async def update_endpoint(
    endpoint_id: EndpointId,
    body: schemas.UpdateEndpoint,
    auth: AdminAuth,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ExactJSONResponse:
    """Change an endpoint's URL, event types, description or status.

    Disabling gives up its pending deliveries; `"status": "enabled"` re-enables it (resend what
    it missed with `POST /api/events/{id}/resend`).
    """
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:
        await _check_url(session, runtime, str(changes["url"]))
    endpoint = await service.get_endpoint(
        session, auth.merchant.id, _uuid(endpoint_id, "Webhook endpoint")
    )
    endpoint = await service.update_endpoint(session, endpoint, changes)
    return ExactJSONResponse(views.endpoint_body(endpoint))


@webhooks.delete("/{endpoint_id}", status_code=204, response_class=Response)
async def delete_endpoint(
    endpoint_id: EndpointId, auth: AdminAuth, session: SessionDep
) -> Response:
    """Delete an endpoint. Its delivery log stays readable through `/api/events`."""
    endpoint = await service.get_endpoint(
        session, auth.merchant.id, _uuid(endpoint_id, "Webhook endpoint")
    )
    await service.delete_endpoint(session, endpoint)
    return Response(status_code=204)


@webhooks.post("/{endpoint_id}/rotate-secret", responses={200: {"model": schemas.EndpointCreated}})
async def rotate_endpoint_secret(
    endpoint_id: EndpointId,
    auth: AdminAuth,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Annotated[schemas.RotateSecret | None, Body()] = None,
) -> ExactJSONResponse:
    """Give the endpoint a new signing secret, returned **once**; the old one keeps signing
    alongside it for `grace_seconds` (default 24 h)."""
    endpoint = await service.get_endpoint(
        session, auth.merchant.id, _uuid(endpoint_id, "Webhook endpoint")
    )
    secret = await service.rotate_endpoint_secret(
        session, secret_box(runtime.settings), endpoint, _grace(body)
    )
    return ExactJSONResponse(views.endpoint_body(endpoint, secret))


@webhooks.post("/{endpoint_id}/test", responses={200: {"model": schemas.TestResult}})
async def test_endpoint(
    endpoint_id: EndpointId, auth: AdminAuth, session: SessionDep, runtime: RuntimeDep
) -> ExactJSONResponse:
    """Send a signed `webhook_endpoint.test` event to the endpoint now and report the attempt.

    The test is sent once (never retried), also to a disabled endpoint, and appears in
    `/api/events` with its delivery log.
    """
    endpoint = await service.get_endpoint(
        session, auth.merchant.id, _uuid(endpoint_id, "Webhook endpoint")
    )
    settings = runtime.settings
    box = secret_box(settings)
    lease = timedelta(seconds=settings.webhook_lease_seconds)
    event, delivery = await service.start_test(session, endpoint, lease)
    job = Job(
        delivery_id=delivery.id,
        token=delivery.lease_token,
        message_id=delivery.message_id,
        merchant_id=endpoint.merchant_id,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        body=event.payload.encode("utf-8"),
        keys=service.signing_keys(box, endpoint, utcnow()),
        failures=0,
    )
    await session.commit()  # no transaction stays open during the HTTP call
    sender = Sender(_guard(runtime), settings.webhook_timeout_seconds)
    try:
        attempt = await sender.send(job)
    finally:
        await sender.aclose()
    await service.finish_test(session, attempt)
    repo = WebhookRepository(session)
    await session.refresh(delivery)
    attempts = await repo.attempts_of([delivery.id])
    return ExactJSONResponse(
        {
            "event_id": str(event.id),
            "delivery": views.delivery_body(delivery, attempts[delivery.id]),
        }
    )


# -- /api/events -------------------------------------------------------------------------------


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise BadRequest(
            f"Invalid {name}: must be an ISO 8601 timestamp, e.g. 2026-04-16T02:00:00Z"
        ) from None


def _optional_uuid(value: str | None, name: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequest(f"Invalid {name}: must be a UUID") from None


def _type_filter(value: str | None) -> tuple[list[str], list[str]]:
    """``"payment.confirmed,withdrawal.*"`` → (exact types, families); empty = everything."""
    exact: list[str] = []
    family: list[str] = []
    for part in (value or "").split(","):
        if not part.strip():
            continue
        try:
            pattern = types.check_pattern(part)
        except ValueError as exc:
            raise BadRequest(f"Invalid type: {exc}") from None
        if pattern == "*":
            return [], []
        name, _, rest = pattern.partition(".")
        (family if rest == "*" else exact).append(name if rest == "*" else pattern)
    return exact, family


@events.get("", responses={200: {"model": schemas.EventList}})
async def list_events(
    auth: ReadAuth,
    session: SessionDep,
    page: PageDep,
    type: Annotated[
        str | None,
        Query(max_length=500, description="Comma-separated types or 'payment.*' patterns"),
    ] = None,
    created_after: Annotated[str | None, Query(description="ISO 8601, inclusive")] = None,
    created_before: Annotated[str | None, Query(description="ISO 8601, exclusive")] = None,
    payment_id: Annotated[str | None, Query()] = None,
    withdrawal_id: Annotated[str | None, Query()] = None,
) -> ExactJSONResponse:
    """The merchant's events, newest first, each with the exact payload that is delivered."""
    exact, families = _type_filter(type)
    rows, total = await WebhookRepository(session).events_of(
        auth.merchant.id,
        types=exact,
        families=families,
        created_after=_when(created_after, "created_after"),
        created_before=_when(created_before, "created_before"),
        payment_id=_optional_uuid(payment_id, "payment_id"),
        withdrawal_id=_optional_uuid(withdrawal_id, "withdrawal_id"),
        limit=page.limit,
        offset=page.offset,
    )
    return ExactJSONResponse(
        {
            "events": [views.event_body(e) for e in rows],
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
        }
    )


@events.get("/{event_id}", responses={200: {"model": schemas.EventResponse}})
async def get_event(event_id: EventId, auth: ReadAuth, session: SessionDep) -> ExactJSONResponse:
    """One event and its exact payload."""
    event = await service.get_event(session, auth.merchant.id, _uuid(event_id, "Event"))
    return ExactJSONResponse(views.event_body(event))


@events.get("/{event_id}/deliveries", responses={200: {"model": schemas.DeliveryList}})
async def list_deliveries(
    event_id: EventId, auth: ReadAuth, session: SessionDep
) -> ExactJSONResponse:
    """Where the event went: one delivery per target, each with every attempt (time, status
    code, latency, error, first bytes of the response)."""
    event = await service.get_event(session, auth.merchant.id, _uuid(event_id, "Event"))
    repo = WebhookRepository(session)
    deliveries = await repo.deliveries_of(event.id)
    attempts = await repo.attempts_of([d.id for d in deliveries])
    return ExactJSONResponse(
        {"deliveries": [views.delivery_body(d, attempts[d.id]) for d in deliveries]}
    )


@events.post(
    "/{event_id}/resend", status_code=202, responses={202: {"model": schemas.DeliveryList}}
)
async def resend_event(
    event_id: EventId,
    auth: WriteOrAdminAuth,
    session: SessionDep,
    body: Annotated[schemas.Resend | None, Body()] = None,
) -> ExactJSONResponse:
    """Deliver the event again, now, with the same `webhook-id` and a fresh retry schedule.

    Without a body: to every target it had (its `webhook_url` and enabled endpoints). With
    `endpoint_id`: to that endpoint only, also for an event older than the endpoint.
    """
    event = await service.get_event(session, auth.merchant.id, _uuid(event_id, "Event"))
    endpoint_id = None
    if body is not None and body.endpoint_id is not None:
        endpoint_id = _uuid(body.endpoint_id, "Webhook endpoint")
    deliveries = await service.resend(session, auth.merchant.id, event, endpoint_id)
    return ExactJSONResponse(
        {"deliveries": [views.delivery_body(d) for d in deliveries]}, status_code=202
    )


router = APIRouter(route_class=ExactRoute)
router.include_router(webhooks)
router.include_router(events)
