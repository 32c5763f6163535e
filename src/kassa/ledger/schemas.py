"""Response shapes of ``/api/ledger`` (for the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel


class AssetBalance(BaseModel):
    available: str
    pending: str


class BalanceResponse(BaseModel):
    merchant: str
    balances: dict[str, AssetBalance]


class HistoryEntry(BaseModel):
    id: int
    type: str
    asset: str
    balance: str
    amount: str
    payment_id: str | None
    transaction_id: str
    description: str | None
    created_at: str


class HistoryResponse(BaseModel):
    entries: list[HistoryEntry]
    total: int
    limit: int
    offset: int
