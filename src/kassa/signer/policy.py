"""What the signer agrees to sign. Every rule is checked on every request; a refusal is final.

* a withdrawal or a top-up is signed by the hot wallet; a sweep by the deposit key it names;
* the sender the services expect must be the address the signer's own key derives;
* a transaction is a plain native transfer (no calldata) or exactly one ERC-20
  ``transfer(to, amount)`` call, with no value, to a token contract of the chain;
* a sweep pays the hot wallet and nothing else;
* a top-up is native, pays the deposit address it names, and is no larger than the gas it buys
  (at most ``MAX_TOPUP_GAS`` gas at the top-up's own fee bid);
* the EIP-155 chain id is the one of the chain (``chain_ids``, from the signer's settings).
"""

from __future__ import annotations

from collections.abc import Mapping

from kassa.chains.evm.transformers import checksum, decode_transfer_calldata
from kassa.signer.keys import EvmKeys
from kassa.signer.protocol import EvmSignRequest, Purpose, SignerRefused

MAX_TOPUP_GAS = 3_000_000


def check(
    request: EvmSignRequest,
    keys: EvmKeys,
    token_contracts: Mapping[str, frozenset[str]],
    chain_ids: Mapping[str, frozenset[int]],
) -> bytes:
    """The private key to sign ``request`` with, or :class:`SignerRefused` with the reason."""
    tx = request.tx
    allowed_ids = chain_ids.get(request.chain)
    if allowed_ids is None:
        raise SignerRefused(f"unknown chain {request.chain!r}")
    if allowed_ids and request.chain_id not in allowed_ids:
        raise SignerRefused(f"chain id {request.chain_id} is not {request.chain}'s")
    if request.purpose == Purpose.SWEEP:
        if request.deposit_index is None:
            raise SignerRefused("a sweep must name its deposit index")
        key, sender = (
            keys.deposit_key(request.deposit_index),
            keys.deposit_address(request.deposit_index),
        )
    else:
        key, sender = keys.hot_key(), keys.hot_address
    if checksum(request.sender) != sender:
        raise SignerRefused("the sender is not the address of the signing key")
    if tx.nonce < 0 or tx.gas <= 0 or tx.max_fee_per_gas <= 0 or tx.value < 0:
        raise SignerRefused("malformed transaction fields")
    recipient = _recipient(request, token_contracts.get(request.chain, frozenset()))
    if request.purpose == Purpose.SWEEP and recipient != keys.hot_address:
        raise SignerRefused("a sweep may only pay the hot wallet")
    if request.purpose == Purpose.TOPUP:
        if tx.data not in ("", "0x") or request.deposit_index is None:
            raise SignerRefused("a top-up is a native transfer to a named deposit address")
        if recipient != keys.deposit_address(request.deposit_index):
            raise SignerRefused("a top-up may only pay the deposit address it names")
        if tx.value > MAX_TOPUP_GAS * tx.max_fee_per_gas:
            raise SignerRefused("a top-up may not exceed the gas it pays for")
    return key


def _recipient(request: EvmSignRequest, contracts: frozenset[str]) -> str:
    tx = request.tx
    if tx.data in ("", "0x"):
        return checksum(tx.to)
    decoded = decode_transfer_calldata(tx.data)
    if decoded is None:
        raise SignerRefused("only native transfers and ERC-20 transfer() calls are signed")
    if tx.value != 0:
        raise SignerRefused("a token transfer carries no native value")
    if tx.to.lower() not in contracts:
        raise SignerRefused(f"{tx.to} is not a token contract of {request.chain}")
    return decoded[0]
