import dataclasses
from decimal import Decimal
from typing import Any

import httpx
import pytest
from devnet_helpers import block_at, devnet_address

from kassa.app import create_app
from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.config import Settings
from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key, create_merchant
from kassa.runtime import Runtime

BTC_ADDRESS = devnet_address("btc")


class _Key:
    def __init__(self, key: str) -> None:
        self.headers = {"Authorization": f"Bearer {key}"}


async def _key(runtime: Runtime, scopes: frozenset[Scope]) -> _Key:
    async with runtime.db.session() as session:
        merchant = await create_merchant(session, "Devnet Shop", Decimal("0.005"))
        issued = await create_api_key(session, merchant.id, scopes)
    return _Key(issued.secret)


@pytest.fixture
async def writer(runtime: Runtime) -> _Key:
    return await _key(runtime, frozenset({Scope.READ, Scope.WRITE}))


@pytest.fixture
async def reader(runtime: Runtime) -> _Key:
    return await _key(runtime, frozenset({Scope.READ}))


async def _post(client: httpx.AsyncClient, key: _Key, path: str, body: Any) -> httpx.Response:
    return await client.post(f"/api/devnet/{path}", json=body, headers=key.headers)


async def test_pay_mine_and_status(
    client: httpx.AsyncClient, runtime: Runtime, writer: _Key, reader: _Key
) -> None:
    paid = await client.post(
        "/api/devnet/pay",
        content=b'{"asset": "BTC", "address": "%s", "amount": 0.12345678}' % BTC_ADDRESS.encode(),
        headers={**writer.headers, "Content-Type": "application/json"},
    )
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert body == {"tx_hash": body["tx_hash"], "chain": "btc", "network": "devnet"}

    status = await client.get("/api/devnet/status", headers=reader.headers)
    assert status.status_code == 200
    assert status.json()["network"] == "devnet"
    assert status.json()["chains"]["btc"]["mempool"] == 1
    assert status.json()["chains"]["btc"]["height"] == 0

    mined = await _post(client, writer, "mine", {"blocks": 2, "chain": "btc"})
    assert mined.status_code == 200, mined.text
    tip = mined.json()["tips"]["btc"]
    assert mined.json() == {"network": "devnet", "tips": {"btc": tip}}
    assert tip["height"] == 2

    block = await block_at(DevnetAdapter(runtime.db, "btc"), 1)
    assert [(t.tx_hash, t.amount) for t in block.transfers] == [(body["tx_hash"], 12_345_678)]
    status = (await client.get("/api/devnet/status", headers=reader.headers)).json()
    assert status["chains"]["btc"] == {"height": 2, "hash": tip["hash"], "mempool": 0}


async def test_mine_without_chain_mines_every_chain(
    client: httpx.AsyncClient, writer: _Key
) -> None:
    mined = await _post(client, writer, "mine", {})
    assert mined.status_code == 200
    assert {cid: t["height"] for cid, t in mined.json()["tips"].items()} == {
        "btc": 1,
        "ltc": 1,
        "eth": 1,
        "bsc": 1,
        "polygon": 1,
        "arbitrum": 1,
        "tron": 1,
        "solana": 1,
        "xrp": 1,
    }


async def test_amount_as_string_keeps_every_wei(
    client: httpx.AsyncClient, runtime: Runtime, writer: _Key
) -> None:
    paid = await _post(
        client,
        writer,
        "pay",
        {"asset": "ETH", "address": devnet_address("eth"), "amount": "0.000000000000000001"},
    )
    assert paid.status_code == 200, paid.text
    (pending,) = await DevnetAdapter(runtime.db, "eth").pending_transfers()
    assert pending.amount == 1


async def test_xrp_payment_with_destination_tag(
    client: httpx.AsyncClient, runtime: Runtime, writer: _Key
) -> None:
    body = {"asset": "XRP", "address": devnet_address("xrp"), "amount": 5, "destination_tag": 9}
    paid = await _post(client, writer, "pay", body)
    assert paid.status_code == 200, paid.text
    (pending,) = await DevnetAdapter(runtime.db, "xrp").pending_transfers()
    assert (pending.destination_tag, pending.amount) == (9, 5_000_000)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": "0.123456789"},
            "Invalid amount: BTC has at most 8 decimal places",
        ),
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": 0},
            "Invalid amount: must be greater than 0",
        ),
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": "lots"},
            "Invalid amount: must be a number",
        ),
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": True},
            "Invalid amount: must be a number",
        ),
        ({"asset": "BTC", "address": BTC_ADDRESS}, "Missing required field: amount"),
        (
            {"asset": "DOGE", "address": BTC_ADDRESS, "amount": 1},
            'Unsupported asset: "DOGE". Supported assets: ',
        ),
        ({"asset": "USDT", "address": BTC_ADDRESS, "amount": 1}, '"USDT" is ambiguous'),
        (
            {"asset": "LTC", "address": BTC_ADDRESS, "amount": 1},
            "Invalid address for LTC on the devnet: ",
        ),
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": 1, "destination_tag": 1},
            "Invalid destination_tag: destination tags exist only on XRP, not on BTC",
        ),
        (
            {"asset": "XRP", "address": devnet_address("xrp"), "amount": 1, "destination_tag": -1},
            "Invalid destination_tag: ",
        ),
        (
            {"asset": "BTC", "address": BTC_ADDRESS, "amount": 1, "memo": "x"},
            "Unknown field: memo",
        ),
    ],
)
async def test_bad_payments_get_a_precise_400(
    client: httpx.AsyncClient, runtime: Runtime, writer: _Key, body: Any, message: str
) -> None:
    response = await _post(client, writer, "pay", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message), response.json()
    for chain in ("btc", "ltc", "xrp"):
        assert await DevnetAdapter(runtime.db, chain).pending_transfers() == ()


async def test_reorg_endpoint(client: httpx.AsyncClient, runtime: Runtime, writer: _Key) -> None:
    await _post(client, writer, "pay", {"asset": "BTC", "address": BTC_ADDRESS, "amount": 1})
    await _post(client, writer, "mine", {"chain": "btc", "blocks": 3})
    adapter = DevnetAdapter(runtime.db, "btc")
    old = await block_at(adapter, 1)

    response = await _post(client, writer, "reorg", {"chain": "btc", "depth": 3, "drop_txs": False})
    assert response.status_code == 200, response.text
    new_tip = await adapter.tip()
    assert response.json() == {
        "network": "devnet",
        "chain": "btc",
        "depth": 3,
        "drop_txs": False,
        "tip": {"height": 4, "hash": new_tip.hash},
    }
    assert (await block_at(adapter, 1)).ref.hash != old.ref.hash
    assert [t.tx_hash for t in await adapter.pending_transfers()] == [
        t.tx_hash for t in old.transfers
    ]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("mine", {"blocks": 0}, "Invalid blocks: "),
        ("mine", {"blocks": 101}, "Invalid blocks: "),
        ("mine", {"blocks": "2"}, "Invalid blocks: "),
        ("mine", {"chain": "doge"}, 'Unknown chain: "doge"'),
        ("reorg", {"chain": "btc", "depth": 51}, "Invalid depth: "),
        ("reorg", {"chain": "btc", "depth": 1}, "Invalid depth: btc has no blocks after genesis"),
        ("reorg", {"chain": "btc"}, "Missing required field: depth"),
        ("reorg", {"chain": "btc", "depth": 1, "drop_txs": "no"}, "Invalid drop_txs: "),
        ("reorg", [], "Request body must be a JSON object"),
    ],
)
async def test_bad_mine_and_reorg_requests_get_a_400(
    client: httpx.AsyncClient, writer: _Key, path: str, body: Any, message: str
) -> None:
    response = await _post(client, writer, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(message), response.json()


async def test_reorg_deeper_than_the_chain_is_refused(
    client: httpx.AsyncClient, writer: _Key
) -> None:
    await _post(client, writer, "mine", {"chain": "tron", "blocks": 2})
    response = await _post(client, writer, "reorg", {"chain": "tron", "depth": 3})
    assert response.status_code == 400
    assert response.json() == {
        "error": "Invalid depth: must be between 1 and 2 (the height of tron)"
    }


async def test_writes_need_the_write_scope(
    client: httpx.AsyncClient, reader: _Key, writer: _Key
) -> None:
    body = {"asset": "BTC", "address": BTC_ADDRESS, "amount": 1}
    assert (await client.post("/api/devnet/pay", json=body)).status_code == 401
    for path, payload in (("pay", body), ("mine", {}), ("reorg", {"chain": "btc", "depth": 1})):
        response = await _post(client, reader, path, payload)
        assert response.status_code == 403, response.text
        assert response.json() == {"error": "This API key lacks the 'write' scope"}
    assert (await client.get("/api/devnet/status")).status_code == 401


async def test_the_devnet_does_not_exist_on_other_networks(
    settings: Settings, runtime: Runtime, writer: _Key
) -> None:
    testnet = settings.model_copy(update={"network": "testnet"})
    app = create_app(testnet, dataclasses.replace(runtime, settings=testnet))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as client:
        requests = [
            client.post("/api/devnet/pay", json={"asset": "BTC"}, headers=writer.headers),
            client.post("/api/devnet/mine", json={}, headers=writer.headers),
            client.post("/api/devnet/reorg", json={}),
            client.get("/api/devnet/status", headers=writer.headers),
            client.get("/api/devnet/status"),
        ]
        for request in requests:
            response = await request
            assert response.status_code == 404
            assert response.json() == {"error": "The devnet is not enabled on this gateway"}


async def test_routes_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("pay", "mine", "reorg", "status"):
        operation = next(iter(paths[f"/api/devnet/{path}"].values()))
        assert operation["description"]
        assert operation["tags"] == ["devnet"]
