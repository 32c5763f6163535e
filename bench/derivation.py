"""Address derivation: deposit addresses per second through ``kassa.keys.derivation`` against raw
bip-utils doing the same work (parse the account xpub once, derive ``…/0`` once, then one public
child derivation and one address encoding per index), on one core.

Kassa and raw alternate every 100 addresses so that both see the same machine load, and time is
this process's CPU time (time spent descheduled on a shared machine does not count); the median
round ratio is the figure. For reference it also times bip-utils' high-level ``Bip44``/``Bip84``
API, which re-derives the chain level for every address.
Target (DESIGN.md): ≥ 90 % of raw bip-utils.

    uv run python -m bench.derivation [--quick]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bip_utils import (
    Bip32KeyNetVersions,
    Bip32Secp256k1,
    Bip44,
    Bip44Changes,
    Bip44Coins,
    Bip84,
    Bip84Coins,
    EthAddrEncoder,
    P2WPKHAddrEncoder,
    TrxAddrEncoder,
)

from bench.common import Run, median, parser, pin_to_core
from kassa.assets.registry import registry
from kassa.keys.derivation import AddressDeriver, make_deriver
from kassa.keys.seed import account_xpubs

NAME = "derivation"
TARGET = 0.90
BLOCK = 100
MNEMONIC = (
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
)
XPUB = Bip32KeyNetVersions(bytes.fromhex("0488b21e"), bytes.fromhex("0488ade4"))
ZPUB = Bip32KeyNetVersions(bytes.fromhex("04b24746"), bytes.fromhex("04b2430c"))


@dataclass(frozen=True, slots=True)
class Case:
    chain: str
    versions: Bip32KeyNetVersions
    encode: Callable[[Any], str]
    high_level: Callable[[str, int], str]


def _bip84_btc(xpub: str, index: int) -> str:
    ctx = Bip84.FromExtendedKey(xpub, Bip84Coins.BITCOIN)
    return str(ctx.Change(Bip44Changes.CHAIN_EXT).AddressIndex(index).PublicKey().ToAddress())


def _bip44(coin: Bip44Coins, xpub: str, index: int) -> str:
    ctx = Bip44.FromExtendedKey(xpub, coin)
    return str(ctx.Change(Bip44Changes.CHAIN_EXT).AddressIndex(index).PublicKey().ToAddress())


CASES = (
    Case("btc", ZPUB, partial(P2WPKHAddrEncoder.EncodeKey, hrp="bc"), _bip84_btc),
    Case("eth", XPUB, EthAddrEncoder.EncodeKey, partial(_bip44, Bip44Coins.ETHEREUM)),
    Case("tron", XPUB, TrxAddrEncoder.EncodeKey, partial(_bip44, Bip44Coins.TRON)),
)


def kassa_seconds(deriver: AddressDeriver, start: int, count: int) -> float:
    started = time.process_time()
    for index in range(start, start + count):
        deriver.derive(index)
    return time.process_time() - started


def raw_seconds(change: Any, encode: Callable[[Any], str], start: int, count: int) -> float:
    started = time.process_time()
    for index in range(start, start + count):
        encode(change.ChildKey(index).PublicKey().KeyObject())
    return time.process_time() - started


def high_level_rate(case: Case, xpub: str, count: int) -> float:
    started = time.process_time()
    for index in range(count):
        case.high_level(xpub, index)
    return count / (time.process_time() - started)


def check_same_addresses(case: Case, xpub: str) -> None:
    deriver = make_deriver(registry().chains[case.chain], "mainnet", xpub)
    change = Bip32Secp256k1.FromExtendedKey(xpub, case.versions).ChildKey(0)
    for index in (0, 1, 1000):
        ours = deriver.derive(index).address
        raw = case.encode(change.ChildKey(index).PublicKey().KeyObject())
        if ours != raw or ours != case.high_level(xpub, index):
            raise SystemExit(f"{case.chain} address {index} differs: {ours} vs {raw}")


def main() -> None:
    args = parser(__doc__ or NAME).parse_args()
    count, rounds = (300, 3) if args.quick else (2000, 7)
    core = pin_to_core(0)
    run = Run(NAME, args.quick)
    xpubs = account_xpubs(MNEMONIC, "mainnet")
    figures: dict[str, Any] = {
        "target_ratio_min": TARGET,
        "core": core,
        "addresses_per_round": count,
        "rounds": rounds,
        "chains": {},
    }
    parts = []
    for case in CASES:
        xpub = xpubs[case.chain]
        check_same_addresses(case, xpub)
        deriver = make_deriver(registry().chains[case.chain], "mainnet", xpub)
        change = Bip32Secp256k1.FromExtendedKey(xpub, case.versions).ChildKey(0)
        ours, raw, ratios = [], [], []
        for r in range(rounds):
            kassa_s = raw_s = 0.0
            for block in range(0, count, BLOCK):  # fine-grained alternation: same load for both
                start = r * count + block
                kassa_s += kassa_seconds(deriver, start, BLOCK)
                raw_s += raw_seconds(change, case.encode, start, BLOCK)
            ours.append(count / kassa_s)
            raw.append(count / raw_s)
            ratios.append(raw_s / kassa_s)
        high = high_level_rate(case, xpub, max(100, count // 4))
        figures["chains"][case.chain] = {
            "kassa_per_s": round(median(ours)),
            "raw_bip_utils_per_s": round(median(raw)),
            "ratio": round(median(ratios), 3),
            "bip_utils_high_level_api_per_s": round(high),
            "round_ratios": [round(r, 3) for r in ratios],
        }
        c = figures["chains"][case.chain]
        parts.append(
            f"{case.chain} {c['kassa_per_s']:,}/s vs raw {c['raw_bip_utils_per_s']:,}/s"
            f" = {c['ratio']:.0%}"
        )
    worst = min(c["ratio"] for c in figures["chains"].values())
    run.write(figures, ", ".join(parts) + f" (target ≥ {TARGET:.0%}, worst {worst:.0%})")


if __name__ == "__main__":
    main()
