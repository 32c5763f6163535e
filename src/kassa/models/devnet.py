from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import AtomicAmount, UTCDateTime
from kassa.models.base import Base, CreatedAt


class DevnetWallet(Base):
    """The devnet's own seed: a test network's keys, never used on a real chain."""

    __tablename__ = "devnet_wallet"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mnemonic: Mapped[str] = mapped_column(Text)


class DevnetBlock(Base):
    __tablename__ = "devnet_blocks"
    __table_args__ = (Index("ix_devnet_blocks_main", "chain", "orphaned", "height"),)

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    height: Mapped[int] = mapped_column(BigInteger)
    parent_hash: Mapped[str] = mapped_column(String(128))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    orphaned: Mapped[bool] = mapped_column(Boolean, default=False)


class DevnetTx(CreatedAt, Base):
    """A devnet transfer: in the mempool while ``block_hash`` is null."""

    __tablename__ = "devnet_txs"
    __table_args__ = (
        Index("uq_devnet_txs_chain_tx_index", "chain", "tx_hash", "output_index", unique=True),
        Index("ix_devnet_txs_block", "chain", "block_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str] = mapped_column(String(128))
    output_index: Mapped[int] = mapped_column(Integer)
    to_address: Mapped[str] = mapped_column(String(128))
    destination_tag: Mapped[int | None] = mapped_column(BigInteger, default=None)
    contract: Mapped[str | None] = mapped_column(String(128), default=None)
    amount: Mapped[int] = mapped_column(AtomicAmount)
    block_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    """Removed by an injected reorg: it will never be mined (a double spend)."""


class DevnetBroadcastFault(Base):
    """How many of a chain's next payout broadcasts the devnet refuses (injected failures)."""

    __tablename__ = "devnet_broadcast_faults"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    remaining: Mapped[int] = mapped_column(Integer)
