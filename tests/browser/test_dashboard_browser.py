"""A merchant in the dashboard, in headless Chromium: logs in, finds a paid payment by its label,
sees its receipt and confirmations, resends its webhook, and approves a draft withdrawal."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from kassa.assets.registry import registry
from kassa.keys.derivation import make_deriver
from kassa.keys.seed import account_xpubs
from tests.browser.conftest import ARTIFACTS, HOOK, Server, axe_violations, wait_for_api

pytestmark = pytest.mark.e2e

OUTSIDE_WALLET = "legal winner thank year wave sausage worth useful legal winner thank yellow"
PASSWORD = "browser test password"


def outside_btc_address() -> str:
    """A devnet address of a wallet that is not the gateway's."""
    xpub = account_xpubs(OUTSIDE_WALLET, "devnet")["btc"]
    return make_deriver(registry().chains["btc"], "devnet", xpub).derive(0).address


async def paid_payment(server: Server, label: str) -> dict[str, Any]:
    payment: dict[str, Any] = await server.api(
        "POST",
        "/api/payments",
        {"asset": "BTC", "amount_crypto": "0.002", "label": label, "webhook_url": HOOK},
    )
    await server.api("POST", f"/pay/{payment['id']}/simulate")
    return await wait_for_api(server, f"/api/payments/{payment['id']}", "status", "confirmed")


async def limited_key(server: Server) -> Server:
    """A payouts key limited to $1, made with the CLI like an operator would."""
    issued = await server.cli(
        *("apikey", "create", "--merchant", server.merchant_id, "--scopes", "read,write,payouts"),
        *("--withdrawal-limit-usd", "1", "--json"),
    )
    key = re.search(r'"api_key":\s*"(ks_[^"]+)"', issued)
    assert key is not None, issued
    return Server(server.url, key.group(1), server.merchant_id, server.env)


async def draft_withdrawal(limited: Server) -> dict[str, Any]:
    """A withdrawal of about $40 by the limited key: a draft waiting for approval."""
    body = await limited.api(
        "POST",
        "/api/withdrawals",
        {
            "asset": "BTC",
            "amount": "0.0005",
            "destination_address": outside_btc_address(),
            "webhook_url": HOOK,
            "label": "Supplier payout",
        },
    )
    withdrawal: dict[str, Any] = body["withdrawal"]
    assert withdrawal["status"] == "draft"
    return withdrawal


async def test_merchant_finds_the_payment_resends_its_webhook_and_approves_a_draft(
    server: Server, browser: Browser
) -> None:
    label = f"Browser customer {uuid.uuid4().hex[:6]}"
    await server.api(
        "POST",
        "/api/payments",
        {"asset": "ETH", "amount_crypto": "0.5", "label": "Someone else", "webhook_url": HOOK},
    )
    email = f"owner-{uuid.uuid4().hex[:6]}@shop.example"
    create_user = ("user", "create", "--merchant", server.merchant_id, "--email", email)
    payment, limited, _ = await asyncio.gather(
        paid_payment(server, label),
        limited_key(server),
        server.cli(*create_user, "--password-stdin", stdin=PASSWORD + "\n"),
    )
    withdrawal = await draft_withdrawal(limited)

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{server.url}/dashboard")
    await expect(page).to_have_url(f"{server.url}/dashboard/login")
    assert await axe_violations(page, "dashboard-login") == []
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await expect(page.get_by_role("row", name=re.compile(r"^BTC "))).to_be_visible()
    assert await axe_violations(page, "dashboard-overview") == []
    await page.screenshot(path=ARTIFACTS / "dashboard-overview.png", full_page=True)

    await (
        page.get_by_role("navigation", name="Dashboard")
        .get_by_role("link", name="Payments")
        .click()
    )
    await page.get_by_label("Search label or reference").fill(label.lower())
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_text("1 payment", exact=True)).to_be_visible()
    await expect(page.get_by_role("cell", name="Someone else")).to_have_count(0)
    await page.get_by_role("row", name=re.compile(re.escape(label))).get_by_role("link").click()

    await expect(page.get_by_role("heading", name=re.compile(re.escape(label)))).to_be_visible()
    receipt = page.get_by_role("row", name=re.compile(payment["tx_hashes"][0]))
    await expect(receipt).to_contain_text(re.compile(r"\b([6-9]|\d\d+) / 6\b"))
    await expect(receipt).to_contain_text("confirmed")
    assert await axe_violations(page, "dashboard-payment") == []
    await page.screenshot(path=ARTIFACTS / "dashboard-payment.png", full_page=True)

    await page.get_by_role("button", name="Resend payment.confirmed webhook").click()
    await expect(page.get_by_role("status")).to_have_text(
        "payment.confirmed: 1 delivery queued again"
    )

    await (
        page.get_by_role("navigation", name="Dashboard")
        .get_by_role("link", name="Withdrawals")
        .click()
    )
    await page.get_by_role("button", name="Approve withdrawal Supplier payout").click()
    await expect(page.get_by_role("status")).to_have_text(f"Withdrawal {withdrawal['id']} approved")
    await expect(
        page.get_by_role("button", name="Approve withdrawal Supplier payout")
    ).to_have_count(0)
    assert await axe_violations(page, "dashboard-withdrawals") == []
    await page.screenshot(path=ARTIFACTS / "dashboard-withdrawals.png", full_page=True)
    await context.close()

    decided = await server.api("GET", f"/api/withdrawals/{withdrawal['id']}")
    assert decided["status"] in ("pending", "broadcasting", "completed")
