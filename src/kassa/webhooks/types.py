"""Event types and subscription patterns (pure).

A subscription pattern is ``*`` (everything), ``<family>.*`` (e.g. ``payment.*``) or an exact
type. Families whose event types are all known here are checked strictly, so a typo such as
``payment.confimed`` is a 400 rather than an endpoint that silently never fires.
"""

from __future__ import annotations

import re

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "payment": (
        "detected",
        "received",
        "confirmed",
        "expired",
        "underpaid",
        "reverted",
        "other_asset_received",
    ),
    "withdrawal": ("pending", "broadcasting", "completed", "failed"),
    "webhook_endpoint": ("disabled", "test"),
}
OPEN_FAMILIES = ("batch", "invoice")
"""Families whose members are defined by their own domains; any name is accepted."""

ENDPOINT_DISABLED = "webhook_endpoint.disabled"
ENDPOINT_TEST = "webhook_endpoint.test"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_PATTERNS = 50


def families() -> tuple[str, ...]:
    return (*EVENT_TYPES, *OPEN_FAMILIES)


def check_pattern(pattern: str) -> str:
    """The normalised pattern; raises ``ValueError`` with a message for the client."""
    pattern = pattern.strip().lower()
    if pattern == "*":
        return pattern
    family, dot, name = pattern.partition(".")
    if not dot or not _NAME.match(family) or not (name == "*" or _NAME.match(name)):
        raise ValueError(f"{pattern!r} is not an event type, '<family>.*' or '*'")
    if family not in families():
        raise ValueError(f"unknown event family {family!r} (known: {', '.join(families())})")
    if name != "*" and family in EVENT_TYPES and name not in EVENT_TYPES[family]:
        known = ", ".join(f"{family}.{n}" for n in EVENT_TYPES[family])
        raise ValueError(f"unknown event type {pattern!r} (known: {known})")
    return pattern


def check_patterns(patterns: list[str]) -> list[str]:
    if not patterns:
        raise ValueError("subscribe to at least one event type ('*' for all)")
    if len(patterns) > MAX_PATTERNS:
        raise ValueError(f"at most {MAX_PATTERNS} event types")
    return list(dict.fromkeys(check_pattern(p) for p in patterns))


def matches(patterns: list[str], event_type: str) -> bool:
    family = event_type.partition(".")[0]
    return any(p in ("*", event_type, f"{family}.*") for p in patterns)


def split(stored: str) -> list[str]:
    return [p for p in stored.split(",") if p]


def join(patterns: list[str]) -> str:
    return ",".join(patterns)
