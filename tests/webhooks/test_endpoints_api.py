"""``/api/webhooks``: endpoints with secrets shown once, scopes, isolation, tests, rotation."""

from __future__ import annotations

from typing import Any

import httpx
from standardwebhooks import Webhook

from kassa.merchants.scopes import Scope
from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.webhooks.conftest import Receiver, Reply


async def create_endpoint(
    client: httpx.AsyncClient, merchant: MerchantKey, **body: Any
) -> dict[str, Any]:
    response = await client.post("/api/webhooks", json=body, headers=merchant.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_returns_the_secret_once(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(
        client, merchant, url=receiver.url(), event_types=["payment.*"], description="orders"
    )
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["payment.*"]
    assert created["status"] == "enabled"

    listed = await client.get("/api/webhooks", headers=merchant.headers)
    fetched = await client.get(f"/api/webhooks/{created['id']}", headers=merchant.headers)
    assert [e["id"] for e in listed.json()["endpoints"]] == [created["id"]]
    assert "secret" not in listed.json()["endpoints"][0]
    assert fetched.json() == {k: v for k, v in created.items() if k != "secret"}


async def test_default_subscription_is_everything(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    assert created["event_types"] == ["*"]


async def test_invalid_bodies_are_clear_400s(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    cases = [
        ({}, "Missing required field: url"),
        ({"url": "ftp://x.example/"}, "Invalid url: must be an absolute http(s) URL"),
        ({"url": receiver.url(), "extra": 1}, "Unknown field: extra"),
        (
            {"url": receiver.url(), "event_types": ["payment.confimed"]},
            "Invalid event_types: unknown event type 'payment.confimed' (known: "
            "payment.detected, payment.received, payment.confirmed, payment.expired, "
            "payment.underpaid, payment.reverted, payment.other_asset_received)",
        ),
        (
            {"url": receiver.url(), "event_types": ["payments.*"]},
            "Invalid event_types: unknown event family 'payments' (known: payment, withdrawal, "
            "webhook_endpoint, batch, invoice)",
        ),
        (
            {"url": receiver.url(), "event_types": []},
            "Invalid event_types: subscribe to at least one event type ('*' for all)",
        ),
    ]
    for body, message in cases:
        response = await client.post("/api/webhooks", json=body, headers=merchant.headers)
        assert response.status_code == 400, body
        assert response.json() == {"error": message}
    listed = await client.get("/api/webhooks", headers=merchant.headers)
    assert listed.json() == {"endpoints": []}


async def test_endpoint_management_needs_the_admin_scope(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    reader = await make_merchant(runtime, scopes=frozenset({Scope.READ, Scope.WRITE}))
    response = await client.post(
        "/api/webhooks", json={"url": receiver.url()}, headers=reader.headers
    )
    assert response.status_code == 403
    assert response.json() == {"error": "This API key lacks the 'admin' scope"}


async def test_another_merchants_endpoint_is_a_404(
    client: httpx.AsyncClient, runtime: Runtime, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    other = await make_merchant(runtime, name="Other")
    for method, path in [
        ("GET", f"/api/webhooks/{created['id']}"),
        ("PATCH", f"/api/webhooks/{created['id']}"),
        ("DELETE", f"/api/webhooks/{created['id']}"),
        ("POST", f"/api/webhooks/{created['id']}/test"),
        ("POST", f"/api/webhooks/{created['id']}/rotate-secret"),
        ("GET", "/api/webhooks/not-a-uuid"),
    ]:
        body = {"description": "x"} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "Webhook endpoint not found"}


async def test_patch_and_delete(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    path = f"/api/webhooks/{created['id']}"
    patched = await client.patch(
        path,
        json={"url": receiver.url("/v2"), "event_types": ["withdrawal.*"], "status": "disabled"},
        headers=merchant.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["url"], body["event_types"], body["status"]) == (
        receiver.url("/v2"),
        ["withdrawal.*"],
        "disabled",
    )
    assert body["disabled_reason"] == "disabled by the merchant"
    enabled = await client.patch(path, json={"status": "enabled"}, headers=merchant.headers)
    assert enabled.json()["status"] == "enabled"
    assert enabled.json()["disabled_reason"] is None
    null_url = await client.patch(path, json={"url": None}, headers=merchant.headers)
    assert null_url.status_code == 400
    assert null_url.json() == {"error": "Invalid url: must not be null"}

    deleted = await client.delete(path, headers=merchant.headers)
    assert deleted.status_code == 204
    assert (await client.get(path, headers=merchant.headers)).status_code == 404


async def test_test_send_is_signed_with_the_endpoint_secret_and_logged(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    response = await client.post(f"/api/webhooks/{created['id']}/test", headers=merchant.headers)
    assert response.status_code == 200, response.text
    result = response.json()

    [request] = receiver.requests
    payload = Webhook(created["secret"]).verify(request.body, request.headers)
    assert payload["event"] == "webhook_endpoint.test"
    assert payload["endpoint_id"] == created["id"]
    delivery = result["delivery"]
    assert delivery["status"] == "succeeded"
    assert delivery["id"] == request.headers["webhook-id"]
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["response_body"] == "ok"
    logged = await client.get(
        f"/api/events/{result['event_id']}/deliveries", headers=merchant.headers
    )
    assert logged.json()["deliveries"] == [delivery]


async def test_failed_test_send_reports_the_error_and_is_not_retried(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    receiver.script("/hook", Reply(500, b"nope"))
    response = await client.post(f"/api/webhooks/{created['id']}/test", headers=merchant.headers)
    delivery = response.json()["delivery"]
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "HTTP 500"
    assert delivery["attempts"][0]["response_body"] == "nope"
    assert delivery["next_attempt_at"] is None


async def test_rotation_signs_with_old_and_new_secret_during_the_grace_period(
    client: httpx.AsyncClient, merchant: MerchantKey, receiver: Receiver
) -> None:
    created = await create_endpoint(client, merchant, url=receiver.url())
    path = f"/api/webhooks/{created['id']}"
    rotated = await client.post(f"{path}/rotate-secret", json={}, headers=merchant.headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    await client.post(f"{path}/test", headers=merchant.headers)
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new_secret).verify(request.body, request.headers)
    Webhook(created["secret"]).verify(request.body, request.headers)

    await client.post(f"{path}/rotate-secret", json={"grace_seconds": 0}, headers=merchant.headers)
    await client.post(f"{path}/test", headers=merchant.headers)
    assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 1


async def test_merchant_signing_secret_rotates_through_the_api(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    missing = await client.get("/api/webhooks/signing-secret", headers=merchant.headers)
    assert missing.status_code == 404
    first = await client.post("/api/webhooks/signing-secret/rotate", headers=merchant.headers)
    assert first.status_code == 200, first.text
    assert first.json()["secret"].startswith("whsec_")
    second = await client.post(
        "/api/webhooks/signing-secret/rotate",
        json={"grace_seconds": 3600},
        headers=merchant.headers,
    )
    assert second.json()["secret"] != first.json()["secret"]
    shown = await client.get("/api/webhooks/signing-secret", headers=merchant.headers)
    assert "secret" not in shown.json()
    assert shown.json()["previous_secret_expires_at"] == second.json()["previous_secret_expires_at"]
    bad = await client.post(
        "/api/webhooks/signing-secret/rotate",
        json={"grace_seconds": 10**9},
        headers=merchant.headers,
    )
    assert bad.status_code == 400
