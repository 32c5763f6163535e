"""Merchant and API key management.

An API key is ``ks_`` followed by 43 URL-safe random characters. It is shown once; Kassa stores
its SHA-256 (the key has 256 bits of entropy, so a slow hash adds nothing) and a short prefix
for display.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kassa.kit.errors import BadRequest, NotFound
from kassa.merchants.repository import MerchantRepository
from kassa.merchants.scopes import Scope, format_scopes
from kassa.models import ApiKey, Merchant
from kassa.models.merchant import MerchantStatus

KEY_PREFIX = "ks_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str
    """The full key: returned once, never stored."""


def validate_fee_rate(rate: Decimal) -> Decimal:
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise BadRequest("fee rate must be a fraction between 0 and 1 (0.005 = 0.5 %)")
    return rate


async def create_merchant(session: AsyncSession, name: str, fee_rate: Decimal) -> Merchant:
    name = name.strip()
    if not name:
        raise BadRequest("merchant name must not be empty")
    merchant = Merchant(id=uuid.uuid4(), name=name, fee_rate=validate_fee_rate(fee_rate))
    MerchantRepository(session).add(merchant)
    await session.flush()
    return merchant


async def create_api_key(
    session: AsyncSession, merchant_id: uuid.UUID, scopes: frozenset[Scope]
) -> IssuedKey:
    repo = MerchantRepository(session)
    if await repo.get(merchant_id) is None:
        raise NotFound(f"merchant {merchant_id} not found")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        prefix=secret[:11],
        key_hash=hash_key(secret),
        scopes=format_scopes(scopes),
    )
    repo.add(key)
    await session.flush()
    return IssuedKey(key=key, secret=secret)


async def set_status(
    session: AsyncSession, merchant_id: uuid.UUID, status: MerchantStatus
) -> Merchant:
    merchant = await MerchantRepository(session).get(merchant_id)
    if merchant is None:
        raise NotFound(f"merchant {merchant_id} not found")
    merchant.status = status
    await session.flush()
    return merchant


async def set_fee_rate(session: AsyncSession, merchant_id: uuid.UUID, rate: Decimal) -> Merchant:
    merchant = await MerchantRepository(session).get(merchant_id)
    if merchant is None:
        raise NotFound(f"merchant {merchant_id} not found")
    merchant.fee_rate = validate_fee_rate(rate)
    await session.flush()
    return merchant
