"""Idempotency fixtures: a merchant whose key may create payments and payouts."""

from __future__ import annotations

import pytest

from kassa.runtime import Runtime
from tests.conftest import MerchantKey, make_merchant
from tests.withdrawals.conftest import PAYER_SCOPES


@pytest.fixture
async def payer(runtime: Runtime) -> MerchantKey:
    return await make_merchant(runtime, "Idempotent Shop", scopes=PAYER_SCOPES)
