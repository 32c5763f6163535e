"""Dashboard: API keys (a new key is shown once; revoke) and webhook endpoints (create, whose
signing secret is shown once; delete) — endpoints through the webhooks service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from kassa.dashboard.deps import CsrfUserDep, UserDep, page, redirect
from kassa.dashboard.repository import DashboardRepository
from kassa.dashboard.views import parse_uuid, when
from kassa.deps import RuntimeDep, SessionDep
from kassa.kit.errors import HTTPError, NotFound
from kassa.kit.timeutil import utcnow
from kassa.merchants.scopes import Scope, parse_scopes
from kassa.merchants.service import create_api_key
from kassa.webhooks import service as webhooks
from kassa.webhooks import types
from kassa.webhooks.repository import WebhookRepository
from kassa.webhooks.ssrf import Guard, TargetPolicy
from kassa.webhooks.vault import secret_box

router = APIRouter(include_in_schema=False)


async def _keys_context(session: SessionDep, user: UserDep) -> dict[str, object]:
    keys = await DashboardRepository(session).keys_of(user.merchant.id)
    return {
        "keys": [
            {
                "id": str(k.id),
                "prefix": k.prefix,
                "scopes": k.scopes,
                "created": when(k.created_at),
                "revoked": when(k.revoked_at) if k.revoked_at else None,
            }
            for k in keys
        ],
        "scopes": [s.value for s in Scope],
        "secret": None,
    }


@router.get("/dashboard/api-keys")
async def list_keys(request: Request, user: UserDep, session: SessionDep) -> Response:
    return page(request, user, "keys.html", "keys", await _keys_context(session, user))


@router.post("/dashboard/api-keys")
async def create_key(
    request: Request,
    user: CsrfUserDep,
    session: SessionDep,
    scope: Annotated[list[str] | None, Form(max_length=10)] = None,
) -> Response:
    """Create a key and show it on this one response (never again, never in a URL)."""
    try:
        scopes = parse_scopes(",".join(scope or []))
    except ValueError as exc:
        return redirect(
            request, "/dashboard/api-keys", message=f"Invalid scopes: {exc}", error=True
        )
    issued = await create_api_key(session, user.merchant.id, scopes)
    context = await _keys_context(session, user)
    context["secret"] = issued.secret
    context["secret_scopes"] = issued.key.scopes
    return page(request, user, "keys.html", "keys", context)


@router.post("/dashboard/api-keys/{key_id}/revoke")
async def revoke_key(
    key_id: str, request: Request, user: CsrfUserDep, session: SessionDep
) -> Response:
    kid = parse_uuid(key_id)
    key = await DashboardRepository(session).key_of(user.merchant.id, kid) if kid else None
    if key is None:
        return redirect(request, "/dashboard/api-keys", message="API key not found", error=True)
    key.revoked_at = key.revoked_at or utcnow()
    return redirect(request, "/dashboard/api-keys", message=f"API key {key.prefix}… revoked")


def _guard(runtime: RuntimeDep) -> Guard:
    return Guard(TargetPolicy.from_settings(runtime.settings))


async def _webhooks_context(session: SessionDep, user: UserDep) -> dict[str, object]:
    rows = await WebhookRepository(session).endpoints_of(user.merchant.id)
    return {
        "endpoints": [
            {
                "id": str(e.id),
                "url": e.url,
                "description": e.description,
                "event_types": ", ".join(types.split(e.event_types)),
                "status": e.status,
                "reason": e.disabled_reason,
                "created": when(e.created_at),
            }
            for e in rows
        ],
        "secret": None,
    }


@router.get("/dashboard/webhooks")
async def list_webhooks(request: Request, user: UserDep, session: SessionDep) -> Response:
    return page(request, user, "webhooks.html", "webhooks", await _webhooks_context(session, user))


@router.post("/dashboard/webhooks")
async def create_webhook(
    request: Request,
    user: CsrfUserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    event_types: Annotated[str, Form(max_length=2000)] = "*",
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        patterns = types.check_patterns([p for p in event_types.replace(" ", ",").split(",") if p])
        await webhooks.check_target(_guard(runtime), url.strip())
        endpoint, secret = await webhooks.create_endpoint(
            session,
            secret_box(runtime.settings),
            user.merchant.id,
            url=url.strip(),
            event_types=patterns,
            description=description.strip() or None,
        )
    except ValueError as exc:
        return redirect(
            request, "/dashboard/webhooks", message=f"Invalid event types: {exc}", error=True
        )
    except HTTPError as exc:
        return redirect(request, "/dashboard/webhooks", message=exc.message, error=True)
    context = await _webhooks_context(session, user)
    context["secret"] = secret
    context["secret_url"] = endpoint.url
    return page(request, user, "webhooks.html", "webhooks", context)


@router.post("/dashboard/webhooks/{endpoint_id}/delete")
async def delete_webhook(
    endpoint_id: str, request: Request, user: CsrfUserDep, session: SessionDep
) -> Response:
    try:
        eid = parse_uuid(endpoint_id)
        if eid is None:
            raise NotFound("Webhook endpoint not found")
        endpoint = await webhooks.get_endpoint(session, user.merchant.id, eid)
        await webhooks.delete_endpoint(session, endpoint)
    except HTTPError as exc:
        return redirect(request, "/dashboard/webhooks", message=exc.message, error=True)
    return redirect(request, "/dashboard/webhooks", message="Webhook endpoint deleted")
