"""``/api/devnet``: drive Kassa's built-in test network — pay, mine, reorganise, inspect.

Only on a gateway running with ``KASSA_NETWORK=devnet``; elsewhere every route is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from kassa.assets.registry import registry
from kassa.chains.devnet import schemas
from kassa.chains.devnet.service import NETWORK, DevnetService
from kassa.deps import SessionDep, get_runtime
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.errors import NotFound
from kassa.merchants.auth import ReadAuth, WriteAuth

NOT_ENABLED = "The devnet is not enabled on this gateway"


async def require_devnet(request: Request) -> None:
    """Runs before authentication: on a real network the devnet does not exist at all."""
    if get_runtime(request).settings.network != NETWORK:
        raise NotFound(NOT_ENABLED)


router = APIRouter(
    prefix="/devnet",
    tags=["devnet"],
    route_class=ExactRoute,
    dependencies=[Depends(require_devnet)],
)


@router.post("/pay", responses={200: {"model": schemas.PayResponse}})
async def pay(body: schemas.PayRequest, _auth: WriteAuth, session: SessionDep) -> ExactJSONResponse:
    """Send test funds to any devnet address, as if from an outside wallet.

    The transaction enters the mempool at once (0 confirmations) and is included in the next
    mined block. Use it to pay a payment's deposit address; on XRP give the `destination_tag` (or
    an X-address that carries it).
    """
    asset = registry().get(body.asset)
    tx_hash = await DevnetService(session).pay(
        asset, body.address, body.amount, body.destination_tag
    )
    return ExactJSONResponse({"tx_hash": tx_hash, "chain": asset.chain.id, "network": NETWORK})


@router.post("/mine", responses={200: {"model": schemas.MineResponse}})
async def mine(
    body: schemas.MineRequest, _auth: WriteAuth, session: SessionDep
) -> ExactJSONResponse:
    """Mine `blocks` blocks now on every chain, or only on `chain`; returns the new tips.

    The first block of each chain includes its whole mempool. Blocks are also mined on a timer
    (`KASSA_DEVNET_BLOCK_SECONDS`).
    """
    chains = None if body.chain is None else [body.chain]
    tips = await DevnetService(session).mine(chains, body.blocks)
    return ExactJSONResponse(
        {
            "network": NETWORK,
            "tips": {cid: {"height": t.height, "hash": t.hash} for cid, t in tips.items()},
        }
    )


@router.post("/reorg", responses={200: {"model": schemas.ReorgResponse}})
async def reorg(
    body: schemas.ReorgRequest, _auth: WriteAuth, session: SessionDep
) -> ExactJSONResponse:
    """Inject a chain reorganisation: the top `depth` blocks of `chain` leave the main chain.

    Their transactions are dropped (a double spend; never mined again) or, with
    `drop_txs: false`, returned to the mempool. A competing branch of `depth + 1` empty blocks
    becomes the main chain. Receipts in orphaned blocks are reverted by the watcher.
    """
    tip = await DevnetService(session).reorg(body.chain, body.depth, body.drop_txs)
    return ExactJSONResponse(
        {
            "network": NETWORK,
            "chain": body.chain,
            "depth": body.depth,
            "drop_txs": body.drop_txs,
            "tip": {"height": tip.height, "hash": tip.hash},
        }
    )


@router.post("/fail-next-broadcast", responses={200: {"model": schemas.FailBroadcastResponse}})
async def fail_next_broadcast(
    body: schemas.FailBroadcastRequest, _auth: WriteAuth, session: SessionDep
) -> ExactJSONResponse:
    """Make the next payout broadcast(s) on `chain` fail, as if the node refused them for good.

    The withdrawal being broadcast then fails, its held balance is restored in full and a
    `withdrawal.failed` event is sent. `count` failures are queued (default 1).
    """
    queued = await DevnetService(session).fail_next_broadcast(body.chain, body.count)
    return ExactJSONResponse({"network": NETWORK, "chain": body.chain, "queued_failures": queued})


@router.get("/status", responses={200: {"model": schemas.StatusResponse}})
async def status(request: Request, _auth: ReadAuth, session: SessionDep) -> ExactJSONResponse:
    """Every devnet chain's tip height and hash, and how many transactions wait in its mempool."""
    chains = await DevnetService(session).status()
    return ExactJSONResponse(
        {
            "network": NETWORK,
            "block_seconds": get_runtime(request).settings.devnet_block_seconds,
            "chains": {
                c.chain: {"height": c.height, "hash": c.hash, "mempool": c.mempool} for c in chains
            },
        }
    )
