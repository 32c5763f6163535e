"""The retry schedule and Retry-After, as pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from kassa.webhooks import schedule
from kassa.webhooks.schedule import Fate, decide, parse_retry_after

NOW = datetime(2026, 4, 16, 2, 0, tzinfo=UTC)


def test_schedule_spans_about_three_days() -> None:
    total = sum(schedule.RETRY_DELAYS, timedelta(0))
    assert schedule.MAX_ATTEMPTS == 14
    assert timedelta(days=3) < total < timedelta(days=3, hours=6)


def test_only_2xx_succeeds() -> None:
    for ok in (200, 201, 204, 299):
        assert decide(status_code=ok, permanent_error=False, failures=3, now=NOW).fate == (
            Fate.SUCCEEDED
        )
    for code in (None, 199, 301, 400, 404, 429, 500, 503):
        assert decide(status_code=code, permanent_error=False, failures=0, now=NOW).fate == (
            Fate.RETRY
        )
    assert decide(status_code=410, permanent_error=False, failures=0, now=NOW).fate == Fate.GONE


def test_delays_are_jittered_around_the_schedule() -> None:
    rng = random.Random(7)
    for failures, nominal in enumerate(schedule.RETRY_DELAYS):
        decision = decide(
            status_code=500, permanent_error=False, failures=failures, now=NOW, rng=rng
        )
        assert decision.next_attempt_at is not None
        assert nominal * 0.8 <= decision.next_attempt_at - NOW <= nominal * 1.2
        assert decision.failures == failures + 1
    last = decide(
        status_code=500, permanent_error=False, failures=len(schedule.RETRY_DELAYS), now=NOW
    )
    assert last.fate == Fate.FAILED


def test_retry_after_is_a_floor_capped_at_a_day() -> None:
    seconds = parse_retry_after("120", NOW)
    assert seconds == timedelta(seconds=120)
    date = parse_retry_after("Thu, 16 Apr 2026 03:00:00 GMT", NOW)
    assert date == timedelta(hours=1)
    assert parse_retry_after("soon", NOW) is None
    later = decide(status_code=503, permanent_error=False, failures=0, now=NOW, retry_after=date)
    assert later.next_attempt_at == NOW + timedelta(hours=1)
    capped = decide(
        status_code=503,
        permanent_error=False,
        failures=0,
        now=NOW,
        retry_after=timedelta(days=30),
    )
    assert capped.next_attempt_at == NOW + schedule.MAX_RETRY_AFTER


def test_a_permanent_error_is_not_retried() -> None:
    assert decide(status_code=None, permanent_error=True, failures=0, now=NOW).fate == Fate.FAILED
