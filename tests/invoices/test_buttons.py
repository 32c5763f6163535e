"""Buy-now buttons: an HTML snippet whose click creates an invoice with the stored price."""

from __future__ import annotations

import html
import re

import httpx

from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.invoices.helpers import HOOK, get_invoice, post


def button_request(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Buy the <Premium> plan",
        "invoice": {
            "currency": "EUR",
            "items": [{"name": "Premium plan", "unit_price": "49.00"}],
            "webhook_url": HOOK,
            "success_url": "https://shop.example/thanks",
            "label": "Premium via button",
        },
        "max_per_hour": 2,
    }
    body.update(overrides)
    return body


async def create_button(
    client: httpx.AsyncClient, merchant: MerchantKey, **overrides: object
) -> dict[str, object]:
    response = await post(
        client, "/api/buy-now-buttons", merchant.headers, button_request(**overrides)
    )
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


async def test_snippet_is_a_plain_form_posting_to_kassa(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    button = await create_button(client, merchant)
    assert button["total"] == "49.00"
    assert button["currency"] == "EUR"
    snippet = str(button["snippet"])
    action = f"{button['action_url']}"
    assert action.endswith(f"/pay/button/{button['id']}")
    assert f'action="{action}" method="post"' in snippet
    assert "Buy the &lt;Premium&gt; plan" in snippet
    assert "<script" not in snippet
    listed = await client.get("/api/buy-now-buttons", headers=merchant.headers)
    assert [b["id"] for b in listed.json()["buttons"]] == [button["id"]]


async def test_a_click_creates_an_invoice_and_goes_to_checkout(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    button = await create_button(client, merchant)
    response = await client.post(f"/pay/button/{button['id']}")
    assert response.status_code == 303
    invoice_id = re.fullmatch(r"/pay/([0-9a-f-]{36})", response.headers["location"])
    assert invoice_id is not None
    invoice = await get_invoice(client, merchant.headers, invoice_id.group(1))
    assert invoice["amount"]["total"] == "49.00"
    assert invoice["label"] == "Premium via button"
    assert invoice["status"] == "unpaid"
    page = await client.get(response.headers["location"])
    assert "Premium plan" in page.text


async def test_the_hourly_cap_limits_abuse(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    button = await create_button(client, merchant)
    for _ in range(2):
        assert (await client.post(f"/pay/button/{button['id']}")).status_code == 303
    busy = await client.post(f"/pay/button/{button['id']}")
    assert busy.status_code == 429
    assert "This button is busy" in html.unescape(busy.text)
    listed = await client.get("/api/invoices", headers=merchant.headers)
    assert listed.json()["total"] == 2


async def test_a_disabled_or_unknown_button_is_not_found(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    button = await create_button(client, merchant)
    other = await make_merchant(runtime, "Other")
    assert (
        await client.post(f"/api/buy-now-buttons/{button['id']}/disable", headers=other.headers)
    ).status_code == 404
    disabled = await client.post(
        f"/api/buy-now-buttons/{button['id']}/disable", headers=merchant.headers
    )
    assert disabled.json()["disabled"] is True
    for path in (f"/pay/button/{button['id']}", "/pay/button/nope"):
        assert (await client.post(path)).status_code == 404


async def test_an_inexact_template_is_refused_when_the_button_is_created(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    body = button_request()
    body["invoice"] = {**body["invoice"], "items": [{"name": "A", "unit_price": "0.001"}]}  # type: ignore[dict-item]
    response = await post(client, "/api/buy-now-buttons", merchant.headers, body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid items[0].unit_price: EUR has at most 2 decimal places"
    }
