"""``POST /api/addresses/validate`` for every chain family, and the same validator refusing
invalid destinations on withdrawals with a precise message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bip_utils import Base58Alphabets, Base58Decoder, Base58Encoder

from kassa.runtime import Runtime
from tests.conftest import MerchantKey
from tests.withdrawals.helpers import HOOK, call, credit_available_for_test, data, destination


def x_address(classic: str, tag: int | None, prefix: bytes = b"\x04\x93") -> str:
    """The X-address of ``classic`` (testnet prefix by default, as on the devnet)."""
    account_id = bytes(Base58Decoder.CheckDecode(classic, Base58Alphabets.RIPPLE))[1:]
    flag = b"\x00" if tag is None else b"\x01"
    payload = prefix + account_id + flag + (tag or 0).to_bytes(4, "little") + bytes(4)
    return str(Base58Encoder.CheckEncode(payload, Base58Alphabets.RIPPLE))


def flip_last(address: str, alphabet: str) -> str:
    last = address[-1]
    return address[:-1] + next(c for c in alphabet if c != last)


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
XRP_B58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
ETH = destination("eth")
MIXED_BAD = ETH[:2] + (ETH[2].swapcase() if ETH[2].isalpha() else ETH[2]) + ETH[3:]

INVALID: list[tuple[str, str, str]] = [
    ("BTC", flip_last(destination("btc"), BECH32), "bech32 checksum mismatch"),
    ("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "wrong network prefix 'bc' for devnet"),
    ("LTC", "ltc1qg82vsm0n0eq0hgt5uhdmhckugx5yhqx8w8v0j7", "wrong network prefix 'ltc' for devnet"),
    ("ETH", ETH[:-1], "not 20 bytes (39 hex characters)"),
    ("USDC-MATIC", "0x" + "00" * 20, "zero address"),
    ("USDT-TRC20", flip_last(destination("tron"), B58), "base58 checksum mismatch"),
    ("SOL", destination("solana")[:-2], "not 32 bytes"),
    ("USDC-SOL", "0" + destination("solana")[1:], "invalid base58 character '0'"),
    ("XRP", flip_last(destination("xrp"), XRP_B58), "base58 checksum mismatch"),
    (
        "XRP",
        x_address(destination("xrp"), 7, prefix=b"\x05\x44"),
        "wrong network prefix 'X' for devnet",
    ),
]
if MIXED_BAD != ETH:
    INVALID.append(("USDT-BEP20", MIXED_BAD, "EIP-55 checksum mismatch"))


async def check(client: httpx.AsyncClient, key: MerchantKey, **body: Any) -> dict[str, Any]:
    response = await call(client, "POST", "/api/addresses/validate", key.headers, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = data(response)
    return result


FAMILIES = [
    ("BTC", "btc"),
    ("LTC", "ltc"),
    ("ETH", "eth"),
    ("USDT-BEP20", "bsc"),
    ("USDC-ARB", "arbitrum"),
    ("USDT-TRC20", "tron"),
    ("USDC-SOL", "solana"),
    ("XRP", "xrp"),
]


async def test_valid_addresses_of_every_family(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    for asset, chain in FAMILIES:
        address = destination("eth" if chain in ("bsc", "arbitrum") else chain)
        assert await check(client, payer, address=address, asset=asset) == {
            "valid": True,
            "address": address,
            "destination_tag": None,
            "chain": chain,
            "network": "devnet",
        }
        assert (await check(client, payer, address=address, chain=chain))["valid"] is True


async def test_evm_addresses_are_normalised_to_eip55(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    answer = await check(client, payer, address=ETH.lower(), chain="polygon")
    assert answer["address"] == ETH


async def test_xrp_x_address_carries_its_destination_tag(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    classic = destination("xrp")
    answer = await check(client, payer, address=x_address(classic, 4242), asset="XRP")
    assert (answer["valid"], answer["address"], answer["destination_tag"]) == (True, classic, 4242)
    conflict = await check(
        client, payer, address=x_address(classic, 4242), asset="XRP", destination_tag=1
    )
    assert conflict["reason"] == "X-address tag conflicts with destination_tag"


async def test_invalid_addresses_answer_valid_false_with_the_reason(
    client: httpx.AsyncClient, payer: MerchantKey
) -> None:
    for asset, address, reason in INVALID:
        answer = await check(client, payer, address=address, asset=asset)
        assert answer["valid"] is False, address
        assert answer["reason"].startswith(reason), (address, answer)
        assert answer["message"].startswith("Invalid destination address format for ")


async def test_withdrawals_refuse_invalid_addresses_of_every_family_with_a_precise_message(
    client: httpx.AsyncClient, payer: MerchantKey, runtime: Runtime
) -> None:
    for asset, address, reason in INVALID:
        await credit_available_for_test(runtime, payer.merchant_id, asset, "1000")
        body = {"asset": asset, "amount": 10, "destination_address": address, "webhook_url": HOOK}
        response = await call(client, "POST", "/api/withdrawals", payer.headers, body)
        assert response.status_code == 400, address
        error = data(response)["error"]
        assert error.startswith("Invalid destination address format for "), error
        assert f"network ({reason}" in error, error
        assert error.endswith("Please check the address and try again.")
    listing = await client.get("/api/withdrawals", headers=payer.headers)
    assert data(listing)["total"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"address": ETH}, "Give exactly one of asset (e.g. USDT-TRC20) or chain (e.g. tron)"),
        ({"address": ETH, "asset": "ETH", "chain": "eth"}, "Give exactly one of asset"),
        ({"address": ETH, "chain": "doge"}, 'Unknown chain: "doge". Chains: btc, ltc, eth'),
        ({"address": ETH, "asset": "USDT"}, '"USDT" is ambiguous'),
        ({"asset": "ETH"}, "Missing required field: address"),
    ],
)
async def test_bad_validation_requests(
    client: httpx.AsyncClient, payer: MerchantKey, body: dict[str, Any], message: str
) -> None:
    response = await call(client, "POST", "/api/addresses/validate", payer.headers, body)
    assert response.status_code == 400
    assert data(response)["error"].startswith(message)
