"""The devnet as a :class:`~kassa.chains.base.PayoutAdapter`: it signs and broadcasts its own
payout transactions.

* **Fees** are fixed and realistic per chain, in the chain's native coin (:data:`DEVNET_FEES`).
  A token transfer on an EVM chain is quoted at its gas limit and, like on a real node, costs
  less once mined (the gas it used): the difference is what a withdrawal refunds.
* **Signing** encodes the transfer and authenticates it with a key derived from the devnet's own
  seed (the "hot wallet"); the transaction id is derived from the payout id, so signing the same
  payout twice gives the very same transaction.
* **Broadcasting** verifies the signature and puts the transfer in the chain's mempool (from the
  hot wallet to the destination); the next mined block includes it. A transaction the devnet
  already has is accepted again without effect. ``DevnetService.fail_next_broadcast`` makes the
  next broadcast on a chain fail with :class:`~kassa.kit.errors.BroadcastRejected`.
* **Status** reads the devnet tables: mempool, mined (with confirmations and the fee it cost),
  dropped by an injected reorg (failed for good), or unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Final

from kassa.assets.registry import Asset, registry
from kassa.chains.base import FeeQuote, Payout, SignedTx, TxState, TxStatus, confirmations
from kassa.chains.devnet import hashes
from kassa.chains.devnet.repository import DevnetRepository, NewTx
from kassa.chains.devnet.service import chain_by_id, genesis_block
from kassa.chains.devnet.wallet import ensure_mnemonic
from kassa.db import Database
from kassa.kit.errors import BroadcastRejected

INJECTED_FAILURE = "Insufficient funds for network fee (devnet: injected broadcast failure)"
_MAC_HEX = 64


@dataclass(frozen=True, slots=True)
class DevnetFee:
    """One chain's fees in atomic units of ``native_asset``."""

    native_asset: str
    transfer: int
    """A native-coin transfer: quoted and charged alike."""
    token_limit: int
    """A token transfer: the most it may cost (what is quoted)."""
    token_used: int
    """A token transfer: what it costs once mined."""


_GWEI: Final = 10**9
DEVNET_FEES: Final[dict[str, DevnetFee]] = {
    # 141 vB at 10 sat/vB; 226 B at 10 lit/B
    "btc": DevnetFee("BTC", 1_410, 1_410, 1_410),
    "ltc": DevnetFee("LTC", 2_260, 2_260, 2_260),
    # 21,000 gas for a transfer; tokens: 65,000 gas limit, 52,000 used
    "eth": DevnetFee("ETH", 21_000 * 2 * _GWEI, 65_000 * 2 * _GWEI, 52_000 * 2 * _GWEI),
    "bsc": DevnetFee("BNB", 21_000 * _GWEI, 65_000 * _GWEI, 52_000 * _GWEI),
    "polygon": DevnetFee("MATIC", 21_000 * 30 * _GWEI, 65_000 * 30 * _GWEI, 52_000 * 30 * _GWEI),
    # Arbitrum's gas is ETH at about 0.02 gwei
    "arbitrum": DevnetFee("ETH", 420_000_000_000, 2_000_000_000_000, 1_600_000_000_000),
    # 268 bytes of bandwidth burnt; a TRC-20 transfer at 1 TRX (the CoinWerx example)
    "tron": DevnetFee("TRX", 268_000, 1_000_000, 1_000_000),
    "solana": DevnetFee("SOL", 5_000, 5_000, 5_000),
    "xrp": DevnetFee("XRP", 12, 12, 12),
}


def quoted_fee(asset: Asset) -> int:
    fee = DEVNET_FEES[asset.chain.id]
    return fee.token_limit if asset.is_token else fee.transfer


def used_fee(asset: Asset) -> int:
    fee = DEVNET_FEES[asset.chain.id]
    return fee.token_used if asset.is_token else fee.transfer


def payout_tx_hash(asset: Asset, payout_id: uuid.UUID) -> str:
    return hashes.tx_hash_of(asset.chain.family, b"kassa-devnet-payout:" + payout_id.bytes)


def hot_wallet_key(mnemonic: str) -> bytes:
    """The devnet hot wallet's signing key, derived from the devnet seed."""
    return hashlib.sha256(b"kassa-devnet-hot-wallet:" + mnemonic.encode("utf-8")).digest()


def encode(payout: Payout, fee: int, key: bytes) -> str:
    """The raw transaction: the canonical JSON of the transfer, then its 32-byte MAC, in hex."""
    body = {
        "v": 1,
        "payout": str(payout.id),
        "asset": payout.asset.symbol,
        "to": payout.to_address,
        "tag": payout.destination_tag,
        "amount": str(payout.amount),
        "fee": str(fee),
    }
    data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return data.hex() + hmac.new(key, data, hashlib.sha256).hexdigest()


def decode(raw: str, key: bytes) -> dict[str, str | int | None]:
    """The transfer a raw transaction carries; :class:`BroadcastRejected` if it is not ours."""
    try:
        data = bytes.fromhex(raw[:-_MAC_HEX])
        mac = bytes.fromhex(raw[-_MAC_HEX:])
    except ValueError:
        raise BroadcastRejected("malformed transaction") from None
    if len(mac) != _MAC_HEX // 2 or not hmac.compare_digest(
        mac, hmac.new(key, data, hashlib.sha256).digest()
    ):
        raise BroadcastRejected("invalid signature")
    body: dict[str, str | int | None] = json.loads(data)
    return body


class DevnetPayoutAdapter:
    """Write access to one devnet chain (``chain_id`` is a registry chain id such as ``tron``)."""

    def __init__(self, db: Database, chain_id: str) -> None:
        self.db = db
        self.chain_id = chain_id
        self._chain = chain_by_id(chain_id)
        self._key: bytes | None = None

    async def _signing_key(self) -> bytes:
        if self._key is None:
            async with self.db.session() as session:
                self._key = hot_wallet_key(await ensure_mnemonic(session))
        return self._key

    async def fee_quote(self, asset: Asset) -> FeeQuote:
        """The devnet's fixed fee for one transfer of ``asset`` (no I/O)."""
        return FeeQuote(
            native_asset=DEVNET_FEES[self.chain_id].native_asset, amount=quoted_fee(asset)
        )

    async def sign(self, payout: Payout) -> SignedTx:
        """Sign with the hot wallet; the same payout always gives the same transaction."""
        fee = quoted_fee(payout.asset)
        raw = encode(payout, fee, await self._signing_key())
        return SignedTx(tx_hash=payout_tx_hash(payout.asset, payout.id), raw=raw, fee=fee)

    async def broadcast(self, tx: SignedTx) -> None:
        """Verify ``tx`` and put its transfer in the mempool (once, however often it is sent)."""
        body = decode(tx.raw, await self._signing_key())
        asset = registry().assets.get(str(body["asset"]))
        if asset is None or asset.chain.id != self.chain_id:
            raise BroadcastRejected(f"not a {self.chain_id} transaction")
        if payout_tx_hash(asset, uuid.UUID(str(body["payout"]))) != tx.tx_hash:
            raise BroadcastRejected("transaction id does not match its content")
        tag = body["tag"]
        new = NewTx(
            chain=self.chain_id,
            tx_hash=tx.tx_hash,
            output_index=0,
            to_address=str(body["to"]),
            amount=int(str(body["amount"])),
            contract=asset.contract,
            destination_tag=int(tag) if tag is not None else None,
        )
        async with self.db.session() as session:
            repo = DevnetRepository(session)
            if await repo.locate_tx(self.chain_id, tx.tx_hash) is not None:
                return
            refused = await repo.take_broadcast_fault(self.chain_id)
            if not refused:
                await repo.add_tx_once(new)
        if refused:  # raised after the commit, so the injected failure is used up
            raise BroadcastRejected(INJECTED_FAILURE)

    async def tx_status(self, tx_hash: str) -> TxStatus:
        """Mempool, mined (confirmations and the fee it cost), dropped, or unknown."""
        async with self.db.session() as session:
            repo = DevnetRepository(session)
            found = await repo.locate_tx(self.chain_id, tx_hash)
            tip = await repo.main_tip(self.chain_id) or genesis_block(self._chain)
        if found is None:
            return TxStatus(TxState.UNKNOWN)
        if found.dropped:
            return TxStatus(TxState.FAILED)
        if found.height is None:
            return TxStatus(TxState.PENDING)
        asset = registry().by_contract(self.chain_id, found.tx.contract)
        return TxStatus(
            TxState.MINED,
            block_height=found.height,
            confirmations=confirmations(tip.height, found.height),
            fee=used_fee(asset) if asset is not None else None,
        )
