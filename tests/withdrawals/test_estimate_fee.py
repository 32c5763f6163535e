"""``POST /api/estimate-fee``: the devnet's fees, destination validation and the error contract."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.withdrawals.helpers import call, credit_available_for_test, data, destination


async def estimate(client: httpx.AsyncClient, key: MerchantKey, **body: object) -> httpx.Response:
    return await call(client, "POST", "/api/estimate-fee", key.headers, body)


async def test_trc20_estimate_on_the_devnet(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    await credit_available_for_test(runtime, payer.merchant_id, "USDT-TRC20", "300")
    response = await estimate(
        client, payer, asset="usdt-trc20", amount="500", destination_address=destination("tron")
    )
    assert response.status_code == 200, response.text
    assert data(response) == {
        "asset": "USDT-TRC20",
        "amount": 500,
        "platform_fee": "1.00 USDT-TRC20",
        # the devnet's TRC-20 fee is 1 TRX, at $0.245
        "estimated_network_fee": "0.245 USDT-TRC20",
        "total_required": "501.245 USDT-TRC20",
        "balance_available": "300.00 USDT-TRC20",
        "sufficient_balance": False,
    }


async def test_native_coin_pays_its_own_network_fee(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    response = await estimate(client, payer, asset="BTC", amount=Decimal("0.01"))
    assert data(response) == {
        "asset": "BTC",
        "amount": Decimal("0.01"),
        "platform_fee": "0.00001187 BTC",
        "estimated_network_fee": "0.0000141 BTC",
        "total_required": "0.01002597 BTC",
        "balance_available": "0.00 BTC",
        "sufficient_balance": False,
    }


async def test_invalid_destination_gets_the_doc_message(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    response = await estimate(
        client,
        payer,
        asset="USDC-ERC20",
        amount=75,
        destination_address="0x0826095914873c4c1b1bfa73554829b588144a8",
    )
    assert response.status_code == 400
    assert data(response) == {
        "error": "Invalid destination address format for ETH network. "
        "Please check the address and try again."
    }


@pytest.mark.parametrize("symbol", ["USDC", "usdc"])
async def test_bare_stablecoin_symbol_is_ambiguous(
    client: httpx.AsyncClient, payer: MerchantKey, symbol: str
) -> None:
    response = await estimate(client, payer, asset=symbol, amount=75)
    assert response.status_code == 400
    assert data(response) == {
        "error": '"USDC" is ambiguous — please specify the network. Valid symbols: '
        '"USDC-ERC20", "USDC-SOL", "USDC-MATIC", "USDC-ARB"'
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": 75}, "Missing required field: asset"),
        ({"asset": "USDT-TRC20"}, "Missing required field: amount"),
        ({"asset": "DOGE", "amount": 1}, 'Unsupported asset: "DOGE". Supported assets: '),
        ({"asset": "USDT-TRC20", "amount": 0}, "Invalid amount: must be greater than 0"),
        (
            {"asset": "USDT-TRC20", "amount": "1.0000001"},
            "Invalid amount: USDT-TRC20 has at most 6 decimal places",
        ),
        (
            {"asset": "USDT-TRC20", "amount": "4.99"},
            "Invalid amount: the minimum withdrawal of USDT-TRC20 is 5 USDT-TRC20",
        ),
        ({"asset": "BTC", "amount": 1, "fee": 2}, "Unknown field: fee"),
    ],
)
async def test_bad_requests(
    client: httpx.AsyncClient, payer: MerchantKey, body: dict[str, object], message: str
) -> None:
    response = await call(client, "POST", "/api/estimate-fee", payer.headers, body)
    assert response.status_code == 400
    assert data(response)["error"].startswith(message)


async def test_requires_an_api_key(client: httpx.AsyncClient) -> None:
    response = await call(client, "POST", "/api/estimate-fee", {}, {"asset": "BTC", "amount": 1})
    assert response.status_code == 401
