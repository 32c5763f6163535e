"""The signer's engine: policy check, then an EIP-1559 or legacy signature with eth-account.

Used by the signer server; tests may use it directly in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from eth_account import Account

from kassa.chains.evm.adapter import token_contracts
from kassa.chains.evm.params import PARAMS
from kassa.config import Settings
from kassa.signer import policy
from kassa.signer.keys import EvmKeys
from kassa.signer.protocol import EvmSignRequest, SignedEvmTx

audit = logging.getLogger("kassa.signer.audit")


def allowed_contracts(settings: Settings) -> dict[str, frozenset[str]]:
    return {
        chain: frozenset(token_contracts(chain, settings.chain(chain).tokens)) for chain in PARAMS
    }


def allowed_chain_ids(settings: Settings) -> dict[str, frozenset[int]]:
    """Per chain, the EIP-155 ids the signer signs for on the configured network."""
    found: dict[str, frozenset[int]] = {}
    for chain, params in PARAMS.items():
        configured = settings.chain(chain).chain_id
        if configured is not None:
            found[chain] = frozenset({configured})
        elif settings.network == "mainnet":
            found[chain] = frozenset({params.mainnet_chain_id})
        else:
            found[chain] = frozenset(params.testnet_chain_ids)
    return found


class LocalSigner:
    def __init__(
        self,
        mnemonic: str,
        contracts: Mapping[str, frozenset[str]],
        chain_ids: Mapping[str, frozenset[int]],
    ) -> None:
        self.keys = EvmKeys(mnemonic)
        self.contracts = contracts
        self.chain_ids = chain_ids

    @classmethod
    def for_settings(cls, mnemonic: str, settings: Settings) -> LocalSigner:
        return cls(mnemonic, allowed_contracts(settings), allowed_chain_ids(settings))

    async def sign_evm(self, request: EvmSignRequest) -> SignedEvmTx:
        try:
            key = policy.check(request, self.keys, self.contracts, self.chain_ids)
        except Exception as exc:
            audit.warning(
                "refused %s %s on %s: %s", request.purpose, request.ref, request.chain, exc
            )
            raise
        tx = request.tx
        fields: dict[str, Any] = {
            "chainId": request.chain_id,
            "nonce": tx.nonce,
            "to": tx.to,
            "value": tx.value,
            "data": tx.data if tx.data not in ("", "0x") else b"",
            "gas": tx.gas,
        }
        if tx.priority_fee is None:
            fields["gasPrice"] = tx.max_fee_per_gas
        else:
            fields["maxFeePerGas"] = tx.max_fee_per_gas
            fields["maxPriorityFeePerGas"] = tx.priority_fee
            fields["type"] = 2
        signed = Account.sign_transaction(fields, key)
        result = SignedEvmTx(
            tx_hash="0x" + signed.hash.hex().removeprefix("0x"),
            raw="0x" + signed.raw_transaction.hex().removeprefix("0x"),
        )
        audit.info(
            "signed %s %s on %s: nonce %d to %s hash %s",
            request.purpose,
            request.ref,
            request.chain,
            tx.nonce,
            tx.to,
            result.tx_hash,
        )
        return result
