import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from devnet_helpers import block_at, devnet_address
from typer.testing import CliRunner, Result

from kassa.chains.devnet.adapter import DevnetAdapter
from kassa.chains.devnet.cli import devnet_app
from kassa.config import get_settings
from kassa.runtime import Runtime

Invoke = Callable[..., Awaitable[Result]]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def invoke(runtime: Runtime, fresh_settings: None) -> Invoke:
    """Run ``kassa devnet ...`` against the test database, in a thread: the CLI calls
    ``asyncio.run``, which cannot run inside the test's event loop."""
    env = {
        "KASSA_DATABASE_URL": runtime.settings.resolved_database_url,
        "KASSA_NETWORK": "devnet",
        "KASSA_DATA_DIR": str(runtime.settings.data_dir),
    }

    async def run(*args: str, network: str = "devnet") -> Result:
        runner = CliRunner()
        result = await asyncio.to_thread(
            runner.invoke, devnet_app, list(args), env={**env, "KASSA_NETWORK": network}
        )
        get_settings.cache_clear()
        return result

    return run


def _json(result: Result) -> Any:
    assert result.exit_code == 0, (result.output, result.stderr)
    return json.loads(result.stdout)


async def test_pay_then_mine_is_seen_by_the_server(runtime: Runtime, invoke: Invoke) -> None:
    to = devnet_address("tron")
    paid = _json(
        await invoke("pay", "--asset", "USDT-TRC20", "--address", to, "--amount", "25", "--json")
    )
    assert paid["chain"] == "tron"
    assert paid["network"] == "devnet"
    adapter = DevnetAdapter(runtime.db, "tron")
    (pending,) = await adapter.pending_transfers()
    assert (pending.tx_hash, pending.to_address, pending.amount) == (
        paid["tx_hash"],
        to,
        25_000_000,
    )

    tips = _json(await invoke("mine", "--blocks", "2", "--chain", "tron", "--json"))
    assert tips == {
        "network": "devnet",
        "tips": {"tron": {"height": 2, "hash": (await adapter.tip()).hash}},
    }
    block = await block_at(adapter, 1)
    assert [t.tx_hash for t in block.transfers] == [paid["tx_hash"]]


async def test_xrp_pay_with_tag(runtime: Runtime, invoke: Invoke) -> None:
    to = devnet_address("xrp")
    _json(
        await invoke(
            "pay", "--asset", "XRP", "--address", to, "--amount", "1.5", "--tag", "7", "--json"
        )
    )
    (pending,) = await DevnetAdapter(runtime.db, "xrp").pending_transfers()
    assert (pending.destination_tag, pending.amount) == (7, 1_500_000)


async def test_status_and_human_output(invoke: Invoke) -> None:
    result = await invoke("mine")
    assert result.exit_code == 0
    assert "btc" in result.stdout
    assert "height 1" in result.stdout
    status = _json(await invoke("status", "--json"))
    assert status["network"] == "devnet"
    assert status["chains"]["eth"]["height"] == 1
    assert status["chains"]["eth"]["mempool"] == 0
    human = await invoke("status")
    assert human.exit_code == 0
    assert len(human.stdout.strip().splitlines()) == len(status["chains"])


async def test_reorg_keep_and_drop(runtime: Runtime, invoke: Invoke) -> None:
    to = devnet_address("btc")
    paid = _json(await invoke("pay", "--asset", "BTC", "--address", to, "--amount", "1", "--json"))
    _json(await invoke("mine", "--chain", "btc", "--blocks", "2", "--json"))
    adapter = DevnetAdapter(runtime.db, "btc")

    kept = _json(await invoke("reorg", "--chain", "btc", "--depth", "2", "--keep-txs", "--json"))
    assert kept["tip"] == {"height": 3, "hash": (await adapter.tip()).hash}
    assert kept["drop_txs"] is False
    assert [t.tx_hash for t in await adapter.pending_transfers()] == [paid["tx_hash"]]

    _json(await invoke("mine", "--chain", "btc", "--json"))
    dropped = await invoke("reorg", "--chain", "btc", "--depth", "1")
    assert dropped.exit_code == 0
    assert "dropped" in dropped.stdout
    assert await adapter.pending_transfers() == ()
    for height in range(6):
        assert (await block_at(adapter, height)).transfers == ()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("pay", "--asset", "BTC", "--address", "nope", "--amount", "1"),
            "Invalid address for BTC",
        ),
        (("pay", "--asset", "BTC", "--address", "{btc}", "--amount", "x"), "Invalid amount: "),
        (("pay", "--asset", "BTC", "--address", "{btc}", "--amount", "1e-9"), "Invalid amount: "),
        (("pay", "--asset", "NOPE", "--address", "{btc}", "--amount", "1"), "Unsupported asset"),
        (("mine", "--chain", "doge"), 'Unknown chain: "doge"'),
        (("reorg", "--chain", "eth", "--depth", "5"), "Invalid depth: "),
    ],
)
async def test_errors_print_one_line_and_exit_1(
    runtime: Runtime, invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    result = await invoke(*(a.replace("{btc}", devnet_address("btc")) for a in args))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {message}")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert await DevnetAdapter(runtime.db, "btc").pending_transfers() == ()


async def test_refuses_to_run_on_a_real_network(invoke: Invoke) -> None:
    result = await invoke("mine", network="mainnet")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: The devnet is not enabled on this gateway")
