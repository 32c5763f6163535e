"""Withdrawal fixtures: a merchant whose key may create payouts, and an approver key."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from kassa.merchants.scopes import Scope
from kassa.merchants.service import create_api_key
from kassa.runtime import Runtime
from kassa.withdrawals.service import set_withdrawal_limit
from tests.conftest import MerchantKey, make_merchant

PAYER_SCOPES = frozenset({Scope.READ, Scope.WRITE, Scope.PAYOUTS})


@pytest.fixture
async def payer(runtime: Runtime) -> MerchantKey:
    """A merchant and a key with read, write and payouts (no approve, no limit)."""
    return await make_merchant(runtime, "Payout Shop", scopes=PAYER_SCOPES)


async def add_key(
    runtime: Runtime, owner: MerchantKey, scopes: frozenset[Scope], limit_usd: str | None = None
) -> MerchantKey:
    async with runtime.db.session() as session:
        issued = await create_api_key(session, uuid.UUID(owner.merchant_id), scopes)
        if limit_usd is not None:
            await set_withdrawal_limit(session, issued.key.id, Decimal(limit_usd))
    return MerchantKey(merchant_id=owner.merchant_id, name=owner.name, key=issued.secret)


@pytest.fixture
async def approver(runtime: Runtime, payer: MerchantKey) -> MerchantKey:
    """A second key of the payer's merchant that may only read and approve."""
    return await add_key(runtime, payer, frozenset({Scope.READ, Scope.APPROVE}))


@pytest.fixture
async def limited(runtime: Runtime, payer: MerchantKey) -> MerchantKey:
    """A payouts key of the payer's merchant with a $100 withdrawal limit."""
    return await add_key(runtime, payer, PAYER_SCOPES, limit_usd="100")
