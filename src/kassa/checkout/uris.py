"""Payment request URIs for QR codes and "open in wallet" links, one scheme per chain family.

Pure functions. Amounts are exact: decimal amounts are written without exponent or trailing
zeros, atomic ones (EIP-681 ``value`` / ``uint256``) as integers.

* Bitcoin, Litecoin — BIP 21: ``bitcoin:<address>?amount=<BTC>`` (``litecoin:`` likewise).
* EVM — EIP-681: native ``ethereum:<address>@<chain id>?value=<wei>``; tokens call the contract,
  ``ethereum:<contract>@<chain id>/transfer?address=<address>&uint256=<atomic>``. BNB Smart Chain,
  Polygon and Arbitrum use the ``ethereum:`` scheme with their own chain id.
* TRON — ``tron:<address>?amount=<TRX>``, tokens add ``&token=<contract>`` (no formal standard).
* Solana — Solana Pay: ``solana:<address>?amount=<SOL>``, tokens add ``&spl-token=<mint>``.
* XRP Ledger — XLS-32d style: ``xrpl:<address>?dt=<destination tag>&amount=<XRP>``.

On the devnet, EVM URIs carry chain id 31337 (a local development chain) so that no wallet
pays them on a real network.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final
from urllib.parse import quote, urlencode

from kassa.assets.registry import Asset
from kassa.kit.money import from_atomic

EVM_CHAIN_IDS: Final[dict[str, dict[str, int]]] = {
    "mainnet": {"eth": 1, "bsc": 56, "polygon": 137, "arbitrum": 42161},
    "testnet": {"eth": 11155111, "bsc": 97, "polygon": 80002, "arbitrum": 421614},
}
DEVNET_CHAIN_ID: Final = 31337
UTXO_SCHEMES: Final = {"btc": "bitcoin", "ltc": "litecoin"}


def plain_decimal(amount: int, decimals: int) -> str:
    """``123450000, 8`` → ``"1.2345"``: exact, no exponent, no trailing zeros."""
    text = format(from_atomic(amount, decimals), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def evm_chain_id(chain_id: str, network: str, override: int | None = None) -> int:
    if override is not None:
        return override
    return EVM_CHAIN_IDS.get(network, {}).get(chain_id, DEVNET_CHAIN_ID)


def _query(params: list[tuple[str, str]]) -> str:
    return urlencode(params, quote_via=quote, safe="") if params else ""


def payment_uri(
    asset: Asset,
    network: str,
    address: str,
    amount: int,
    destination_tag: int | None = None,
    *,
    contract: str | None = None,
    chain_id: int | None = None,
    label: str | None = None,
) -> str:
    """The URI a wallet opens to pay ``amount`` (atomic units of ``asset``) to ``address``.

    ``contract`` overrides the registry's token contract (a configured testnet token);
    ``chain_id`` overrides the EVM chain id; ``label`` names the payee where the scheme has one.
    """
    family = asset.chain.family
    token = contract or asset.contract
    decimal = plain_decimal(amount, asset.decimals)
    if family == "utxo":
        params = [("amount", decimal)]
        if label:
            params.append(("label", label))
        return f"{UTXO_SCHEMES[asset.chain.id]}:{address}?{_query(params)}"
    if family == "evm":
        cid = evm_chain_id(asset.chain.id, network, chain_id)
        if token:
            return f"ethereum:{token}@{cid}/transfer?address={address}&uint256={amount}"
        return f"ethereum:{address}@{cid}?value={amount}"
    if family == "tron":
        params = [("amount", decimal)]
        if token:
            params.append(("token", token))
        return f"tron:{address}?{_query(params)}"
    if family == "solana":
        params = [("amount", decimal)]
        if token:
            params.append(("spl-token", token))
        if label:
            params.append(("label", label))
        return f"solana:{address}?{_query(params)}"
    params = []
    if destination_tag is not None:
        params.append(("dt", str(destination_tag)))
    params.append(("amount", decimal))
    return f"xrpl:{address}?{_query(params)}"


def amount_text(amount: int, asset: Asset) -> str:
    """The amount a buyer types or pastes: exact, without trailing zeros."""
    return plain_decimal(amount, asset.decimals)


def to_decimal(amount: int, asset: Asset) -> Decimal:
    return Decimal(plain_decimal(amount, asset.decimals))
