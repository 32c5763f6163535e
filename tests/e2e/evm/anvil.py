"""A real anvil node for the end-to-end tests: installed by scripts/evm-deps, started on a free
loopback port with a fixed mnemonic, driven over its JSON-RPC (dev accounts are unlocked)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from eth_abi import encode

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = Path(__file__).parent / "contracts"
CACHE = ROOT / ".cache" / "evm"
FUNDER_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's well-known development mnemonic: its accounts play the buyers (never Kassa's keys)."""


def install() -> Path:
    """Run scripts/evm-deps (idempotent) and return the anvil binary."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "evm-deps")], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def compile_token() -> dict[str, Any]:
    """ABI and bytecode of contracts/TestToken.sol from solc-js, cached by source hash."""
    source = (CONTRACTS / "TestToken.sol").read_bytes() + (CONTRACTS / "compile.cjs").read_bytes()
    cached = CACHE / f"TestToken-{hashlib.sha256(source).hexdigest()[:16]}.json"
    if not cached.exists():
        out = subprocess.run(
            ["node", str(CONTRACTS / "compile.cjs"), str(CACHE / "node_modules" / "solc")],
            check=True,
            capture_output=True,
            text=True,
        )
        cached.write_text(out.stdout)
    artifact: dict[str, Any] = json.loads(cached.read_text())
    return artifact


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Anvil:
    binary: Path
    chain_id: int
    hardfork: str = "prague"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--mnemonic",
                FUNDER_MNEMONIC,
                "--chain-id",
                str(self.chain_id),
                "--hardfork",
                self.hardfork,
                "--silent",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                self.call("eth_chainId")
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("anvil did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def call(self, method: str, *params: Any) -> Any:
        response = httpx.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        )
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    # --- chain control ------------------------------------------------------------------

    @property
    def funder(self) -> str:
        return str(self.call("eth_accounts")[0])

    def height(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def mine(self, blocks: int = 1) -> None:
        self.call("anvil_mine", hex(blocks))

    def settle(self) -> None:
        """Wait until automine has included everything submitted (anvil mines raw transactions
        asynchronously: the receipt may lag the submission by a moment)."""
        for _ in range(500):
            if int(self.call("txpool_status")["pending"], 16) == 0:
                return
            time.sleep(0.01)
        raise AssertionError("anvil left transactions pending")

    def automine(self, on: bool) -> None:
        self.call("evm_setAutomine", on)

    def snapshot(self) -> str:
        return str(self.call("evm_snapshot"))

    def revert(self, snapshot: str) -> None:
        assert self.call("evm_revert", snapshot) is True

    def reorg(self, depth: int) -> None:
        """Replace the last ``depth`` blocks with empty ones (their transactions vanish)."""
        self.call("anvil_reorg", depth, [])

    def send(
        self, to: str | None, value: int = 0, data: str = "0x", sender: str | None = None
    ) -> str:
        tx: dict[str, Any] = {"from": sender or self.funder, "value": hex(value), "data": data}
        if to is not None:
            tx["to"] = to
        if self.hardfork == "berlin":  # before EIP-1559: legacy gas price only
            tx["gasPrice"] = self.call("eth_gasPrice")
        tx_hash = str(self.call("eth_sendTransaction", tx))
        receipt = self.receipt(tx_hash)
        for _ in range(200):  # automine includes it at once; under load the answer may lag
            if receipt is not None:
                break
            time.sleep(0.01)
            receipt = self.receipt(tx_hash)
        assert receipt is not None, f"{tx_hash} was not mined"
        assert receipt["status"] == "0x1", receipt
        return tx_hash

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.call("eth_getTransactionReceipt", tx_hash)
        return result

    # --- coins and tokens ---------------------------------------------------------------

    def pay(self, to: str, ether: str) -> str:
        return self.send(to, int(Decimal(ether) * 10**18))

    def balance(self, address: str) -> int:
        return int(self.call("eth_getBalance", address, "latest"), 16)

    def deploy_token(self, artifact: dict[str, Any], symbol: str, decimals: int) -> str:
        args = encode(["string", "string", "uint8"], [f"Test {symbol}", symbol, decimals])
        tx_hash = self.send(None, data=artifact["bytecode"] + args.hex())
        receipt = self.receipt(tx_hash)
        assert receipt is not None
        return str(receipt["contractAddress"])

    def mint(self, token: str, to: str, amount: int) -> str:
        data = "0x40c10f19" + encode(["address", "uint256"], [to, amount]).hex()
        return self.send(token, data=data)

    def transfer_token(self, token: str, to: str, amount: int) -> str:
        """Mint to the funder, then an ordinary ERC-20 transfer to ``to`` (one Transfer log)."""
        self.mint(token, self.funder, amount)
        data = "0xa9059cbb" + encode(["address", "uint256"], [to, amount]).hex()
        return self.send(token, data=data)

    def token_balance(self, token: str, owner: str) -> int:
        data = "0x70a08231" + encode(["address"], [owner]).hex()
        return int(self.call("eth_call", {"to": token, "data": data}, "latest"), 16)
