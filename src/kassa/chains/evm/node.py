"""Typed calls on an EVM node: the JSON-RPC methods Kassa uses, decoded by ``transformers``."""

from __future__ import annotations

from typing import Any

from kassa.chains.evm import transformers as tf
from kassa.chains.evm.client import RpcClient
from kassa.chains.evm.params import LOG_TOPIC_CHUNK, TRANSFER_TOPIC, EvmParams
from kassa.kit.errors import ChainUnavailable


class EvmNode:
    def __init__(self, client: RpcClient, params: EvmParams) -> None:
        self.client = client
        self.params = params
        self._chain_id: int | None = None

    async def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = tf.quantity(await self.client.call("eth_chainId"))
        return self._chain_id

    async def head(self) -> dict[str, Any]:
        raw = await self.client.call("eth_getBlockByNumber", "latest", False)
        if not isinstance(raw, dict):
            raise ChainUnavailable(f"{self.client.where} has no latest block")
        return raw

    async def block(self, height: int, full: bool = True) -> dict[str, Any] | None:
        raw = await self.client.call("eth_getBlockByNumber", tf.to_quantity(height), full)
        return raw if isinstance(raw, dict) else None

    async def transfer_logs(
        self, block_hash: str, contracts: list[str], recipients: list[str] | None
    ) -> list[dict[str, Any]]:
        """``Transfer`` logs of ``contracts`` in one block, optionally only to ``recipients``
        (topic lists chunked, one batch request)."""
        base: dict[str, object] = {"blockHash": block_hash, "address": contracts}
        if recipients is None:
            filters = [{**base, "topics": [TRANSFER_TOPIC]}]
        else:
            topics: list[str] = [tf.address_topic(a) for a in sorted(recipients)]
            filters = [
                {**base, "topics": _topics(topics[i : i + LOG_TOPIC_CHUNK])}
                for i in range(0, len(topics), LOG_TOPIC_CHUNK)
            ]
        answers = await self.client.batch([("eth_getLogs", [f]) for f in filters])
        logs: list[dict[str, Any]] = []
        for answer in answers:
            if not isinstance(answer, list):
                raise ChainUnavailable(f"{self.client.where} answered eth_getLogs with a non-list")
            logs.extend(answer)
        return logs

    async def fee_market(self) -> tf.FeeMarket:
        history, price = await self.client.batch(
            [("eth_feeHistory", ["0x5", "latest", [50]]), ("eth_gasPrice", [])]
        )
        return tf.fee_market(history, tf.quantity(price), self.params.min_priority_fee)

    async def nonce(self, address: str, tag: str = "pending") -> int:
        return tf.quantity(await self.client.call("eth_getTransactionCount", address, tag))

    async def balance(self, address: str) -> int:
        return tf.quantity(await self.client.call("eth_getBalance", address, "latest"))

    async def token_balance(self, contract: str, owner: str) -> int:
        answer = await self.client.call(
            "eth_call", {"to": contract, "data": tf.balance_of_calldata(owner)}, "latest"
        )
        return tf.quantity(answer) if answer not in ("0x", None) else 0

    async def estimate_gas(self, sender: str, to: str, value: int, data: str) -> int:
        call = {"from": sender, "to": to, "value": tf.to_quantity(value), "data": data}
        return tf.quantity(await self.client.call("eth_estimateGas", call))

    async def send_raw(self, raw: str) -> str:
        return str(await self.client.call("eth_sendRawTransaction", raw))

    async def receipts(self, hashes: list[str]) -> list[dict[str, Any] | None]:
        if not hashes:
            return []
        answers = await self.client.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        return [a if isinstance(a, dict) else None for a in answers]

    async def known(self, tx_hash: str) -> bool:
        return await self.client.call("eth_getTransactionByHash", tx_hash) is not None

    async def code(self, address: str) -> str:
        return str(await self.client.call("eth_getCode", address, "latest"))


def _topics(recipients: list[str]) -> list[object]:
    """Topic filter: a Transfer (topic 0), from anyone (topic 1), to one of ``recipients``."""
    return [TRANSFER_TOPIC, None, recipients]
