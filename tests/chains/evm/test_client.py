"""JSON-RPC transport: batches, retries with backoff, and clear failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from kassa.chains.evm.client import RpcClient, RpcError
from kassa.kit.errors import ChainUnavailable

URL = "https://eth-mainnet.example/v2/SECRET-KEY"


def client() -> RpcClient:
    return RpcClient(URL, backoff=0)


@respx.mock
async def test_batch_answers_come_back_in_call_order() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        calls = httpx.Response(200, content=request.content).json()
        return httpx.Response(
            200,
            json=[
                {"jsonrpc": "2.0", "id": c["id"], "result": c["method"]} for c in reversed(calls)
            ],
        )

    respx.post(URL).mock(side_effect=answer)
    rpc = client()
    assert await rpc.batch([("eth_chainId", []), ("eth_blockNumber", [])]) == [
        "eth_chainId",
        "eth_blockNumber",
    ]
    await rpc.aclose()


@respx.mock
async def test_transient_failures_are_retried() -> None:
    route = respx.post(URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(503),
            httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}),
        ]
    )
    rpc = client()
    assert await rpc.call("eth_chainId") == "0x7a69"
    assert route.call_count == 3
    await rpc.aclose()


@respx.mock
async def test_an_unreachable_node_is_chain_unavailable_without_leaking_the_key() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    rpc = client()
    with pytest.raises(ChainUnavailable) as caught:
        await rpc.call("eth_blockNumber")
    assert "unreachable" in caught.value.message
    assert "SECRET" not in caught.value.message
    await rpc.aclose()


@respx.mock
async def test_a_json_rpc_error_is_the_nodes_answer_not_retried() -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(
            200,
            json={"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low"}},
        )
    )
    rpc = client()
    with pytest.raises(RpcError) as caught:
        await rpc.call("eth_sendRawTransaction", "0x00")
    assert caught.value.reason == "nonce too low"
    assert route.call_count == 1
    await rpc.aclose()
