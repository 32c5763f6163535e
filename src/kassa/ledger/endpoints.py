"""``/api/ledger``: balances and the journal as the merchant sees it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kassa.assets.registry import registry
from kassa.deps import SessionDep
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.money import format_atomic
from kassa.kit.pagination import PageDep
from kassa.kit.timeutil import isoformat
from kassa.ledger import schemas
from kassa.ledger.repository import LedgerRepository
from kassa.ledger.service import merchant_balances
from kassa.merchants.auth import ReadAuth

router = APIRouter(prefix="/ledger", tags=["ledger"], route_class=ExactRoute)


@router.get("/balance", responses={200: {"model": schemas.BalanceResponse}})
async def get_balance(auth: ReadAuth, session: SessionDep) -> ExactJSONResponse:
    """Current balance per asset: ``available`` (confirmed, net of fees) and ``pending``
    (seen on-chain, awaiting confirmations)."""
    assets = registry().assets
    balances = await merchant_balances(session, auth.merchant.id)
    body = {
        "merchant": auth.merchant.name,
        "balances": {
            symbol: {
                "available": format_atomic(b.available, assets[symbol].decimals),
                "pending": format_atomic(b.pending, assets[symbol].decimals),
            }
            for symbol, b in balances.items()
            if symbol in assets
        },
    }
    return ExactJSONResponse(body)


@router.get("/history", responses={200: {"model": schemas.HistoryResponse}})
async def get_history(
    auth: ReadAuth,
    session: SessionDep,
    page: PageDep,
    asset: Annotated[str | None, Query(description="Filter by asset, e.g. BTC")] = None,
) -> ExactJSONResponse:
    """Ledger entries of the merchant's accounts, newest first."""
    assets = registry().assets
    symbol = registry().get(asset).symbol if asset else None
    rows, total = await LedgerRepository(session).history(
        auth.merchant.id, symbol, page.limit, page.offset
    )
    entries = [
        {
            "id": entry.id,
            "type": tx.kind,
            "asset": entry.asset,
            "balance": entry.kind,
            "amount": format_atomic(entry.amount, assets[entry.asset].decimals),
            "payment_id": str(tx.payment_id) if tx.payment_id else None,
            "transaction_id": str(tx.id),
            "description": tx.description,
            "created_at": isoformat(entry.created_at),
        }
        for entry, tx in rows
    ]
    return ExactJSONResponse(
        {"entries": entries, "total": total, "limit": page.limit, "offset": page.offset}
    )
