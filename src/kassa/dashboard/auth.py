"""Dashboard users: argon2id passwords, server-side sessions, CSRF tokens, login lockout.

* Passwords are hashed with argon2id (argon2-cffi's defaults); a login with an unknown email
  still runs one verification, so timing does not tell which emails exist.
* A session is a random 256-bit token in an ``HttpOnly; SameSite=Lax`` cookie; only its SHA-256
  is stored. Each session has its own CSRF token, required on every form post.
* Lockout: 5 failed logins for one email within 15 minutes (counted since its last success),
  or 20 from one IP address, refuse further tries until the window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from kassa.dashboard.repository import DashboardRepository
from kassa.kit.errors import BadRequest, Conflict, HTTPError, NotFound
from kassa.merchants.repository import MerchantRepository
from kassa.models import Merchant
from kassa.models.invoice import DashboardSession, DashboardUser, LoginAttempt
from kassa.models.merchant import MerchantStatus

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

HASHER = PasswordHasher()
"""argon2id with argon2-cffi's default (RFC 9106 low-memory) parameters."""


class LoginFailed(HTTPError):
    """401: wrong email or password (never says which)."""

    status_code = 401


class LockedOut(HTTPError):
    """429: too many failed logins."""

    status_code = 429


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise BadRequest("Invalid email: must be an email address")
    return email


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"Invalid password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest(f"Invalid password: must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def create_user(
    session: AsyncSession, merchant_id: uuid.UUID, email: str, password: str
) -> DashboardUser:
    if await MerchantRepository(session).get(merchant_id) is None:
        raise NotFound(f"merchant {merchant_id} not found")
    address = normalise_email(email)
    repo = DashboardRepository(session)
    if await repo.user_by_email(address) is not None:
        raise Conflict(f"A dashboard user with email {address} already exists")
    user = DashboardUser(
        id=uuid.uuid4(),
        merchant_id=merchant_id,
        email=address,
        password_hash=HASHER.hash(check_password(password)),
    )
    repo.add(user)
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class LoggedIn:
    token: str
    """The cookie value: shown to the browser once, stored only as a hash."""
    session: DashboardSession


async def _locked(repo: DashboardRepository, email: str, ip: str, now: datetime) -> bool:
    since = now - LOCKOUT_WINDOW
    last_success = await repo.last_success(email, since)
    failures = await repo.failures_for_email(email, max(since, last_success or since))
    return (
        failures >= MAX_FAILURES_PER_EMAIL
        or await repo.failures_for_ip(ip, since) >= MAX_FAILURES_PER_IP
    )


async def login(
    session: AsyncSession, email: str, password: str, ip: str, now: datetime
) -> LoggedIn | HTTPError:
    """Check the password and open a session; every try is recorded for the lockout.

    A refusal is returned, not raised, so that the caller commits the recorded attempt.
    """
    repo = DashboardRepository(session)
    address = email.strip().lower()[:254]
    if await _locked(repo, address, ip, now):
        return LockedOut("Too many failed logins. Try again in 15 minutes.")
    user = await repo.user_by_email(address)
    ok = _verify(user.password_hash if user else _dummy_hash(), password[:MAX_PASSWORD_LENGTH])
    merchant = await MerchantRepository(session).get(user.merchant_id) if user else None
    active = (
        user is not None
        and user.disabled_at is None
        and merchant is not None
        and merchant.status == MerchantStatus.ACTIVE
    )
    repo.add(LoginAttempt(id=uuid.uuid4(), email=address, ip=ip, succeeded=ok and active))
    if not (ok and active) or user is None:
        await session.flush()
        return LoginFailed("Invalid email or password")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    row = DashboardSession(
        token_hash=token_hash(token),
        user_id=user.id,
        merchant_id=user.merchant_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    repo.add(row)
    await session.flush()
    return LoggedIn(token=token, session=row)


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that both cases take as long."""
    return HASHER.hash("kassa: no such user")


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Current:
    """The logged-in user of a request."""

    user: DashboardUser
    merchant: Merchant
    session: DashboardSession


async def current(session: AsyncSession, token: str | None, now: datetime) -> Current | None:
    if not token:
        return None
    repo = DashboardRepository(session)
    row = await repo.session_by_hash(token_hash(token))
    if row is None or row.expires_at <= now:
        return None
    user = await session.get(DashboardUser, row.user_id)
    merchant = await MerchantRepository(session).get(row.merchant_id)
    if (
        user is None
        or user.disabled_at is not None
        or merchant is None
        or merchant.status != MerchantStatus.ACTIVE
    ):
        return None
    return Current(user=user, merchant=merchant, session=row)


async def logout(session: AsyncSession, token: str) -> None:
    await DashboardRepository(session).delete_session(token_hash(token))
