"""A buyer on the hosted checkout, in headless Chromium: picks an asset, sees the QR code and the
countdown, pays with the devnet's simulate button, and watches the page turn confirmed without
reloading. Screenshots at desktop and phone width; axe-core finds no serious violations."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, HOOK, Server, axe_violations, wait_for_api

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def _invoice(server: Server, **extra: Any) -> dict[str, Any]:
    body = {
        "currency": "USD",
        "items": [
            {"name": "Espresso beans 1 kg", "quantity": 2, "unit_price": "18.50"},
            {"name": "Grinder cleaning tablets", "unit_price": "6.90", "tax": "0.55"},
        ],
        "shipping": "4.95",
        "description": "Order #1042",
        "invoice_number": "INV-1042",
        "label": f"browser buyer {uuid.uuid4().hex[:6]}",
        "webhook_url": HOOK,
        "success_url": f"{server.url}/health",
        "cancel_url": f"{server.url}/health",
        **extra,
    }
    invoice: dict[str, Any] = await server.api("POST", "/api/invoices", body)
    return invoice


async def _countdown_runs(page: Page) -> None:
    countdown = page.get_by_test_id("countdown")
    await expect(countdown).to_have_text(re.compile(r"^\d+:\d\d(:\d\d)?$"))
    first = await countdown.inner_text()
    await expect(countdown).not_to_have_text(first, timeout=5000)


async def test_buyer_pays_and_the_page_turns_confirmed_without_reloading(
    server: Server, browser: Browser
) -> None:
    invoice = await _invoice(server)
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    errors: list[str] = []
    streams: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: streams.append(r.url) if "/events" in r.url else None)
    await page.goto(invoice["checkout_url"])
    await expect(page.get_by_role("heading", name="Choose how to pay")).to_be_visible()
    await expect(page.get_by_test_id("total")).to_have_text("49.40 USD")
    assert await axe_violations(page, "checkout-choose") == []
    await page.screenshot(path=ARTIFACTS / "checkout-choose-desktop.png", full_page=True)

    await page.get_by_role("radio", name="BTC Bitcoin · Bitcoin").check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", name="Waiting for your payment")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile(r"^QR code: pay [0-9.]+ BTC to bcrt1"))
    await expect(qr).to_be_visible()
    assert await qr.locator("svg path").count() > 0
    wallet = await page.get_by_role("link", name="Open in wallet").get_attribute("href")
    address = await page.get_by_test_id("address").inner_text()
    amount = await page.get_by_test_id("amount").inner_text()
    assert wallet == f"bitcoin:{address}?amount={amount}&label=Demo%20Store"
    await _countdown_runs(page)
    assert await axe_violations(page, "checkout-awaiting") == []
    await page.screenshot(path=ARTIFACTS / "checkout-desktop.png", full_page=True)

    await page.evaluate("window.__sameDocument = 'kassa'")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.get_by_role("button", name="Simulate payment", exact=True).click()
    await expect(page.get_by_test_id("result")).to_have_text("Payment confirmed", timeout=60_000)
    assert await page.evaluate("window.__sameDocument") == "kassa"
    assert navigations == []
    assert streams, "the page did not open its server-sent event stream"
    await expect(page.get_by_role("link", name="Return to Demo Store")).to_have_attribute(
        "href", f"{server.url}/health"
    )
    assert await axe_violations(page, "checkout-confirmed") == []
    await page.screenshot(path=ARTIFACTS / "checkout-confirmed-desktop.png", full_page=True)
    assert errors == []
    await context.close()
    await wait_for_api(server, f"/api/invoices/{invoice['id']}", "status", "completed")


async def test_checkout_on_a_phone(server: Server, browser: Browser) -> None:
    invoice = await _invoice(server, asset="XRP")
    context = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="de-DE"
    )
    page = await context.new_page()
    await page.goto(invoice["checkout_url"])
    await expect(page.get_by_role("heading", name="Warten auf Ihre Zahlung")).to_be_visible()
    await expect(page.get_by_test_id("destination-tag")).to_have_text(
        str(invoice["payment"]["destination_tag"])
    )
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the checkout scrolls sideways on a phone"
    await _countdown_runs(page)
    assert await axe_violations(page, "checkout-phone") == []
    await page.screenshot(path=ARTIFACTS / "checkout-phone.png", full_page=True)

    await page.get_by_role("button", name="Teilzahlung simulieren").click()
    await expect(page.get_by_role("heading", name="Teilzahlung erhalten")).to_be_visible(
        timeout=30_000
    )
    assert await axe_violations(page, "checkout-partial-phone") == []
    await page.screenshot(path=ARTIFACTS / "checkout-partial-phone.png", full_page=True)
    await context.close()
