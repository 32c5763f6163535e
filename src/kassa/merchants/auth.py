"""``Authorization: Bearer ks_...`` authentication and scope checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kassa.deps import SessionDep
from kassa.kit.errors import Forbidden, Unauthorized
from kassa.merchants.repository import MerchantRepository
from kassa.merchants.scopes import Scope, parse_scopes
from kassa.merchants.service import hash_key
from kassa.models import ApiKey, Merchant
from kassa.models.merchant import MerchantStatus


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a merchant acting through one API key."""

    merchant: Merchant
    key: ApiKey
    scopes: frozenset[Scope]


class MissingCredentials(Unauthorized):
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise MissingCredentials("Missing API key: send Authorization: Bearer <key>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingCredentials("Invalid Authorization header: expected Bearer <key>")
    return token.strip()


bearer_scheme = HTTPBearer(
    auto_error=False, bearerFormat="ks_...", description="A Kassa API key: ks_ and 43 characters"
)
"""Declares the scheme in OpenAPI; the header itself is checked by :func:`require`."""

BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    async def authenticate(request: Request, session: SessionDep, _doc: BearerDoc) -> Principal:
        token = _bearer(request)
        found = await MerchantRepository(session).key_with_merchant(hash_key(token))
        if found is None or found[0].revoked_at is not None:
            raise MissingCredentials("Invalid API key")
        key, merchant = found
        if merchant.status != MerchantStatus.ACTIVE:
            raise Forbidden("Merchant account is disabled")
        scopes = parse_scopes(key.scopes)
        if scope not in scopes:
            raise Forbidden(f"This API key lacks the '{scope.value}' scope")
        return Principal(merchant=merchant, key=key, scopes=scopes)

    return authenticate


ReadAuth = Annotated[Principal, Depends(require(Scope.READ))]
WriteAuth = Annotated[Principal, Depends(require(Scope.WRITE))]
PayoutsAuth = Annotated[Principal, Depends(require(Scope.PAYOUTS))]
ApproveAuth = Annotated[Principal, Depends(require(Scope.APPROVE))]
AdminAuth = Annotated[Principal, Depends(require(Scope.ADMIN))]
