"""Delivery to a real local receiver: signed, retried on the schedule, observable."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from standardwebhooks import Webhook

from kassa.kit import jsonutil
from kassa.models.webhook import WebhookAttempt, WebhookDelivery
from kassa.runtime import Runtime
from kassa.webhooks import schedule
from kassa.webhooks.vault import SecretBox
from tests.conftest import MerchantKey
from tests.webhooks.conftest import Clock, DispatcherFactory, Receiver, Reply, emit, signing_secret


async def deliveries(runtime: Runtime, event_id: uuid.UUID) -> list[WebhookDelivery]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.event_id == event_id)
            .order_by(WebhookDelivery.id)
        )
        return list(rows)


async def attempts(runtime: Runtime, delivery_id: int) -> list[WebhookAttempt]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
        return list(rows)


async def test_signed_delivery_verifies_with_standardwebhooks(
    runtime: Runtime,
    merchant: MerchantKey,
    box: SecretBox,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    secret = await signing_secret(runtime, box, merchant.merchant_id)
    event = await emit(runtime, merchant.merchant_id, receiver.url(), amount_received="0.5")

    await make_dispatcher().run_until_idle()

    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["event"] == "payment.confirmed"
    assert request.body.decode() == event.payload
    assert request.headers["webhook-id"] == f"msg_{event.id.hex}"
    assert request.headers["content-type"] == "application/json"
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "succeeded"
    assert delivery.attempt_count == 1


async def test_2xx_is_never_retried(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    receiver.script("/hook", Reply(status=204, body=b""))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    dispatcher = make_dispatcher()
    await dispatcher.run_until_idle()
    clock.advance(timedelta(days=4))
    await dispatcher.run_until_idle()

    assert len(receiver.requests) == 1
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "succeeded"
    [attempt] = await attempts(runtime, delivery.id)
    assert attempt.succeeded
    assert attempt.status_code == 204


async def test_500_is_retried_on_the_schedule_with_the_same_webhook_id(
    runtime: Runtime,
    merchant: MerchantKey,
    box: SecretBox,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    secret = await signing_secret(runtime, box, merchant.merchant_id)
    receiver.script("/hook", Reply(500, b"boom"), Reply(503, b"busy"), Reply(200))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    dispatcher = make_dispatcher()

    await dispatcher.run_until_idle()
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"
    first_wait = delivery.next_attempt_at - clock.now
    assert timedelta(seconds=8) <= first_wait <= timedelta(seconds=12)

    clock.advance(timedelta(seconds=5))
    await dispatcher.run_until_idle(horizon=0)
    assert len(receiver.requests) == 1  # not due yet

    clock.advance(timedelta(seconds=8))
    await dispatcher.run_until_idle()
    [delivery] = await deliveries(runtime, event.id)
    second_wait = delivery.next_attempt_at - clock.now
    assert timedelta(seconds=48) <= second_wait <= timedelta(seconds=72)

    clock.advance(timedelta(minutes=2))
    await dispatcher.run_until_idle()

    assert len(receiver.requests) == 3
    assert {r.headers["webhook-id"] for r in receiver.requests} == {f"msg_{event.id.hex}"}
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "succeeded"
    log = await attempts(runtime, delivery.id)
    assert [a.status_code for a in log] == [500, 503, 200]
    assert [a.response_body for a in log] == ["boom", "busy", "ok"]
    assert log[0].error == "HTTP 500"


async def test_timeout_is_retried(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    hook_settings: object,
) -> None:
    receiver.script("/hook", Reply(delay=5))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    await make_dispatcher().run_until_idle()

    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"
    assert delivery.failures == 1
    [attempt] = await attempts(runtime, delivery.id)
    assert attempt.error == "timed out after 2 s"
    assert attempt.status_code is None


async def test_connection_refused_is_retried(
    runtime: Runtime, merchant: MerchantKey, make_dispatcher: DispatcherFactory
) -> None:
    event = await emit(runtime, merchant.merchant_id, "http://127.0.0.1:9/nobody-listens")
    await make_dispatcher().run_until_idle()

    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"
    assert delivery.last_error == "connection refused"
    [attempt] = await attempts(runtime, delivery.id)
    assert attempt.error == "connection refused"


async def test_retry_after_is_honoured(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    receiver.script("/hook", Reply(429, headers={"retry-after": "3600"}))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    await make_dispatcher().run_until_idle()

    [delivery] = await deliveries(runtime, event.id)
    assert timedelta(minutes=59) < delivery.next_attempt_at - clock.now <= timedelta(hours=1)


async def test_redirects_are_not_followed(
    runtime: Runtime, merchant: MerchantKey, receiver: Receiver, make_dispatcher: DispatcherFactory
) -> None:
    receiver.script("/hook", Reply(302, headers={"location": receiver.url("/elsewhere")}))
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    await make_dispatcher().run_until_idle()

    assert [r.path for r in receiver.requests] == ["/hook"]
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"
    assert delivery.last_error == f"redirect to {receiver.url('/elsewhere')} not followed"


async def test_gives_up_after_the_last_attempt_of_the_schedule(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    clock: Clock,
) -> None:
    receiver.default = Reply(500)
    event = await emit(runtime, merchant.merchant_id, receiver.url())
    dispatcher = make_dispatcher()
    waits: list[timedelta] = []
    for _ in range(schedule.MAX_ATTEMPTS + 1):
        await dispatcher.run_until_idle()
        [delivery] = await deliveries(runtime, event.id)
        if delivery.status != "pending":
            break
        waits.append(delivery.next_attempt_at - clock.now)
        clock.advance(waits[-1] + timedelta(seconds=1))

    assert len(receiver.requests) == schedule.MAX_ATTEMPTS
    assert delivery.status == "failed"
    assert delivery.last_error == f"HTTP 500; gave up after {schedule.MAX_ATTEMPTS} attempts"
    for wait, nominal in zip(waits, schedule.RETRY_DELAYS, strict=True):
        assert nominal * 0.79 < wait < nominal * 1.21
    log = await attempts(runtime, delivery.id)
    span = log[-1].attempted_at - log[0].attempted_at
    assert timedelta(days=2, hours=12) < span < timedelta(days=4)


async def test_payload_bytes_are_exactly_the_outbox_payload(
    runtime: Runtime, merchant: MerchantKey, receiver: Receiver, make_dispatcher: DispatcherFactory
) -> None:
    await emit(
        runtime, merchant.merchant_id, receiver.url(), amount_received=jsonutil.loads("0.00118694")
    )
    await make_dispatcher().run_until_idle()
    assert b'"amount_received":0.00118694' in receiver.requests[0].body
