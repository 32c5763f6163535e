"""Background work of the webhook domain: the dispatcher."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kassa.webhooks.dispatcher import Dispatcher
from kassa.webhooks.ssrf import TargetPolicy
from kassa.webhooks.vault import SecretKeyError, secret_box
from kassa.workers.loop import Loop

if TYPE_CHECKING:
    from kassa.config import Settings
    from kassa.runtime import Runtime

log = logging.getLogger(__name__)


def announce_policy(settings: Settings) -> None:
    """Say at start what the SSRF guard lets through when it is relaxed."""
    policy = TargetPolicy.from_settings(settings)
    if not (policy.allow_http or policy.allowed):
        return
    networks = ", ".join(str(n) for n in policy.allowed) or "none"
    where = "devnet default" if settings.network == "devnet" else "operator setting"
    log.warning(
        "webhooks (%s): http targets %s; private networks allowed: %s "
        "(KASSA_WEBHOOK_ALLOW_HTTP / KASSA_WEBHOOK_ALLOWED_NETWORKS)",
        where,
        "allowed" if policy.allow_http else "refused",
        networks,
    )


def loops(runtime: Runtime, owner: str) -> list[Loop]:
    """The webhook dispatcher. Raises (refusing to start) without a usable KASSA_SECRET_KEY
    outside the devnet."""
    settings = runtime.settings
    box = secret_box(settings)
    announce_policy(settings)
    dispatcher = Dispatcher.from_settings(runtime.db, settings, box)
    # The step waits for work itself (up to KASSA_WEBHOOK_POLL_SECONDS): no extra sleep.
    return [Loop("webhooks:dispatch", dispatcher.step, 0.0)]


def require_secret_key(settings: Settings) -> None:
    """Refuse to start (exit 1 with the reason) without a usable ``KASSA_SECRET_KEY``."""
    try:
        secret_box(settings)
    except SecretKeyError as exc:
        raise SystemExit(f"error: {exc.message}") from None
