"""Dashboard: withdrawals, and approving or rejecting drafts (the withdrawals service decides).

A dashboard user acts for the whole merchant. The withdrawals service records who decided a
draft as an API key id; from the dashboard that id is the dashboard user's id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kassa.dashboard import auth
from kassa.dashboard.deps import PAGE_SIZE, CsrfUserDep, UserDep, page, redirect
from kassa.dashboard.views import pager, parse_uuid, when
from kassa.deps import SessionDep
from kassa.kit.errors import HTTPError, NotFound
from kassa.merchants.auth import Principal
from kassa.merchants.scopes import Scope
from kassa.models import ApiKey
from kassa.models.withdrawal import WithdrawalStatus
from kassa.withdrawals import service
from kassa.withdrawals.repository import WithdrawalFilter, WithdrawalRepository
from kassa.withdrawals.views import withdrawal_body

router = APIRouter(include_in_schema=False)


def _principal(user: auth.Current) -> Principal:
    """The dashboard user as an approver (no API key is involved)."""
    key = ApiKey(
        id=user.user.id, merchant_id=user.merchant.id, prefix="dashboard", scopes="approve"
    )
    return Principal(merchant=user.merchant, key=key, scopes=frozenset({Scope.APPROVE}))


@router.get("/dashboard/withdrawals")
async def list_withdrawals(
    request: Request,
    user: UserDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    statuses = [s.value for s in WithdrawalStatus]
    rows, total = await WithdrawalRepository(session).list_for_merchant(
        user.merchant.id,
        WithdrawalFilter(status=status if status in statuses else None),
        PAGE_SIZE,
        (page_number - 1) * PAGE_SIZE,
    )
    items = []
    for w in rows:
        body = withdrawal_body(w)
        body["created"] = when(w.created_at)
        items.append(body)
    context = {
        "withdrawals": items,
        "total": total,
        "status": status,
        "statuses": statuses,
        "pager": pager("/dashboard/withdrawals", {"status": status}, page_number, total, PAGE_SIZE),
    }
    return page(request, user, "withdrawals.html", "withdrawals", context)


async def _decide(
    request: Request, user: auth.Current, session: SessionDep, withdrawal_id: str, approve: bool
) -> Response:
    back = "/dashboard/withdrawals"
    try:
        wid = parse_uuid(withdrawal_id)
        if wid is None:
            raise NotFound("Withdrawal not found")
        withdrawal = await service.decide(session, _principal(user), wid, approve)
    except HTTPError as exc:
        return redirect(request, back, message=exc.message, error=True)
    verb = "approved" if approve else "rejected"
    return redirect(request, back, message=f"Withdrawal {withdrawal.id} {verb}")


@router.post("/dashboard/withdrawals/{withdrawal_id}/approve")
async def approve(
    withdrawal_id: str, request: Request, user: CsrfUserDep, session: SessionDep
) -> Response:
    return await _decide(request, user, session, withdrawal_id, approve=True)


@router.post("/dashboard/withdrawals/{withdrawal_id}/reject")
async def reject(
    withdrawal_id: str, request: Request, user: CsrfUserDep, session: SessionDep
) -> Response:
    return await _decide(request, user, session, withdrawal_id, approve=False)
