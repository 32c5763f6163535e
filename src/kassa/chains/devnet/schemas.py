"""Request and response shapes of ``/api/devnet``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kassa.chains.devnet.service import MAX_DESTINATION_TAG, MAX_INJECTED_FAILURES
from kassa.kit.validators import PositiveDecimal

MAX_MINE_BLOCKS = 100
MAX_REORG_DEPTH = 50


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PayRequest(_Request):
    asset: str = Field(description="Asset symbol, e.g. BTC or USDT-TRC20", examples=["BTC"])
    address: str = Field(description="A devnet address of the asset's chain (regtest on BTC/LTC)")
    amount: PositiveDecimal = Field(
        description="Amount in whole units, as a JSON number or string", examples=["0.015"]
    )
    destination_tag: Annotated[int, Field(strict=True, ge=0, le=MAX_DESTINATION_TAG)] | None = (
        Field(default=None, description="XRP only: the destination tag")
    )


class PayResponse(BaseModel):
    tx_hash: str
    chain: str
    network: str = "devnet"


class MineRequest(_Request):
    blocks: Annotated[int, Field(strict=True, ge=1, le=MAX_MINE_BLOCKS)] = Field(
        default=1, description="Blocks to mine on each chain"
    )
    chain: str | None = Field(default=None, description="Only this chain (default: every chain)")


class Tip(BaseModel):
    height: int
    hash: str


class MineResponse(BaseModel):
    network: str = "devnet"
    tips: dict[str, Tip]


class ReorgRequest(_Request):
    chain: str = Field(description="Chain id, e.g. btc, eth, tron", examples=["btc"])
    depth: Annotated[int, Field(strict=True, ge=1, le=MAX_REORG_DEPTH)] = Field(
        description="How many blocks at the top of the chain to orphan"
    )
    drop_txs: Annotated[bool, Field(strict=True)] = Field(
        default=True,
        description="Drop the orphaned blocks' transactions (a double spend) instead of "
        "returning them to the mempool",
    )


class ReorgResponse(BaseModel):
    network: str = "devnet"
    chain: str
    depth: int
    drop_txs: bool
    tip: Tip


class FailBroadcastRequest(_Request):
    chain: str = Field(description="Chain id, e.g. btc, eth, tron", examples=["tron"])
    count: Annotated[int, Field(strict=True, ge=1, le=MAX_INJECTED_FAILURES)] = Field(
        default=1, description="How many of the next broadcasts fail"
    )


class FailBroadcastResponse(BaseModel):
    network: str = "devnet"
    chain: str
    queued_failures: int


class ChainStatusResponse(BaseModel):
    height: int
    hash: str
    mempool: int


class StatusResponse(BaseModel):
    network: str = "devnet"
    block_seconds: float
    chains: dict[str, ChainStatusResponse]
