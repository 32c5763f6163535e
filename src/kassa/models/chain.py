from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kassa.kit.dbtypes import UTCDateTime
from kassa.models.base import Base


class ChainCursor(Base):
    """How far the watcher has processed a chain."""

    __tablename__ = "chain_cursors"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    height: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(128))


class ChainBlock(Base):
    """Recent processed blocks: the watcher's memory for detecting reorgs."""

    __tablename__ = "chain_blocks"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    height: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(128))
    parent_hash: Mapped[str] = mapped_column(String(128))


class WorkerLease(Base):
    """Exactly one holder per named job at a time (e.g. ``watcher:btc``)."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
