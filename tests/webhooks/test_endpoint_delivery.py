"""Merchant endpoints: subscriptions, 410 and days of failure disable them, slow ones wait alone."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from standardwebhooks import Webhook

from kassa.config import Settings
from kassa.kit import jsonutil
from kassa.models import Event
from kassa.runtime import Runtime
from kassa.webhooks import schedule
from tests.conftest import MerchantKey
from tests.webhooks.conftest import (
    Clock,
    DispatcherFactory,
    Receiver,
    ReceiverFactory,
    Reply,
    emit,
)
from tests.webhooks.test_delivery import deliveries
from tests.webhooks.test_endpoints_api import create_endpoint


async def events_of_type(runtime: Runtime, merchant: MerchantKey, kind: str) -> list[Event]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(Event).where(
                Event.merchant_id == uuid.UUID(merchant.merchant_id), Event.type == kind
            )
        )
        return list(rows)


async def test_endpoints_receive_the_types_they_subscribed_to(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    payments = await create_endpoint(
        client, merchant, url=receiver.url("/payments"), event_types=["payment.*"]
    )
    await create_endpoint(
        client, merchant, url=receiver.url("/withdrawals"), event_types=["withdrawal.completed"]
    )
    confirmed = await emit(runtime, merchant.merchant_id, receiver.url("/own"))
    await emit(runtime, merchant.merchant_id, event="withdrawal.pending")
    await emit(runtime, merchant.merchant_id, event="withdrawal.completed")
    await make_dispatcher().run_until_idle()

    assert sorted(r.path for r in receiver.requests) == ["/own", "/payments", "/withdrawals"]
    [to_endpoint] = receiver.at("/payments")
    Webhook(payments["secret"]).verify(to_endpoint.body, to_endpoint.headers)
    assert (
        to_endpoint.headers["webhook-id"]
        == f"msg_{confirmed.id.hex}_{uuid.UUID(payments['id']).hex}"
    )
    assert receiver.at("/own")[0].headers["webhook-id"] == f"msg_{confirmed.id.hex}"


async def test_410_disables_the_endpoint_and_records_an_event(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    gone = await create_endpoint(
        client, merchant, url=receiver.url("/gone"), event_types=["payment.*"]
    )
    watcher = await create_endpoint(
        client, merchant, url=receiver.url("/ops"), event_types=["webhook_endpoint.*"]
    )
    receiver.script("/gone", Reply(410))
    first = await emit(runtime, merchant.merchant_id)
    await make_dispatcher().run_until_idle()

    endpoint = (await client.get(f"/api/webhooks/{gone['id']}", headers=merchant.headers)).json()
    assert endpoint["status"] == "disabled"
    assert endpoint["disabled_reason"] == "the target answered 410 Gone"
    [delivery] = await deliveries(runtime, first.id)
    assert delivery.status == "failed"
    [notice] = receiver.at("/ops")
    payload = Webhook(watcher["secret"]).verify(notice.body, notice.headers)
    assert payload["event"] == "webhook_endpoint.disabled"
    assert payload["endpoint_id"] == gone["id"]
    assert payload["reason"] == "the target answered 410 Gone"

    await emit(runtime, merchant.merchant_id)
    await make_dispatcher().run_until_idle()
    assert len(receiver.at("/gone")) == 1


async def test_an_endpoint_failing_for_three_days_is_disabled(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url("/down"))
    receiver.default = Reply(503)
    dispatcher = make_dispatcher()
    await emit(runtime, merchant.merchant_id)
    await dispatcher.run_until_idle()
    failing = (await client.get(f"/api/webhooks/{created['id']}", headers=merchant.headers)).json()
    assert failing["failing_since"] is not None
    assert failing["status"] == "enabled"

    for _ in range(6):  # a fresh event every 13 hours, every attempt failing
        clock.advance(timedelta(hours=13))
        await emit(runtime, merchant.merchant_id)
        await dispatcher.run_until_idle()

    endpoint = (await client.get(f"/api/webhooks/{created['id']}", headers=merchant.headers)).json()
    assert endpoint["status"] == "disabled"
    assert endpoint["disabled_reason"] == "every attempt failed for 3 days"
    [disabled] = await events_of_type(runtime, merchant, "webhook_endpoint.disabled")
    assert jsonutil.loads(disabled.payload)["failing_since"] == failing["failing_since"]


async def test_a_success_resets_the_failing_clock(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url("/flaky"))
    receiver.script("/flaky", Reply(500))
    dispatcher = make_dispatcher()
    await emit(runtime, merchant.merchant_id)
    await dispatcher.run_until_idle()
    clock.advance(schedule.DISABLE_AFTER)
    await dispatcher.run_until_idle()

    endpoint = (await client.get(f"/api/webhooks/{created['id']}", headers=merchant.headers)).json()
    assert (endpoint["status"], endpoint["failing_since"]) == ("enabled", None)


async def test_a_slow_receiver_does_not_hold_back_the_others(
    runtime: Runtime,
    merchant: MerchantKey,
    make_receiver: ReceiverFactory,
    make_dispatcher: DispatcherFactory,
    hook_settings: Settings,
) -> None:
    slow, fast = await make_receiver(), await make_receiver()
    hold = asyncio.Event()
    slow.default = Reply(hold=hold)
    dispatcher = make_dispatcher(
        hook_settings.model_copy(
            update={
                "webhook_concurrency": 4,
                "webhook_per_target_concurrency": 2,
                "webhook_timeout_seconds": 30.0,
                "webhook_lease_seconds": 60.0,
            }
        )
    )
    held = [await emit(runtime, merchant.merchant_id, slow.url()) for _ in range(10)]
    quick = [await emit(runtime, merchant.merchant_id, fast.url()) for _ in range(5)]

    async def pump() -> None:
        while True:
            await dispatcher.step()

    pumping = asyncio.create_task(pump())
    try:
        await fast.wait_for(5)
        assert len(slow.requests) == 2  # its own limit, while the fast ones went through
        hold.set()
        await slow.wait_for(10)
    finally:
        hold.set()
        pumping.cancel()
    await dispatcher.run_until_idle()
    for event in held + quick:
        [delivery] = await deliveries(runtime, event.id)
        assert (delivery.status, delivery.attempt_count) == ("succeeded", 1)
