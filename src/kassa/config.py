"""Settings from ``KASSA_*`` environment variables (and an optional ``.env`` file).

Nested values use ``__``: ``KASSA_CHAINS__ETH__XPUB=xpub...``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kassa.chains.network import Network


class ChainSettings(BaseModel):
    """Per-chain settings. On the devnet every field is optional: the devnet makes its own keys."""

    enabled: bool = True
    xpub: str | None = None
    rpc_url: str | None = None
    tokens: dict[str, str] = Field(default_factory=dict)
    # EVM (docs/evm.md): the node's EIP-155 chain id when it is not the network's usual one,
    # assets whose sweep minimum (whole units) overrides the fee rule, stuck-tx replacement.
    chain_id: int | None = None
    sweep_min: dict[str, Decimal] = Field(default_factory=dict)
    replace_after_seconds: float = 600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KASSA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Path("./kassa-data")
    database_url: str | None = None
    network: Network = "devnet"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None

    default_fee_rate: Decimal = Decimal("0.005")
    default_expires_minutes: int = 60
    withdrawal_fee_usd: Decimal = Field(default=Decimal("1.00"), ge=0)
    require_idempotency_key: bool = False
    idempotency_ttl_hours: int = Field(default=24, ge=24)
    withdrawal_poll_seconds: float = 2.0
    max_body_bytes: int = 1_048_576

    price_source: Literal["static", "coingecko"] | None = None
    prices_file: Path | None = None
    coingecko_url: str = "https://api.coingecko.com/api/v3"
    coingecko_api_key: str | None = None
    price_ttl_seconds: int = 60
    price_max_age_seconds: int = 600

    devnet_block_seconds: float = 10.0
    watcher_poll_seconds: float = 2.0
    worker_lease_seconds: float = 30.0

    # Webhooks (docs/webhooks.md). None = the network's default (the devnet allows http+loopback).
    secret_key: str | None = None
    webhook_allow_http: bool | None = None
    webhook_allowed_networks: str | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_lease_seconds: float = 30.0
    webhook_concurrency: int = 100
    webhook_per_target_concurrency: int = 20
    webhook_poll_seconds: float = 0.5
    mempool_drop_seconds: float = 1800.0
    """A 0-confirmation receipt missing from mempool and blocks this long is reverted."""

    chains: dict[str, ChainSettings] = Field(default_factory=dict)

    # The signer (docs/evm.md): where it listens ("unix:/path.sock" or "http://127.0.0.1:PORT"),
    # the shared token, and its encrypted seed file (read only by `kassa signer serve`).
    signer_url: str | None = None
    signer_token: str | None = None
    signer_seed_file: Path | None = None
    sweep_interval_seconds: float = 30.0
    sweep_fee_ratio: Decimal = Decimal("0.05")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kassa.db').resolve()}"

    @property
    def resolved_price_source(self) -> Literal["static", "coingecko"]:
        if self.price_source:
            return self.price_source
        return "static" if self.network == "devnet" else "coingecko"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def resolved_signer_url(self) -> str:
        return self.signer_url or f"unix:{(self.data_dir / 'signer.sock').resolve()}"

    @property
    def resolved_signer_seed_file(self) -> Path:
        return self.signer_seed_file or self.data_dir / "signer-seed.json"

    def chain(self, chain_id: str) -> ChainSettings:
        return self.chains.get(chain_id, ChainSettings())


@cache
def get_settings() -> Settings:
    return Settings()
