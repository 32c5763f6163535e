"""``/api/events``: the outbox with filters, its delivery log, and manual resend."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from kassa.kit import jsonutil
from kassa.kit.timeutil import isoformat, utcnow
from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.webhooks.conftest import DispatcherFactory, Receiver, Reply, emit
from tests.webhooks.test_endpoints_api import create_endpoint


async def get(client: httpx.AsyncClient, merchant: MerchantKey, path: str) -> Any:
    response = await client.get(path, headers=merchant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_list_filters_and_paginates(
    client: httpx.AsyncClient, runtime: Runtime, merchant: MerchantKey
) -> None:
    before = utcnow() - timedelta(seconds=1)
    confirmed = await emit(runtime, merchant.merchant_id, event="payment.confirmed")
    await emit(runtime, merchant.merchant_id, event="payment.detected")
    failed = await emit(runtime, merchant.merchant_id, event="withdrawal.failed")
    other = await make_merchant(runtime, name="Other")
    await emit(runtime, other.merchant_id, event="payment.confirmed")

    everything = await get(client, merchant, "/api/events")
    assert everything["total"] == 3
    assert [e["type"] for e in everything["events"]] == [
        "withdrawal.failed",
        "payment.detected",
        "payment.confirmed",
    ]
    picked = await get(client, merchant, "/api/events?type=payment.confirmed,withdrawal.*")
    assert [e["id"] for e in picked["events"]] == [str(failed.id), str(confirmed.id)]
    page = await get(client, merchant, "/api/events?limit=1&offset=1")
    assert (page["total"], len(page["events"]), page["limit"], page["offset"]) == (3, 1, 1, 1)
    window = await get(
        client,
        merchant,
        f"/api/events?created_after={isoformat(before)}&created_before={isoformat(utcnow())}",
    )
    assert window["total"] == 3
    later = await get(client, merchant, f"/api/events?created_after={isoformat(utcnow())}")
    assert later["total"] == 0

    one = await get(client, merchant, f"/api/events/{confirmed.id}")
    assert (one["id"], one["type"]) == (str(confirmed.id), "payment.confirmed")
    assert one["payload"] == jsonutil.loads(confirmed.payload)


async def test_bad_filters_are_400(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    for query, message in [
        ("type=pay", "Invalid type: 'pay' is not an event type, '<family>.*' or '*'"),
        (
            "created_after=yesterday",
            "Invalid created_after: must be an ISO 8601 timestamp, e.g. 2026-04-16T02:00:00Z",
        ),
        ("payment_id=123", "Invalid payment_id: must be a UUID"),
        (
            "created_before=0001-01-01T00:00:00%2B01:00",
            "Invalid created_before: must be an ISO 8601 timestamp, e.g. 2026-04-16T02:00:00Z",
        ),
    ]:
        response = await client.get(f"/api/events?{query}", headers=merchant.headers)
        assert response.status_code == 400
        assert response.json() == {"error": message}


async def test_another_merchants_event_is_a_404(
    client: httpx.AsyncClient, runtime: Runtime, merchant: MerchantKey
) -> None:
    event = await emit(runtime, merchant.merchant_id)
    other = await make_merchant(runtime, name="Other")
    for method, path in [
        ("GET", f"/api/events/{event.id}"),
        ("GET", f"/api/events/{event.id}/deliveries"),
        ("POST", f"/api/events/{event.id}/resend"),
    ]:
        response = await client.request(method, path, headers=other.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "Event not found"}


async def test_deliveries_show_every_attempt(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    receiver.script("/hook", Reply(500, b"x" * 5000))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    await make_dispatcher().run_until_idle()

    [delivery] = (await get(client, merchant, f"/api/events/{event.id}/deliveries"))["deliveries"]
    assert delivery["target"] == "webhook_url"
    assert delivery["status"] == "pending"
    assert delivery["attempt_count"] == 1
    assert delivery["next_attempt_at"] is not None
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 500
    assert attempt["error"] == "HTTP 500"
    assert attempt["response_body"] == "x" * 1024
    assert attempt["latency_ms"] >= 0
    assert attempt["url"] == receiver.url()


async def test_resend_delivers_again_with_the_same_webhook_id(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    dispatcher = make_dispatcher()
    await dispatcher.run_until_idle()

    response = await client.post(f"/api/events/{event.id}/resend", headers=merchant.headers)
    assert response.status_code == 202, response.text
    assert response.json()["deliveries"][0]["status"] == "pending"
    await dispatcher.run_until_idle()

    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    [delivery] = (await get(client, merchant, f"/api/events/{event.id}/deliveries"))["deliveries"]
    assert (delivery["status"], delivery["attempt_count"]) == ("succeeded", 2)


async def test_resend_reaches_an_endpoint_created_after_the_event(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    event = await emit(runtime, merchant.merchant_id)
    endpoint = await create_endpoint(client, merchant, url=receiver.url("/late"))
    dispatcher = make_dispatcher()
    await dispatcher.run_until_idle()
    assert receiver.requests == []

    nothing = await client.post(f"/api/events/{event.id}/resend", headers=merchant.headers)
    assert nothing.status_code == 409
    response = await client.post(
        f"/api/events/{event.id}/resend",
        json={"endpoint_id": endpoint["id"]},
        headers=merchant.headers,
    )
    assert response.status_code == 202, response.text
    await dispatcher.run_until_idle()
    assert [r.path for r in receiver.requests] == ["/late"]


async def test_resend_needs_write_or_admin(
    client: httpx.AsyncClient, runtime: Runtime, merchant: MerchantKey
) -> None:
    event = await emit(runtime, merchant.merchant_id, "https://shop.example/hook")
    reader = await make_merchant(runtime, scopes=frozenset({Scope.READ}))
    response = await client.post(f"/api/events/{event.id}/resend", headers=reader.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "This API key lacks the 'write' or 'admin' scope"}
