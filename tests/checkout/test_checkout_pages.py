"""The hosted checkout over HTTP: choosing an asset, paying on the devnet, the live states, and
what a public page must never show."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import httpx

from kassa.invoices.tasks import sync_due
from kassa.runtime import Runtime
from tests.checkout.helpers import choose, live, text
from tests.conftest import Devnet, MerchantKey
from tests.invoices.helpers import create_invoice, get_invoice
from tests.payments.helpers import create as create_payment


async def test_invoice_checkout_from_choice_to_confirmed(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    page = await client.get(f"/pay/{invoice['id']}")
    assert page.status_code == 200
    assert 'name="asset" value="BTC"' in page.text
    assert "28.10 USD" in page.text
    assert (await live(client, invoice["id"]))["stage"] == "choose"

    redirect = await choose(client, invoice["id"], "btc")
    assert redirect.headers["location"] == f"/pay/{invoice['id']}"
    payment = (await get_invoice(client, merchant.headers, invoice["id"]))["payment"]
    state = await live(client, invoice["id"])
    assert state["stage"] == "awaiting"
    assert payment["address"] in state["html"]
    assert f"bitcoin:{payment['address']}?amount=" in state["html"]
    assert "<svg" in state["html"]
    assert 'id="countdown"' in state["html"]

    simulated = await client.post(
        f"/pay/{invoice['id']}/simulate",
        data={"mode": "full"},
        headers={"accept": "application/json"},
    )
    assert simulated.status_code == 200, simulated.text
    await devnet.sync("btc")
    assert (await live(client, invoice["id"]))["stage"] == "confirming"
    await devnet.mine_and_sync("btc", 6)
    final = await live(client, invoice["id"])
    assert final["stage"] == "confirmed"
    assert final["final"] is True
    assert "https://shop.example/thanks" in final["html"]
    await sync_due(runtime.db)
    assert (await get_invoice(client, merchant.headers, invoice["id"]))["status"] == "completed"


async def test_partial_payment_asks_for_the_rest(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="LTC")
    payment = invoice["payment"]
    await client.post(f"/pay/{invoice['id']}/simulate", data={"mode": "partial"})
    await devnet.sync("ltc")
    state = await live(client, invoice["id"])
    assert state["stage"] == "partial"
    words = text(state["html"])
    assert "Partial payment received" in words
    due = int(payment["amount_crypto"].replace(".", ""))
    rest = Decimal(due - due // 2).scaleb(-8).normalize()
    assert f"litecoin:{payment['address']}?amount={rest:f}" in state["html"]


async def test_a_public_page_shows_nothing_merchant_private(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="ETH")
    page = await client.get(f"/pay/{invoice['id']}")
    private = ("Jane Doe", "jane@example.com", "ORDER-77", "summer order", "weight", "webhooks")
    for secret in private:
        assert secret not in page.text, secret
    assert "T-shirt" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    state = await live(client, invoice["id"])
    assert re.search(r"ethereum:0x[0-9a-fA-F]{40}@31337\?value=\d+", state["html"])


async def test_a_plain_payment_has_its_own_checkout(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    payment = await create_payment(
        client, merchant.headers, asset="XRP", amount_crypto="12.5", label="secret label"
    )
    page = await client.get(f"/pay/{payment['id']}")
    assert page.status_code == 200
    assert "secret label" not in page.text
    html = (await live(client, payment["id"]))["html"]
    assert f"xrpl:{payment['address']}?dt={payment['destination_tag']}&amp;amount=12.5" in html
    assert "Destination tag" in html


async def test_an_invoice_payment_link_leads_to_the_invoice(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="SOL")
    response = await client.get(f"/pay/{invoice['payment']['id']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/pay/{invoice['id']}"


async def test_switching_asset_before_paying(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="BTC")
    page = await client.get(f"/pay/{invoice['id']}", params={"change": "1"})
    assert 'name="asset" value="USDC-SOL"' in page.text
    await choose(client, invoice["id"], "USDC-SOL")
    html = (await live(client, invoice["id"]))["html"]
    assert "spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v" in html


async def test_expired_payment_of_an_invoice_offers_the_choice_again(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet, runtime: Runtime
) -> None:
    import datetime as dt

    from sqlalchemy import update

    from kassa.models import Payment

    invoice = await create_invoice(client, merchant.headers, asset="BTC")
    async with runtime.db.session() as session:
        await session.execute(
            update(Payment)
            .where(Payment.id == _uuid(invoice["payment"]["id"]))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    state = await live(client, invoice["id"])
    assert state["stage"] == "choose"
    assert "The payment window closed" in text(state["html"])


async def test_expired_late_and_underpaid_plain_payments(
    client: httpx.AsyncClient, merchant: MerchantKey, devnet: Devnet
) -> None:
    import datetime as dt

    expired = await create_payment(client, merchant.headers, asset="BTC", amount_crypto="0.001")
    late = await create_payment(client, merchant.headers, asset="BTC", amount_crypto="0.001")
    short = await create_payment(client, merchant.headers, asset="BTC", amount_crypto="0.001")
    await devnet.pay("BTC", short["address"], "0.0004")
    await devnet.mine_and_sync("btc", 6)
    devnet.clock_offset = dt.timedelta(hours=2)
    await devnet.expire()
    await devnet.pay("BTC", late["address"], "0.001")
    await devnet.mine_and_sync("btc", 6)
    assert (await live(client, expired["id"]))["stage"] == "expired"
    assert (await live(client, late["id"]))["stage"] == "late"
    underpaid = await live(client, short["id"])
    assert underpaid["stage"] == "underpaid"
    assert "after 0.0004 of 0.001 BTC arrived" in text(underpaid["html"])


async def test_cancelled_invoice(client: httpx.AsyncClient, merchant: MerchantKey) -> None:
    invoice = await create_invoice(client, merchant.headers)
    await client.post(f"/api/invoices/{invoice['id']}/cancel", headers=merchant.headers)
    state = await live(client, invoice["id"], lang="de")
    assert state["stage"] == "cancelled"
    assert "Rechnung storniert" in state["html"]
    refused = await client.post(f"/pay/{invoice['id']}/asset", data={"asset": "BTC"})
    assert refused.status_code == 409
    assert "This invoice is cancelled" in refused.text


async def test_the_event_stream_sends_the_state_and_ends_when_final(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    await client.post(f"/api/invoices/{invoice['id']}/cancel", headers=merchant.headers)
    response = await client.get(f"/pay/{invoice['id']}/events")
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: status\ndata: {" in response.text
    assert '"stage":"cancelled"' in response.text


async def test_unknown_ids_are_a_friendly_404(client: httpx.AsyncClient) -> None:
    for path in ("/pay/not-an-id", "/pay/00000000-0000-4000-8000-000000000000"):
        response = await client.get(path, headers={"accept-language": "de"})
        assert response.status_code == 404
        assert "Zahlung nicht gefunden" in response.text
    status = await client.get("/pay/00000000-0000-4000-8000-000000000000/status")
    assert status.status_code == 404
    assert status.json() == {"error": "Payment not found"}


async def test_simulate_refuses_when_there_is_nothing_to_pay(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    response = await client.post(f"/pay/{invoice['id']}/simulate", data={"mode": "full"})
    assert response.status_code == 409
    assert response.json() == {"error": "There is nothing to pay on this checkout right now"}


async def test_static_files_are_served_by_kassa(client: httpx.AsyncClient) -> None:
    for path in (
        "/static/checkout/checkout.js",
        "/static/checkout/checkout.css",
        "/static/dashboard/dashboard.css",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path


def _uuid(value: str) -> object:
    import uuid

    return uuid.UUID(value)


async def test_an_unknown_asset_is_explained_on_the_page(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    response = await client.post(f"/pay/{invoice['id']}/asset", data={"asset": "DOGE"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert 'Unsupported asset: "DOGE"' in html.unescape(response.text)
    assert 'name="asset" value="BTC"' in response.text


async def test_an_expired_invoice_cannot_be_paid_any_more(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime
) -> None:
    import datetime as dt

    from sqlalchemy import update

    from kassa.models.invoice import Invoice

    invoice = await create_invoice(client, merchant.headers)
    async with runtime.db.session() as session:
        await session.execute(
            update(Invoice)
            .where(Invoice.id == _uuid(invoice["id"]))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    state = await live(client, invoice["id"])
    assert state["stage"] == "timed_out"
    assert "https://shop.example/cart" in state["html"]
    refused = await client.post(f"/pay/{invoice['id']}/asset", data={"asset": "BTC"})
    assert refused.status_code == 409
    assert "This invoice is timed out" in refused.text
