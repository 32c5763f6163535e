"""Chain matching: what one block of 10,000 transfers costs the watcher besides settlement,
against 1,000,000 watched addresses, relative to decoding that block's JSON.

The block is a synthetic ``eth_getBlockByNumber`` response (full transaction objects, the shape a
real node sends). The measured matching path is the watcher's own: ``ChainWatcher._deposits``
(the batched ``deposit_addresses`` lookup) plus the per-transfer ``match_key`` + dict lookup that
``ChainWatcher._apply`` does. Two mixes: 1 % of the transfers pay watched addresses (a busy
public chain) and 100 % (the worst case: every transfer is ours). Target (DESIGN.md): ≤ 2× the
JSON decoding time.

    uv run python -m bench.matching [--db sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bench.common import (
    Backend,
    Run,
    backends,
    fill_deposit_addresses,
    fresh_database,
    median,
    parser,
    watched_address,
)
from kassa.chains.base import Block, BlockRef, Transfer, match_key
from kassa.db import Database
from kassa.kit import jsonutil
from kassa.merchants.service import create_merchant
from kassa.models import DepositAddress
from kassa.watcher.service import MATCH_CHUNK, ChainWatcher

NAME = "matching"
CHAIN = "eth"
TRANSFERS = 10_000
TARGET = 2.0


@dataclass(frozen=True, slots=True)
class Plan:
    watched: int
    repeats: int

    @classmethod
    def of(cls, quick: bool) -> Plan:
        return cls(watched=100_000, repeats=3) if quick else cls(watched=1_000_000, repeats=7)


class _Adapter:
    """Only what ``ChainWatcher._deposits`` touches of an adapter."""

    chain_id = CHAIN


def block_json(watched: int, hit_fraction: float, seed: int) -> str:
    """A JSON-RPC block with ``TRANSFERS`` value transfers; ``hit_fraction`` of them pay
    addresses among the ``watched`` ones, the rest pay addresses nobody watches."""
    rng = random.Random(seed)
    hits = set(rng.sample(range(TRANSFERS), round(TRANSFERS * hit_fraction)))
    txs: list[dict[str, Any]] = []
    for i in range(TRANSFERS):
        to = (
            watched_address(rng.randrange(watched))
            if i in hits
            else f"0x{rng.getrandbits(160) | (1 << 159):040x}"
        )
        txs.append(
            {
                "blockHash": f"0x{seed:064x}",
                "blockNumber": "0x1312d00",
                "from": f"0x{rng.getrandbits(160):040x}",
                "gas": "0x5208",
                "gasPrice": "0x4a817c800",
                "maxFeePerGas": "0x6fc23ac00",
                "maxPriorityFeePerGas": "0x3b9aca00",
                "hash": f"0x{rng.getrandbits(256):064x}",
                "input": "0x",
                "nonce": hex(rng.randrange(1, 100_000)),
                "to": to,
                "transactionIndex": hex(i),
                "value": hex(rng.randrange(10**15, 10**19)),
                "type": "0x2",
                "accessList": [],
                "chainId": "0x1",
                "v": "0x1",
                "r": f"0x{rng.getrandbits(256):064x}",
                "s": f"0x{rng.getrandbits(256):064x}",
            }
        )
    block = {
        "number": "0x1312d00",
        "hash": f"0x{seed:064x}",
        "parentHash": f"0x{seed + 1:064x}",
        "timestamp": "0x6650a3b0",
        "transactions": txs,
    }
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": block})


def to_block(decoded: dict[str, Any]) -> Block:
    """The adapter's mapping (node JSON → canonical transfers), timed apart from matching."""
    raw = decoded["result"]
    transfers = tuple(
        Transfer(tx_hash=tx["hash"], index=0, to_address=tx["to"], amount=int(tx["value"], 16))
        for tx in raw["transactions"]
    )
    return Block(BlockRef(int(raw["number"], 16), raw["hash"]), raw["parentHash"], transfers)


async def match(watcher: ChainWatcher, transfers: Sequence[Transfer]) -> int:
    """Exactly the watcher's matching path: the batched lookup, then one dict probe per transfer."""
    deposits = await watcher._deposits(transfers)
    found = 0
    for transfer in transfers:
        if deposits.get(match_key(transfer.to_address, transfer.destination_tag)) is not None:
            found += 1
    return found


async def rows_only(db: Database, transfers: Sequence[Transfer]) -> int:
    """For comparison: the same chunked lookup selecting plain columns, not ORM objects."""
    keys = list({match_key(t.to_address, t.destination_tag) for t in transfers})
    found: dict[str, Any] = {}
    async with db.session() as session:
        for start in range(0, len(keys), MATCH_CHUNK):
            rows = await session.execute(
                select(DepositAddress.match_key, DepositAddress.payment_id).where(
                    DepositAddress.chain == CHAIN,
                    DepositAddress.match_key.in_(keys[start : start + MATCH_CHUNK]),
                )
            )
            found.update({row.match_key: row.payment_id for row in rows})
    return sum(1 for t in transfers if match_key(t.to_address, t.destination_tag) in found)


async def measure(
    db: Database, watcher: ChainWatcher, text: str, repeats: int
) -> dict[str, list[float]]:
    """Each repeat times every step back to back, so that all see the same machine load."""
    block = to_block(json.loads(text))
    times: dict[str, list[float]] = {k: [] for k in ("decode", "exact", "map", "match", "rows")}
    found: dict[str, list[float]] = {"match": [], "rows": []}
    for _ in range(repeats):
        for name, sync_work in (
            ("decode", lambda: json.loads(text)),
            ("exact", lambda: jsonutil.loads(text)),
            ("map", lambda: to_block(json.loads(text))),
        ):
            started = time.perf_counter()
            sync_work()
            times[name].append(time.perf_counter() - started)
        for name, async_work in (
            ("match", lambda: match(watcher, block.transfers)),
            ("rows", lambda: rows_only(db, block.transfers)),
        ):
            started = time.perf_counter()
            found[name].append(await async_work())
            times[name].append(time.perf_counter() - started)
    times["found"] = found["match"] + found["rows"]
    return times


async def bench_backend(backend: Backend, plan: Plan) -> dict[str, Any]:
    await fresh_database(backend.url)
    db = Database(backend.url)
    try:
        async with db.session() as session:
            merchant = await create_merchant(session, "Bench Store", Decimal(0))
        fill = await fill_deposit_addresses(
            db.engine,
            chain=CHAIN,
            key_id="eth:bench",
            count=plan.watched,
            merchant_id=str(merchant.id),
        )
        watcher = ChainWatcher(db, _Adapter(), "bench")  # type: ignore[arg-type]
        result: dict[str, Any] = {"watched": plan.watched, "fill_seconds": round(fill, 1)}
        for label, fraction in (("hits_1pct", 0.01), ("hits_100pct", 1.0)):
            text = block_json(plan.watched, fraction, seed=7 if fraction < 1 else 8)
            await match(watcher, to_block(json.loads(text)).transfers)  # warm the caches
            t = await measure(db, watcher, text, plan.repeats)
            expected = round(TRANSFERS * fraction)
            if set(t["found"]) != {expected}:
                raise SystemExit(f"matching found {t['found']}, expected {expected} each time")
            ms = {k: round(median(v) * 1000, 1) for k, v in t.items() if k != "found"}
            ratios = [m / d for m, d in zip(t["match"], t["decode"], strict=True)]
            result[label] = {
                "transfers": TRANSFERS,
                "matched": expected,
                "block_json_bytes": len(text),
                "decode_ms": ms["decode"],
                "decode_exact_ms": ms["exact"],
                "decode_and_map_ms": ms["map"],
                "match_ms": ms["match"],
                "ratio": round(median(ratios), 2),
                "ratio_vs_exact_decode": round(
                    median([m / d for m, d in zip(t["match"], t["exact"], strict=True)]), 2
                ),
                "lookup_plain_rows_ms": ms["rows"],
                "ratio_plain_rows": round(
                    median([m / d for m, d in zip(t["rows"], t["decode"], strict=True)]), 2
                ),
            }
        return result
    finally:
        await db.dispose()


def main() -> None:
    args = parser(__doc__ or NAME).parse_args()
    plan = Plan.of(args.quick)
    run = Run(NAME, args.quick)
    figures: dict[str, Any] = {
        "target_ratio_max": TARGET,
        "decoder": "json.loads (stdlib); decode_exact_ms: kassa.kit.jsonutil.loads",
        "backends": {},
    }
    parts = []
    with backends(args.db) as chosen:
        for backend in chosen:
            r = asyncio.run(bench_backend(backend, plan))
            figures["backends"][backend.name] = r
            one, all_ = r["hits_1pct"], r["hits_100pct"]
            parts.append(
                f"{backend.name}: 10,000 transfers vs {plan.watched:,} watched: match"
                f" {one['match_ms']} ms vs decode {one['decode_ms']} ms = {one['ratio']}×"
                f" at 1 % hits, {all_['match_ms']} ms = {all_['ratio']}× at 100 % hits"
                f" (target ≤ {TARGET}×)"
            )
    run.write(figures, " | ".join(parts))


if __name__ == "__main__":
    main()
