"""Standard Webhooks signatures (https://www.standardwebhooks.com), for sending and receiving.

A request carries ``webhook-id`` (stable across retries), ``webhook-timestamp`` (Unix seconds)
and ``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``,
one per valid secret (two during a rotation's grace period). Secrets are ``whsec_`` followed by
the base64 of 32 random bytes.

This module has no dependency beyond the standard library and :mod:`kassa.kit`, so receivers can
use :func:`verify` (also exported as ``kassa.webhooks.verify``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

from kassa.kit import jsonutil
from kassa.kit.errors import KassaError

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


class InvalidSignature(KassaError):
    """The request is not signed by the secret, or is too old or too new to trust."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_...`` secret."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("webhook secret is not whsec_ followed by base64") from None
    if not key:
        raise InvalidSignature("webhook secret is empty")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>`` for one key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(keys: Iterable[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one signature per key, newest first."""
    return " ".join(signature(key, message_id, timestamp, body) for key in keys)


def headers(keys: Iterable[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(keys, message_id, timestamp, body),
    }


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> Any:
    """Check a Kassa webhook and return its payload (amounts as exact ``Decimal``).

    ``body`` is the raw request body, exactly as received; ``headers`` the request headers (any
    case); ``secret`` the ``whsec_...`` secret of the endpoint or the merchant. Raises
    :class:`InvalidSignature` when a header is missing, the timestamp is more than ``tolerance``
    seconds away from now (replays), or no ``v1`` signature matches.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (message_id and stamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not a Unix timestamp") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidSignature("webhook-timestamp is outside the tolerance")
    expected = signature(secret_key(secret), message_id, timestamp, raw).encode("ascii")
    for candidate in signatures.split():
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return jsonutil.loads(raw)
    raise InvalidSignature("no matching signature")
