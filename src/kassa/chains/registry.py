"""Which adapter reads which chain, from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.chains.base import ChainAdapter, PayoutAdapter
from kassa.chains.devnet.adapter import DevnetAdapter

if TYPE_CHECKING:
    from kassa.runtime import Runtime


def adapter_for(runtime: Runtime, chain_id: str) -> ChainAdapter | None:
    """The adapter for ``chain_id``, or None when this gateway cannot read that chain."""
    if runtime.settings.network == "devnet":
        return DevnetAdapter(runtime.db, chain_id)
    return None


def payout_adapter_for(runtime: Runtime, chain_id: str) -> PayoutAdapter | None:
    """The adapter that sends on ``chain_id``, or None when this gateway cannot send there."""
    return None
