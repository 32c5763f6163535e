"""A devnet payment, end to end: its webhook_url receives detected and confirmed, signed with the
merchant's signing secret, in the CoinWerx shapes."""

from __future__ import annotations

from decimal import Decimal

import httpx
from standardwebhooks import Webhook

from kassa.kit import jsonutil
from kassa.runtime import Runtime
from kassa.webhooks import verify
from kassa.webhooks.vault import SecretBox
from tests.conftest import Devnet, MerchantKey
from tests.payments.helpers import create
from tests.webhooks.conftest import DispatcherFactory, Receiver, signing_secret
from tests.webhooks.test_endpoints_api import create_endpoint


async def test_payment_events_reach_the_payment_webhook_url_and_endpoints(
    client: httpx.AsyncClient,
    runtime: Runtime,
    merchant: MerchantKey,
    devnet: Devnet,
    box: SecretBox,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    secret = await signing_secret(runtime, box, merchant.merchant_id)
    endpoint = await create_endpoint(
        client, merchant, url=receiver.url("/all"), event_types=["payment.confirmed"]
    )
    payment = await create(
        client,
        merchant.headers,
        asset="XRP",
        amount_crypto="12.5",
        external_ref="ORDER-7",
        webhook_url=receiver.url("/order"),
    )
    dispatcher = make_dispatcher()
    tx = await devnet.pay("XRP", payment["address"], "12.5", payment["destination_tag"])
    await devnet.sync("xrp")
    await dispatcher.run_until_idle()
    await devnet.mine_and_sync("xrp")
    await dispatcher.run_until_idle()

    order = receiver.at("/order")
    detected, confirmed = (Webhook(secret).verify(r.body, r.headers) for r in order)
    assert detected["event"] == "payment.detected"
    assert detected["payment_id"] == payment["id"]
    assert confirmed["event"] == "payment.confirmed"
    exact = verify(order[1].body, order[1].headers, secret)
    assert exact["amount_received"] == Decimal("12.5")
    assert exact["tx_hash"] == tx
    assert set(exact) >= {
        "event",
        "payment_id",
        "external_ref",
        "asset",
        "network",
        "amount_received",
        "platform_fee",
        "amount_net",
        "tx_hash",
        "tx_hashes",
        "transaction_count",
        "explorer_url",
        "confirmed_via",
        "timestamp",
    }
    [to_endpoint] = receiver.at("/all")
    assert verify(to_endpoint.body, to_endpoint.headers, endpoint["secret"]) == exact
    assert jsonutil.loads(to_endpoint.body) == exact
