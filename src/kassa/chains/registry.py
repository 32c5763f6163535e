"""Which adapter reads which chain, from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.chains.base import ChainAdapter, PayoutAdapter
from kassa.chains.devnet.adapter import DevnetAdapter

if TYPE_CHECKING:
    from kassa.runtime import Runtime


def can_watch(runtime: Runtime, chain_id: str) -> bool:
    """Whether this gateway has an adapter that reads ``chain_id`` (without building it)."""
    if runtime.settings.network == "devnet":
        return True
    from kassa.chains.evm.wiring import is_evm

    return is_evm(runtime, chain_id)


def adapter_for(runtime: Runtime, chain_id: str) -> ChainAdapter | None:
    """The adapter for ``chain_id``, or None when this gateway cannot read that chain."""
    if runtime.settings.network == "devnet":
        return DevnetAdapter(runtime.db, chain_id)
    from kassa.chains.evm.wiring import evm_chain

    evm = evm_chain(runtime, chain_id)
    return evm.adapter if evm is not None else None


def payout_adapter_for(runtime: Runtime, chain_id: str) -> PayoutAdapter | None:
    """The adapter that sends on ``chain_id``, or None when this gateway cannot send there."""
    if runtime.settings.network == "devnet":
        from kassa.chains.devnet.payout import DevnetPayoutAdapter

        return DevnetPayoutAdapter(runtime.db, chain_id)
    from kassa.chains.evm.wiring import evm_chain

    evm = evm_chain(runtime, chain_id)
    return evm.payout if evm is not None else None
