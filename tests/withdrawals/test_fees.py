"""Fee arithmetic: the platform fee and the network fee in the withdrawn asset, rounding, the
refund of an unused network fee, money formatting, and the CoinWerx estimate example exactly."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kassa.assets.registry import Asset, registry
from kassa.chains.base import FeeQuote, Payout, SignedTx, TxStatus
from kassa.runtime import Runtime
from kassa.withdrawals import service
from kassa.withdrawals.fees import fees_from, network_fee_used
from kassa.withdrawals.views import display, money, usd
from tests.conftest import MerchantKey
from tests.withdrawals.helpers import call, credit_available_for_test, data


def asset(symbol: str) -> Asset:
    return registry().assets[symbol]


def test_platform_fee_is_one_dollar_in_the_withdrawn_asset_rounded_up() -> None:
    btc = fees_from(
        asset("BTC"), FeeQuote("BTC", 1_410), Decimal("1.00"), Decimal("84250"), Decimal("84250")
    )
    # 1 / 84250 = 0.0000118694… BTC → 0.00001187 (never below $1.00)
    assert btc.platform_fee == 1_187
    assert btc.network_fee == 1_410  # a native coin pays its own fee
    usdt = fees_from(
        asset("USDT-TRC20"),
        FeeQuote("TRX", 1_000_000),
        Decimal("1.00"),
        Decimal("1"),
        Decimal("0.2450"),
    )
    assert usdt.platform_fee == 1_000_000  # 1.000000 USDT
    assert usdt.network_fee == 245_000  # 1 TRX × $0.245 = 0.245 USDT
    assert usdt.total(500_000_000) == 501_245_000


def test_token_network_fee_converts_the_native_fee_at_both_prices() -> None:
    usdc = asset("USDC-ERC20")
    fees = fees_from(
        usdc, FeeQuote("ETH", 130_000_000_000_000), Decimal("1"), Decimal("1"), Decimal("1598.40")
    )
    # 0.00013 ETH × 1598.40 = 0.207792 USDC exactly
    assert fees.network_fee == 207_792
    assert fees.network_fee_native == 130_000_000_000_000
    assert fees.native.symbol == "ETH"
    # 18-decimal tokens are rounded up to their quote precision (6 places) too
    bep20 = fees_from(
        asset("USDT-BEP20"),
        FeeQuote("BNB", 65_000_000_000_000),
        Decimal("1"),
        Decimal("1"),
        Decimal("580.25"),
    )
    # 0.000065 BNB × 580.25 = 0.03771625 → 0.037717
    assert bep20.network_fee == 37_717 * 10**12


@pytest.mark.parametrize(
    ("charged", "quoted", "actual", "used"),
    [
        (207_792, 130, 104, 166_234),  # 0.8 of the quote, rounded up
        (207_792, 130, 130, 207_792),  # as quoted: nothing back
        (207_792, 130, 200, 207_792),  # dearer than quoted: the operator pays the difference
        (207_792, 130, None, 207_792),  # unknown: charged as quoted
        (1_410, 1_410, 0, 0),
    ],
)
def test_unused_network_fee_is_refunded_in_proportion(
    charged: int, quoted: int, actual: int | None, used: int
) -> None:
    assert network_fee_used(charged, quoted, actual) == used


def test_money_strings_trim_zeros_but_keep_two_places() -> None:
    assert display(750_000, 6) == "0.75"
    assert display(1_200, 6) == "0.0012"
    assert display(502_000_000, 6) == "502.00"
    assert display(12, 6) == "0.000012"
    assert money(75_751_200, asset("USDC-ERC20")) == "75.7512 USDC-ERC20"
    assert usd(Decimal("1")) == "$1.00"
    assert usd(Decimal("3.735")) == "$3.74"


class DocFeeAdapter:
    """Quotes the network fee that makes the CoinWerx estimate example come out exactly."""

    chain_id = "eth"

    async def fee_quote(self, asset: Asset) -> FeeQuote:
        # 0.0000007507 ETH × $1598.40 = $0.00119992 → 0.0012 USDC-ERC20 (rounded up)
        return FeeQuote("ETH", 750_700_000_000)

    async def sign(self, payout: Payout) -> SignedTx:
        raise NotImplementedError

    async def broadcast(self, tx: SignedTx) -> None:
        raise NotImplementedError

    async def tx_status(self, tx_hash: str) -> TxStatus:
        raise NotImplementedError


async def test_doc_estimate_example_reproduced_exactly(
    client: httpx.AsyncClient,
    payer: MerchantKey,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CoinWerx example charges a 0.75 platform fee (a $0.75 setting) and a 0.0012 network
    fee; with those inputs Kassa's arithmetic gives the example's response field for field."""
    monkeypatch.setattr(runtime.settings, "withdrawal_fee_usd", Decimal("0.75"))
    monkeypatch.setattr(service, "payout_adapter_for", lambda _rt, _chain: DocFeeAdapter())
    await credit_available_for_test(runtime, payer.merchant_id, "USDC-ERC20", "120.50")
    response = await call(
        client,
        "POST",
        "/api/estimate-fee",
        payer.headers,
        {
            "asset": "USDC-ERC20",
            "amount": 75,
            "destination_address": "0x0826095914873c4c1b1bfa73554829b588144a8b",
        },
    )
    assert response.status_code == 200, response.text
    assert data(response) == {
        "asset": "USDC-ERC20",
        "amount": 75,
        "platform_fee": "0.75 USDC-ERC20",
        "estimated_network_fee": "0.0012 USDC-ERC20",
        "total_required": "75.7512 USDC-ERC20",
        "balance_available": "120.50 USDC-ERC20",
        "sufficient_balance": True,
    }
    assert response.text.startswith('{"asset":"USDC-ERC20","amount":75,')
