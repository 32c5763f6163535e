"""Payment request URIs per chain family: exact amounts, the right scheme and parameters."""

from __future__ import annotations

import pytest

from kassa.assets.registry import registry
from kassa.checkout.uris import payment_uri, plain_decimal


def uri(symbol: str, network: str, address: str, amount: int, tag: int | None = None) -> str:
    return payment_uri(registry().assets[symbol], network, address, amount, tag)


def test_bip21_for_bitcoin_and_litecoin() -> None:
    assert uri("BTC", "mainnet", "bc1qxyz", 118694) == "bitcoin:bc1qxyz?amount=0.00118694"
    assert uri("LTC", "mainnet", "ltc1qxyz", 100000000) == "litecoin:ltc1qxyz?amount=1"
    labelled = payment_uri(registry().assets["BTC"], "mainnet", "bc1q", 1, label="Jane's Café & Co")
    assert labelled == "bitcoin:bc1q?amount=0.00000001&label=Jane%27s%20Caf%C3%A9%20%26%20Co"


def test_eip681_native_value_is_in_wei_with_the_chain_id() -> None:
    amount = 1_234_567_890_123_456_789_012
    assert uri("ETH", "mainnet", "0xAbC", amount) == f"ethereum:0xAbC@1?value={amount}"
    assert uri("BNB", "mainnet", "0xAbC", 5) == "ethereum:0xAbC@56?value=5"
    assert uri("ETH", "testnet", "0xAbC", 5) == "ethereum:0xAbC@11155111?value=5"
    assert uri("ETH", "devnet", "0xAbC", 5) == "ethereum:0xAbC@31337?value=5"


@pytest.mark.parametrize(
    ("symbol", "chain_id", "contract"),
    [
        ("USDT-ERC20", 1, "0xdAC17F958D2ee523a2206206994597C13D831ec7"),
        ("USDC-MATIC", 137, "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"),
        ("USDC-ARB", 42161, "0xaf88d065e77c8cC2239327C5EDbd713f16fE0A5E"),
        ("USDT-BEP20", 56, "0x55d398326f99059fF775485246999027B3197955"),
    ],
)
def test_eip681_tokens_call_transfer_on_the_contract(
    symbol: str, chain_id: int, contract: str
) -> None:
    assert uri(symbol, "mainnet", "0xPayee", 25_000_000) == (
        f"ethereum:{contract}@{chain_id}/transfer?address=0xPayee&uint256=25000000"
    )


def test_overrides_for_a_configured_token_and_chain_id() -> None:
    asset = registry().assets["USDC-ERC20"]
    assert payment_uri(asset, "testnet", "0xP", 1, contract="0xTest", chain_id=5) == (
        "ethereum:0xTest@5/transfer?address=0xP&uint256=1"
    )


def test_tron_native_and_trc20() -> None:
    assert uri("TRX", "mainnet", "TAddr", 1_500_000) == "tron:TAddr?amount=1.5"
    assert uri("USDT-TRC20", "mainnet", "TAddr", 50_000_000) == (
        "tron:TAddr?amount=50&token=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    )


def test_solana_pay_with_spl_token_for_usdc() -> None:
    assert uri("SOL", "mainnet", "So1Addr", 1_000_000_001) == "solana:So1Addr?amount=1.000000001"
    assert uri("USDC-SOL", "mainnet", "So1Addr", 2_500_000) == (
        "solana:So1Addr?amount=2.5&spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
    )


def test_xrp_carries_the_destination_tag() -> None:
    assert uri("XRP", "mainnet", "rAddr", 12_345_678, 4242) == "xrpl:rAddr?dt=4242&amount=12.345678"


def test_plain_decimal_never_uses_an_exponent() -> None:
    assert plain_decimal(1, 18) == "0.000000000000000001"
    assert plain_decimal(10**30, 18) == "1000000000000"
    assert plain_decimal(0, 8) == "0"
