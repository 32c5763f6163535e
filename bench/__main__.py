"""Run every benchmark, one after the other, each in its own process:

    uv run python -m bench [--db sqlite|postgresql|both] [--quick] [--only payments,matching]

Each writes ``bench/results/<name>.json`` and prints its one-line summary. PostgreSQL is included
when ``KASSA_BENCH_POSTGRES_URL`` names a database the benchmarks may wipe. A benchmark module
that other work adds to ``BENCHMARKS`` (e.g. ``bench.webhooks``) runs when it exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time

from bench.common import ROOT

BENCHMARKS = ("derivation", "matching", "payments", "memory", "webhooks")
"""In this order; ``derivation`` takes no ``--db``."""
NO_DB = frozenset({"derivation"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="short smoke runs (rough figures)")
    ap.add_argument("--only", default="", help="comma-separated subset, e.g. payments,matching")
    args = ap.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b in args.only.split(",")]
    failed = []
    for name in chosen:
        if importlib.util.find_spec(f"bench.{name}") is None:
            print(f"{name}: not written yet, skipped", flush=True)
            continue
        command = [sys.executable, "-m", f"bench.{name}"]
        if name not in NO_DB:
            command += ["--db", args.db]
        if args.quick:
            command.append("--quick")
        started = time.monotonic()
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
        print(f"  ({name} took {time.monotonic() - started:.0f} s)", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
