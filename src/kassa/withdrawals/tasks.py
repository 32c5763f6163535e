"""Background work of this domain (to be built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.workers.loop import Loop

if TYPE_CHECKING:
    from kassa.runtime import Runtime


def loops(runtime: Runtime, owner: str) -> list[Loop]:
    """The loops the worker runner starts for this domain."""
    return []
