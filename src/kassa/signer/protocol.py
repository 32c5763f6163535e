"""What the services ask the signer for, and the port they ask through. No key material here."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class Purpose(StrEnum):
    WITHDRAWAL = "withdrawal"
    """A merchant's payout, from the hot wallet to any address."""
    TOPUP = "topup"
    """Gas from the hot wallet to one of Kassa's own deposit addresses (before a token sweep)."""
    SWEEP = "sweep"
    """A deposit address's funds to the hot wallet, and nowhere else."""


@dataclass(frozen=True, slots=True)
class EvmTxFields:
    nonce: int
    to: str
    value: int
    data: str
    gas: int
    max_fee_per_gas: int
    """``maxFeePerGas`` (EIP-1559) or ``gasPrice`` (legacy, when ``priority_fee`` is None)."""
    priority_fee: int | None


@dataclass(frozen=True, slots=True)
class EvmSignRequest:
    chain: str
    """Kassa chain id (``eth``, ``bsc`` ...)."""
    chain_id: int
    """EIP-155 chain id the signature commits to."""
    purpose: Purpose
    ref: uuid.UUID
    """The withdrawal or sweep this transaction belongs to (audit log)."""
    sender: str
    """The address the services expect to sign: the signer checks its key derives it."""
    deposit_index: int | None
    """The sender's deposit derivation index for a sweep; the recipient's for a top-up."""
    tx: EvmTxFields

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ref"] = str(self.ref)
        data["purpose"] = str(self.purpose)
        data["tx"] = {k: (str(v) if isinstance(v, int) else v) for k, v in data["tx"].items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvmSignRequest:
        tx = data["tx"]
        return cls(
            chain=str(data["chain"]),
            chain_id=int(data["chain_id"]),
            purpose=Purpose(data["purpose"]),
            ref=uuid.UUID(str(data["ref"])),
            sender=str(data["sender"]),
            deposit_index=None if data.get("deposit_index") is None else int(data["deposit_index"]),
            tx=EvmTxFields(
                nonce=int(tx["nonce"]),
                to=str(tx["to"]),
                value=int(tx["value"]),
                data=str(tx["data"]),
                gas=int(tx["gas"]),
                max_fee_per_gas=int(tx["max_fee_per_gas"]),
                priority_fee=None if tx.get("priority_fee") is None else int(tx["priority_fee"]),
            ),
        )


@dataclass(frozen=True, slots=True)
class SignedEvmTx:
    tx_hash: str
    raw: str


class SignerRefused(Exception):
    """The signer's policy refused the request (never retried)."""


@runtime_checkable
class Signer(Protocol):
    """Signs what the withdrawal and sweep services hand it, or raises :class:`SignerRefused`;
    ``ChainUnavailable``-style retriable errors when it cannot be reached."""

    async def sign_evm(self, request: EvmSignRequest) -> SignedEvmTx: ...
