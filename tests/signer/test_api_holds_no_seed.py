"""The API process never loads the seed: starting it and serving requests neither imports the
signer's private modules nor opens the seed file (checked with an audit hook, in a fresh
interpreter so nothing else in the test session has imported them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kassa.signer.vault import write_seed_file

SCRIPT = r"""
import asyncio, sys
seed = sys.argv[1]
opened = []

def hook(event, args):
    if event == "open" and str(args[0]) == seed:
        opened.append(seed)

sys.addaudithook(hook)

import httpx
from kassa.app import create_app
from kassa.cli import app as cli_app  # the command line the API is started from
from kassa.config import ChainSettings, Settings

XPUB = sys.argv[3]

async def main():
    settings = Settings(_env_file=None, data_dir=sys.argv[2], network="testnet",
                        signer_seed_file=seed, price_source="static",
                        chains={"eth": ChainSettings(xpub=XPUB, rpc_url="http://127.0.0.1:9")})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://k") as client:
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/openapi.json")).status_code == 200

asyncio.run(main())
private = [m for m in ("kassa.signer.vault", "kassa.signer.keys", "kassa.signer.local",
                       "kassa.signer.server") if m in sys.modules]
print("opened:", opened, "private:", private)
assert not opened and not private
"""

XPUB = (
    "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2c"
    "fDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz"
)


def test_the_api_process_never_reads_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "signer-seed.json"
    write_seed_file(
        seed,
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "correct horse battery",
        n=2**10,
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(seed), str(tmp_path), XPUB],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "opened: [] private: []" in done.stdout
