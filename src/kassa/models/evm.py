"""Models of the evm domain: hot-wallet nonces, every transaction Kassa signs, and sweeps."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, UTCDateTime
from kassa.kit.timeutil import utcnow
from kassa.models.base import Base, CreatedAt, UUIDPk
from kassa.models.payment import DepositAddress

# The EVM watchlist reads the deposit addresses issued since its last look, per receiving key,
# by derivation index (see kassa.chains.evm.watchlist): this index makes that a range scan.
Index(
    "ix_deposit_addresses_chain_key_index",
    DepositAddress.chain,
    DepositAddress.key_id,
    DepositAddress.derivation_index,
)


class EvmNonce(Base):
    """The next nonce Kassa will use for a sending address (the hot wallet) on a chain."""

    __tablename__ = "evm_nonces"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)


class EvmTxPurpose(StrEnum):
    WITHDRAWAL = "withdrawal"
    """A payout handed over by the withdrawal service (``ref_id`` is the payout id)."""
    TOPUP = "topup"
    """Gas sent from the hot wallet to a deposit address so it can sweep a token."""
    SWEEP = "sweep"
    """Funds moved from a deposit address to the hot wallet."""


class EvmTxState(StrEnum):
    SIGNED = "signed"
    """Persisted, not yet accepted by the node."""
    BROADCAST = "broadcast"
    """Accepted by the node at least once."""
    REPLACED = "replaced"
    """Superseded by a transaction with the same nonce and a higher fee (``replaced_by``)."""
    REJECTED = "rejected"
    """Refused by the node for good; its nonce is free for the next transaction."""
    MINED = "mined"
    """Included in a block (successful or reverted: see the receipt)."""


class EvmTx(UUIDPk, CreatedAt, Base):
    """A transaction Kassa signed, persisted before it is broadcast (with its nonce), so that a
    retry re-broadcasts the very same bytes and a crash can never consume a second nonce."""

    __tablename__ = "evm_txs"
    __table_args__ = (
        Index("uq_evm_txs_chain_tx_hash", "chain", "tx_hash", unique=True),
        Index("ix_evm_txs_chain_from_nonce", "chain", "from_address", "nonce"),
        Index("ix_evm_txs_chain_state", "chain", "state"),
    )

    chain: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[EvmTxPurpose] = mapped_column(String(16))
    ref_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    from_address: Mapped[str] = mapped_column(String(64))
    key_index: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """Deposit derivation index of the sender; None for the hot wallet."""
    nonce: Mapped[int] = mapped_column(BigInteger)
    to_address: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(AtomicAmount, default=0)
    data: Mapped[str] = mapped_column(Text, default="0x")
    gas_limit: Mapped[int] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int] = mapped_column(AtomicAmount)
    """``maxFeePerGas`` of an EIP-1559 transaction, or the ``gasPrice`` of a legacy one."""
    priority_fee: Mapped[int | None] = mapped_column(AtomicAmount, default=None)
    """``maxPriorityFeePerGas``; None for a legacy transaction."""
    tx_hash: Mapped[str] = mapped_column(String(80))
    raw: Mapped[str] = mapped_column(Text)
    state: Mapped[EvmTxState] = mapped_column(String(16), default=EvmTxState.SIGNED)
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    broadcast_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def fee_cap(self) -> int:
        return self.gas_limit * self.max_fee_per_gas


class SweepState(StrEnum):
    DUST = "dust"
    """Checked: worth less than sweeping it would cost; looked at again after a new deposit."""
    TOPPING_UP = "topping_up"
    """Waiting for the hot wallet's gas top-up to be mined."""
    SENDING = "sending"
    """The sweep transaction is signed and broadcast, waiting to be mined."""
    DONE = "done"
    FAILED = "failed"


class EvmSweep(UUIDPk, CreatedAt, Base):
    """Moving one asset's balance from one deposit address to the hot wallet."""

    __tablename__ = "evm_sweeps"
    __table_args__ = (
        Index("ix_evm_sweeps_chain_state", "chain", "state"),
        Index("ix_evm_sweeps_chain_address_asset", "chain", "address", "asset"),
    )

    chain: Mapped[str] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    derivation_index: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(AtomicAmount, default=0)
    state: Mapped[SweepState] = mapped_column(String(16))
    topup_tx_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    sweep_tx_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    gas_limit: Mapped[int | None] = mapped_column(BigInteger, default=None)
    gas_price: Mapped[int | None] = mapped_column(AtomicAmount, default=None)
    """The sweep's legacy gas price, fixed when the top-up was sized."""
    fee_paid: Mapped[int] = mapped_column(AtomicAmount, default=0)
    """Gas spent by the top-up and the sweep, in the chain's gas coin (posted to the ledger)."""
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
