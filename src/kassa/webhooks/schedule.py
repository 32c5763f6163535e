"""What happens after an attempt: the retry schedule and the fate of the delivery (pure).

Attempt 1 goes out at once; after the n-th consecutive failure the next attempt waits
``RETRY_DELAYS[n-1]`` (±20 % jitter), or longer when the target sent ``Retry-After``. After the
last delay's attempt fails the delivery is given up: 14 attempts over about 3 days and 3 hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from kassa.kit.timeutil import as_utc

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=3)
"""An endpoint whose every attempt failed for this long is disabled."""


class Fate(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    FAILED = "failed"
    """Given up: the schedule ran out, or retrying cannot help."""
    GONE = "gone"
    """The target answered 410: the endpoint is disabled, the delivery given up."""


@dataclass(frozen=True, slots=True)
class Decision:
    fate: Fate
    next_attempt_at: datetime | None = None
    failures: int = 0
    reason: str | None = None


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(timedelta(0), as_utc(when) - now)


def decide(
    *,
    status_code: int | None,
    permanent_error: bool,
    failures: int,
    now: datetime,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """The fate of a delivery after an attempt; ``failures`` counts the earlier ones."""
    if status_code is not None and 200 <= status_code < 300:
        return Decision(Fate.SUCCEEDED)
    if status_code == 410:
        return Decision(Fate.GONE, failures=failures + 1, reason="target answered 410 Gone")
    failed = failures + 1
    if permanent_error:
        return Decision(Fate.FAILED, failures=failed, reason="the target URL is not allowed")
    if failed >= MAX_ATTEMPTS:
        return Decision(Fate.FAILED, failures=failed, reason=f"gave up after {failed} attempts")
    delay = RETRY_DELAYS[failed - 1] * (rng or random).uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return Decision(Fate.RETRY, next_attempt_at=now + delay, failures=failed)


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
