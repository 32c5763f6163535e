"""API key scopes."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    """Read payments, balances, history, prices."""
    WRITE = "write"
    """Create payments and other receiving objects."""
    PAYOUTS = "payouts"
    """Create withdrawals and batch payouts."""
    APPROVE = "approve"
    """Approve or reject draft withdrawals (cannot create payouts)."""
    ADMIN = "admin"
    """Manage the merchant's keys, webhook endpoints and settings."""


def parse_scopes(text: str) -> frozenset[Scope]:
    """``"read,write"`` → scopes; raises ``ValueError`` naming an unknown scope."""
    scopes: set[Scope] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            scopes.add(Scope(part))
        except ValueError:
            valid = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {part!r} (valid: {valid})") from None
    if not scopes:
        raise ValueError("at least one scope is required")
    return frozenset(scopes)


def format_scopes(scopes: frozenset[Scope]) -> str:
    return ",".join(s.value for s in Scope if s in scopes)
