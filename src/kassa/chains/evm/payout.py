"""An EVM chain as a PayoutAdapter: withdrawals from the hot wallet (``xpub/1/0``).

* fees: EIP-1559 (``maxFeePerGas`` = 2 x next base fee + tip) where the chain has a base fee,
  legacy ``gasPrice`` otherwise (BSC);
* native coin or ERC-20 ``transfer``; gas estimated by the node (+20 % for tokens), 21,000 for a
  native payment to an address without code;
* ``sign`` raises :class:`~kassa.kit.errors.BroadcastRejected` when the hot wallet cannot cover
  the payout and its gas (nothing is signed, no nonce is used);
* nonces, idempotency per payout id, fee replacement: :mod:`.sender`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from kassa.assets.registry import Asset
from kassa.chains.base import FeeQuote, Payout, SignedTx, TxStatus
from kassa.chains.evm import transformers as tf
from kassa.chains.evm.client import RpcError
from kassa.chains.evm.node import EvmNode
from kassa.chains.evm.params import GAS_MARGIN, NATIVE_TRANSFER_GAS
from kassa.chains.evm.repository import EvmRepository
from kassa.chains.evm.sender import Call, EvmSender, signed_tx
from kassa.kit.errors import BroadcastRejected
from kassa.models.evm import EvmTxPurpose


class EvmPayoutAdapter:
    def __init__(
        self,
        chain_id: str,
        node: EvmNode,
        sender: EvmSender,
        hot_address: str,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.node = node
        self.sender = sender
        self.hot_address = hot_address
        self.overrides = dict(overrides or {})

    def contract_of(self, asset: Asset) -> str:
        """The token's contract on the configured node (an override, else the registry's)."""
        assert asset.contract is not None
        return tf.checksum(self.overrides.get(asset.symbol) or asset.contract)

    async def fee_quote(self, asset: Asset) -> FeeQuote:
        """Gas of one transfer at today's maximum fee bid (what :meth:`sign` will reserve)."""
        market = await self.node.fee_market()
        gas = NATIVE_TRANSFER_GAS if not asset.is_token else self.node.params.token_transfer_gas
        if asset.is_token:
            probe = tf.transfer_calldata(self.hot_address, 1)
            # when the hot wallet holds none of the token yet: the chain's typical figure
            with contextlib.suppress(RpcError):
                gas = self._margin(
                    await self.node.estimate_gas(
                        self.hot_address, self.contract_of(asset), 0, probe
                    )
                )
        return FeeQuote(
            native_asset=self.node.params.gas_symbol, amount=gas * market.max_fee_per_gas
        )

    async def sign(self, payout: Payout) -> SignedTx:
        async with self.sender.db.session() as session:
            existing = await EvmRepository(session, self.chain_id).latest_for(payout.id)
        if existing is not None:
            return signed_tx(existing)
        market = await self.node.fee_market()
        call = await self._call(payout)
        await self._check_funds(payout, call, market.max_fee_per_gas)
        tx = await self.sender.sign_hot(
            EvmTxPurpose.WITHDRAWAL, payout.id, self.hot_address, call, market.bid()
        )
        return signed_tx(tx)

    async def broadcast(self, tx: SignedTx) -> None:
        await self.sender.broadcast(tx.tx_hash, tx.raw)

    async def tx_status(self, tx_hash: str) -> TxStatus:
        return await self.sender.status(tx_hash)

    async def replace(self, tx_hash: str) -> SignedTx | None:
        """Replace a stuck transaction with a higher fee (same nonce); the worker does this by
        itself after ``replace_after_seconds``."""
        tx = await self.sender.replace_tx(tx_hash)
        return None if tx is None else signed_tx(tx)

    @staticmethod
    def _margin(gas: int) -> int:
        return gas * GAS_MARGIN[0] // GAS_MARGIN[1]

    async def _call(self, payout: Payout) -> Call:
        to = tf.checksum(payout.to_address)
        if not payout.asset.is_token:
            gas = NATIVE_TRANSFER_GAS
            if await self.node.code(to) not in ("0x", ""):
                gas = self._margin(
                    await self.node.estimate_gas(self.hot_address, to, payout.amount, "0x")
                )
            return Call(to=to, value=payout.amount, data="0x", gas=gas)
        contract = self.contract_of(payout.asset)
        data = tf.transfer_calldata(to, payout.amount)
        try:
            gas = self._margin(await self.node.estimate_gas(self.hot_address, contract, 0, data))
        except RpcError as exc:
            held = await self.node.token_balance(contract, self.hot_address)
            if held < payout.amount:
                raise BroadcastRejected(
                    f"Insufficient {payout.asset.symbol} in the hot wallet"
                ) from None
            raise BroadcastRejected(f"the token transfer would fail: {exc.reason}") from None
        return Call(to=contract, value=0, data=data, gas=gas)

    async def _check_funds(self, payout: Payout, call: Call, max_fee: int) -> None:
        native = await self.node.balance(self.hot_address)
        if native < call.value + call.gas * max_fee:
            raise BroadcastRejected("Insufficient funds for network fee in the hot wallet")
        if payout.asset.is_token:
            held = await self.node.token_balance(call.to, self.hot_address)
            if held < payout.amount:
                raise BroadcastRejected(f"Insufficient {payout.asset.symbol} in the hot wallet")
