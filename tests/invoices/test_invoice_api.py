"""``/api/invoices``: create, read, list, search, cancel — amounts exact, errors precise."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.invoices.helpers import (
    HOOK,
    create_invoice,
    get_invoice,
    invoice_events,
    invoice_request,
    post,
)


async def test_create_adds_up_exactly_and_records_the_created_event(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    invoice = await create_invoice(client, merchant.headers)

    assert invoice["status"] == "unpaid"
    assert invoice["amount"] == {
        "subtotal": "22.50",
        "tax": "1.60",
        "shipping": "5.00",
        "discount": "1.00",
        "total": "28.10",
    }
    assert invoice["items"][0] == {
        "name": "T-shirt",
        "sku": "TS-1",
        "description": None,
        "quantity": "2",
        "unit_price": "10.00",
        "tax": "1.60",
        "amount": "20.00",
    }
    assert invoice["checkout_url"].endswith(f"/pay/{invoice['id']}")
    assert invoice["payment"] is None
    assert invoice["custom_data"] == {"cart": [1, 2], "weight": Decimal("1.25")}
    assert invoice["buyer"] == {"name": "Jane Doe", "email": "jane@example.com"}
    events = await invoice_events(runtime, invoice["id"])
    assert [e["event"] for e in events] == ["invoice.created"]
    assert events[0]["total"] == Decimal("28.10")
    assert events[0]["external_ref"] == "ORDER-77"


async def test_yen_has_no_minor_unit(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    invoice = await create_invoice(
        client,
        merchant.headers,
        currency="jpy",
        items=[{"name": "Tea", "quantity": 3, "unit_price": 1200}],
        shipping=None,
        discount=None,
    )
    assert invoice["currency"] == "JPY"
    assert invoice["amount"]["total"] == "3600"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"items": [{"name": "A", "unit_price": "1.001"}]},
            "Invalid items[0].unit_price: USD has at most 2 decimal places",
        ),
        (
            {"items": [{"name": "A", "quantity": "1.5", "unit_price": "0.01"}]},
            "Invalid items[0]: quantity × unit_price has more than 2 decimal places for USD",
        ),
        (
            {"currency": "XYZ"},
            "Unsupported currency: XYZ. Supported: USD, EUR, GBP, CAD, AUD, JPY, CHF",
        ),
        ({"discount": "100"}, "Invalid discount: the invoice total must be greater than 0"),
        ({"items": []}, "Invalid items: List should have at least 1 item after validation, not 0"),
        (
            {"items": [{"name": "A", "unit_price": -1}]},
            "Invalid items[0].unit_price: must be 0 or greater",
        ),
        (
            {"items": [{"name": "A", "unit_price": 1, "quantity": 0}]},
            "Invalid items[0].quantity: must be greater than 0",
        ),
        (
            {"items": [{"name": "A", "unit_price": 0, "quantity": "1E-999999"}]},
            "Invalid items[0].quantity: must have at most 6 decimal places",
        ),
        (
            {"items": [{"name": "A", "unit_price": 1, "quantity": 1000000001}]},
            "Invalid items[0].quantity: must be at most 1000000000",
        ),
        ({"webhook_url": "ftp://x"}, "Invalid webhook_url: must be an absolute http(s) URL"),
        ({"colour": "red"}, "Unknown field: colour"),
        ({"due_date": "2030-01-01T00:00:00"}, "Invalid due_date: Input should have timezone info"),
        (
            {"due_date": "2001-01-01T00:00:00Z"},
            "Invalid due_date: must be more than a minute in the future",
        ),
        ({"buyer": {"email": "nope"}}, "Invalid buyer.email: must be an email address"),
        (
            {"custom_data": {"x": "y" * 5000}},
            "Invalid custom_data: must be at most 4096 bytes of JSON",
        ),
        (
            {"asset": "DOGE"},
            'Unsupported asset: "DOGE". Supported assets: BTC, ETH, LTC, BNB, TRX, XRP, SOL, '
            "MATIC, USDT-ERC20, USDT-TRC20, USDT-BEP20, USDC-ERC20, USDC-SOL, USDC-MATIC, USDC-ARB",
        ),
    ],
)
async def test_bad_input_is_a_precise_400_and_creates_nothing(
    client: httpx.AsyncClient, merchant: MerchantKey, overrides: dict[str, object], message: str
) -> None:
    response = await post(client, "/api/invoices", merchant.headers, invoice_request(**overrides))
    assert response.status_code == 400
    assert response.json() == {"error": message}
    listed = await client.get("/api/invoices", headers=merchant.headers)
    assert listed.json()["total"] == 0


async def test_preselected_asset_creates_the_payment_at_once(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="btc")
    payment = invoice["payment"]
    assert payment["asset"] == "BTC"
    assert payment["amount_fiat"] == "28.10"
    assert payment["external_ref"] == "ORDER-77"
    assert invoice["payment_ids"] == [payment["id"]]
    fetched = await client.get(f"/api/payments/{payment['id']}", headers=merchant.headers)
    assert fetched.json()["status"] == "pending"


async def test_list_filters_and_searches_label_and_reference(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    await create_invoice(client, merchant.headers, label="Alice — yearly plan", external_ref="A-1")
    await create_invoice(client, merchant.headers, label="Bob 100%_off", external_ref="B-2")

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/invoices", headers=merchant.headers, params=params)
        assert response.status_code == 200, response.text
        return [i["label"] for i in response.json()["invoices"]]

    assert await ids() == ["Bob 100%_off", "Alice — yearly plan"]
    assert await ids(q="yearly") == ["Alice — yearly plan"]
    assert await ids(q="b-2") == ["Bob 100%_off"]
    assert await ids(q="%") == ["Bob 100%_off"]
    assert await ids(external_ref="A-1") == ["Alice — yearly plan"]
    assert await ids(status="cancelled") == []
    bad = await client.get("/api/invoices", headers=merchant.headers, params={"status": "x"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("Invalid status: x. Valid: unpaid, pending, paid")


async def test_another_merchants_invoice_is_not_found(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    other = await make_merchant(runtime, "Other Store")
    for path in (f"/api/invoices/{invoice['id']}", "/api/invoices/not-a-uuid"):
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "Invoice not found"}
    cancel = await client.post(f"/api/invoices/{invoice['id']}/cancel", headers=other.headers)
    assert cancel.status_code == 404
    assert (await get_invoice(client, merchant.headers, invoice["id"]))["status"] == "unpaid"


async def test_requires_an_api_key(client: httpx.AsyncClient) -> None:
    response = await post(client, "/api/invoices", {}, invoice_request())
    assert response.status_code == 401


async def test_cancel_closes_the_open_payment_window(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="ETH")
    response = await client.post(f"/api/invoices/{invoice['id']}/cancel", headers=merchant.headers)
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["payment"]["status"] == "expired"
    again = await client.post(f"/api/invoices/{invoice['id']}/cancel", headers=merchant.headers)
    assert again.status_code == 200
    events = [e["event"] for e in await invoice_events(runtime, invoice["id"])]
    assert events == ["invoice.created", "invoice.cancelled"]
    assert cancelled["webhook_url"] == HOOK
