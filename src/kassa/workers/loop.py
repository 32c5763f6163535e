"""A background loop: a step run every ``interval`` seconds by the worker runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    step: Callable[[], Awaitable[object]]
    interval: float
