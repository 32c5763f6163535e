"""Invoices follow their payments on the devnet: paid, completed, partial, timed out, switched
asset, reorged — each change written with its ``invoice.<status>`` event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from kassa.invoices.service import choose_asset
from kassa.invoices.tasks import sync_due
from kassa.kit.timeutil import utcnow
from kassa.runtime import Runtime
from tests.conftest import Devnet, MerchantKey
from tests.invoices.helpers import create_invoice, get_invoice, invoice_events


async def _choose(runtime: Runtime, invoice_id: str, asset: str) -> None:
    import uuid

    async with runtime.db.session() as session:
        await choose_asset(session, runtime, uuid.UUID(invoice_id), asset, utcnow())


async def _sync(runtime: Runtime, devnet: Devnet) -> None:
    await sync_due(runtime.db, clock=devnet.now)


async def _status(client: httpx.AsyncClient, merchant: MerchantKey, invoice_id: str) -> str:
    status: str = (await get_invoice(client, merchant.headers, invoice_id))["status"]
    return status


async def _event_types(runtime: Runtime, invoice_id: str) -> list[str]:
    return [e["event"] for e in await invoice_events(runtime, invoice_id)]


async def test_paid_then_completed_with_one_event_each(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="BTC")
    payment = invoice["payment"]
    await devnet.pay("BTC", payment["address"], payment["amount_crypto"])
    await devnet.sync("btc")
    await _sync(runtime, devnet)
    await _sync(runtime, devnet)
    paid = await get_invoice(client, merchant.headers, invoice["id"])
    assert paid["status"] == "paid"
    assert paid["paid_at"] is not None

    await devnet.mine_and_sync("btc", 6)
    await _sync(runtime, devnet)
    done = await get_invoice(client, merchant.headers, invoice["id"])
    assert done["status"] == "completed"
    assert done["payment"]["status"] == "confirmed"
    events = await invoice_events(runtime, invoice["id"])
    assert [e["event"] for e in events] == [
        "invoice.created",
        "invoice.paid",
        "invoice.completed",
    ]
    assert events[-1]["payment_id"] == payment["id"]
    assert events[-1]["asset"] == "BTC"


async def test_partial_payment_is_pending_then_timed_out_when_the_window_closes(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="XRP")
    payment = invoice["payment"]
    half = "1.5"
    await devnet.pay("XRP", payment["address"], half, payment["destination_tag"])
    await devnet.mine_and_sync("xrp", 1)
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "pending"

    devnet.clock_offset = timedelta(hours=2)
    await devnet.expire()
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "timed_out"
    assert await _event_types(runtime, invoice["id"]) == [
        "invoice.created",
        "invoice.pending",
        "invoice.timed_out",
    ]


async def test_unpaid_invoice_times_out_at_its_expiry(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers, expires_minutes=30)
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "unpaid"
    devnet.clock_offset = timedelta(minutes=31)
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "timed_out"
    assert await _event_types(runtime, invoice["id"]) == ["invoice.created", "invoice.timed_out"]


async def test_money_sent_to_an_earlier_choice_still_pays_the_invoice(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers)
    await _choose(runtime, invoice["id"], "LTC")
    first = (await get_invoice(client, merchant.headers, invoice["id"]))["payment"]
    await _choose(runtime, invoice["id"], "ETH")
    switched = await get_invoice(client, merchant.headers, invoice["id"])
    assert switched["payment"]["asset"] == "ETH"
    assert switched["payment_ids"] == [first["id"], switched["payment"]["id"]]

    await devnet.pay("LTC", first["address"], first["amount_crypto"])
    await devnet.mine_and_sync("ltc", 6)
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "completed"


async def test_a_reorg_takes_a_completed_invoice_back(
    client: httpx.AsyncClient, merchant: MerchantKey, runtime: Runtime, devnet: Devnet
) -> None:
    invoice = await create_invoice(client, merchant.headers, asset="XRP")
    payment = invoice["payment"]
    await devnet.pay(
        "XRP", payment["address"], payment["amount_crypto"], payment["destination_tag"]
    )
    await devnet.mine_and_sync("xrp", 1)
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "completed"

    await devnet.reorg("xrp", 1)
    await devnet.sync("xrp")
    await _sync(runtime, devnet)
    assert await _status(client, merchant, invoice["id"]) == "unpaid"
    events: list[Any] = await invoice_events(runtime, invoice["id"])
    assert [e["event"] for e in events][-2:] == ["invoice.completed", "invoice.unpaid"]
