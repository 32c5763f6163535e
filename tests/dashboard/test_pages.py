"""Dashboard pages: balances, search, a payment's receipts and events, resend, invoices,
API keys, webhook endpoints — each scoped to the logged-in merchant."""

from __future__ import annotations

import re

import httpx

from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey, make_merchant
from tests.dashboard.conftest import Owner, form_post, login, make_owner
from tests.invoices.helpers import create_invoice
from tests.payments.helpers import create as create_payment


async def test_search_payments_by_label_and_reference(
    dash: httpx.AsyncClient, owner: Owner
) -> None:
    headers = owner.merchant.headers
    await create_payment(dash, headers, asset="BTC", amount_crypto="0.01", label="Alice — Pro plan")
    await create_payment(dash, headers, asset="ETH", amount_crypto="1", external_ref="ORDER-9")
    by_label = await dash.get("/dashboard/payments", params={"q": "pro plan"})
    assert "Alice — Pro plan" in by_label.text
    assert "ORDER-9" not in by_label.text
    by_ref = await dash.get("/dashboard/payments", params={"q": "order-9"})
    assert "ORDER-9" in by_ref.text
    assert "Alice" not in by_ref.text
    by_asset = await dash.get("/dashboard/payments", params={"asset": "ETH", "status": "pending"})
    assert "ORDER-9" in by_asset.text
    assert "Alice" not in by_asset.text


async def test_payment_detail_shows_receipts_confirmations_and_deliveries(
    dash: httpx.AsyncClient, owner: Owner, devnet: Devnet
) -> None:
    payment = await create_payment(
        dash, owner.merchant.headers, asset="BTC", amount_crypto="0.002", label="Bob"
    )
    tx = await devnet.pay("BTC", payment["address"], "0.002")
    await devnet.mine_and_sync("btc", 2)
    page = await dash.get(f"/dashboard/payments/{payment['id']}")
    assert page.status_code == 200
    assert tx in page.text
    assert "2 / 6" in page.text
    assert "payment.detected" in page.text
    assert "https://shop.example/webhooks/kassa" in page.text

    event_form = re.search(r'action="(/dashboard/events/[^"]+/resend[^"]*)"', page.text)
    assert event_form is not None
    action = event_form.group(1).replace("&amp;", "&")
    resent = await form_post(dash, f"/dashboard/payments/{payment['id']}", action)
    assert resent.status_code == 303
    assert resent.headers["location"] == f"/dashboard/payments/{payment['id']}"
    after = await dash.get(resent.headers["location"])
    assert "payment.detected: 1 delivery queued again" in after.text


async def test_overview_shows_balances(
    dash: httpx.AsyncClient, owner: Owner, devnet: Devnet
) -> None:
    payment = await create_payment(dash, owner.merchant.headers, asset="XRP", amount_crypto="10")
    await devnet.pay("XRP", payment["address"], "10", payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 1)
    page = await dash.get("/dashboard")
    assert "9.950000" in page.text  # 10 XRP less the 0.5 % fee


async def test_another_merchants_objects_are_not_found(
    client: httpx.AsyncClient, owner: Owner, runtime: Runtime
) -> None:
    payment = await create_payment(client, owner.merchant.headers, asset="BTC", amount_crypto="1")
    invoice = await create_invoice(client, owner.merchant.headers)
    other = await make_owner(runtime, await make_merchant(runtime, "Other"), "other@shop.example")
    await login(client, other.email, other.password)
    assert (await client.get(f"/dashboard/payments/{payment['id']}")).status_code == 404
    assert (await client.get(f"/dashboard/invoices/{invoice['id']}")).status_code == 404
    listing = await client.get("/dashboard/payments")
    assert payment["id"] not in listing.text
    cancel = await form_post(client, "/dashboard", f"/dashboard/invoices/{invoice['id']}/cancel")
    assert "Invoice not found" in (await client.get(cancel.headers["location"])).text
    assert (
        await client.get(f"/api/invoices/{invoice['id']}", headers=owner.merchant.headers)
    ).json()["status"] == "unpaid"


async def test_invoices_search_and_cancel(dash: httpx.AsyncClient, owner: Owner) -> None:
    invoice = await create_invoice(dash, owner.merchant.headers, label="Carol yearly")
    listing = await dash.get("/dashboard/invoices", params={"q": "carol"})
    assert "Carol yearly" in listing.text
    page_url = f"/dashboard/invoices/{invoice['id']}"
    response = await form_post(dash, page_url, f"{page_url}/cancel")
    assert response.status_code == 303
    page = await dash.get(page_url)
    assert "Invoice cancelled" in page.text
    assert "invoice.cancelled" in page.text
    assert "jane@example.com" in page.text  # the merchant sees the buyer


async def test_api_key_is_shown_once_works_and_can_be_revoked(
    dash: httpx.AsyncClient, owner: Owner
) -> None:
    created = await form_post(dash, "/dashboard/api-keys", "/dashboard/api-keys", {"scope": "read"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    key = re.search(r'data-testid="new-key">(ks_[^<]+)<', created.text)
    assert key is not None
    headers = {"Authorization": f"Bearer {key.group(1)}"}
    assert (await dash.get("/api/payments", headers=headers)).status_code == 200
    listing = await dash.get("/dashboard/api-keys")
    assert key.group(1) not in listing.text
    prefix = key.group(1)[:11]
    revoke = re.search(
        rf'action="(/dashboard/api-keys/[0-9a-f-]+/revoke)"[^>]*>\s*<input[^>]+>\s*'
        rf'<button[^>]+aria-label="Revoke key {re.escape(prefix)}"',
        listing.text,
    )
    assert revoke is not None
    await form_post(dash, "/dashboard/api-keys", revoke.group(1))
    assert (await dash.get("/api/payments", headers=headers)).status_code == 401


async def test_webhook_endpoint_create_and_delete(dash: httpx.AsyncClient) -> None:
    created = await form_post(
        dash,
        "/dashboard/webhooks",
        "/dashboard/webhooks",
        {"url": "https://93.184.215.14/hooks", "event_types": "payment.*, invoice.*"},
    )
    assert created.status_code == 200, created.text
    assert re.search(r"whsec_[A-Za-z0-9+/=]+", created.text)
    listing = await dash.get("/dashboard/webhooks")
    assert "payment.*, invoice.*" in listing.text
    bad = await form_post(
        dash,
        "/dashboard/webhooks",
        "/dashboard/webhooks",
        {"url": "https://x.example", "event_types": "payment.confimed"},
    )
    assert "unknown event type" in (await dash.get(bad.headers["location"])).text
    delete = re.search(r'action="(/dashboard/webhooks/[0-9a-f-]+/delete)"', listing.text)
    assert delete is not None
    await form_post(dash, "/dashboard/webhooks", delete.group(1))
    assert "93.184.215.14" not in (await dash.get("/dashboard/webhooks")).text


async def test_withdrawal_drafts_are_approved_or_rejected(
    dash: httpx.AsyncClient, owner: Owner, runtime: Runtime
) -> None:
    from tests.dashboard.withdrawals import draft

    first = await draft(dash, runtime, owner.merchant, "0.001")
    second = await draft(dash, runtime, owner.merchant, "0.002")
    page = await dash.get("/dashboard/withdrawals", params={"status": "draft"})
    assert page.text.count("Approve</button>") == 2
    await form_post(dash, "/dashboard/withdrawals", f"/dashboard/withdrawals/{first}/approve")
    rejected = await form_post(
        dash, "/dashboard/withdrawals", f"/dashboard/withdrawals/{second}/reject"
    )
    assert "rejected" in (await dash.get(rejected.headers["location"])).text
    headers = owner.merchant.headers
    assert (await dash.get(f"/api/withdrawals/{first}", headers=headers)).json()["status"] in (
        "pending",
        "broadcasting",
    )
    assert (await dash.get(f"/api/withdrawals/{second}", headers=headers)).json()["status"] == (
        "rejected"
    )
    again = await form_post(
        dash, "/dashboard/withdrawals", f"/dashboard/withdrawals/{second}/approve"
    )
    assert "only a draft can be approved" in (await dash.get(again.headers["location"])).text


async def test_user_of_one_merchant_cannot_reach_forms_of_another(
    client: httpx.AsyncClient, merchant: MerchantKey
) -> None:
    response = await client.post("/dashboard/invoices/x/cancel", data={"csrf_token": "x"})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
