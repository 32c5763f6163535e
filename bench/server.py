"""The API under load: Kassa's own app (no background workers) plus ``POST /bench/bare``, the
floor to compare with — the same framework, route class, JSON parsing, session dependency and
commit, doing exactly one insert.

    python -m bench.server --database-url sqlite+aiosqlite:///... --port 8080 --core 0
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, Uuid
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.common import pin_to_core
from kassa.app import create_app
from kassa.config import Settings
from kassa.deps import SessionDep
from kassa.kit import jsonutil
from kassa.kit.api import ExactJSONResponse, ExactRoute
from kassa.kit.timeutil import utcnow
from kassa.runtime import Runtime

bare_metadata = MetaData()
bare_table = Table(
    "bench_bare",
    bare_metadata,
    Column("id", Uuid, primary_key=True),
    Column("asset", String(32)),
    Column("body", Text),
    Column("created_at", DateTime(timezone=True)),
)


class BareBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    asset: str


def bare_router() -> APIRouter:
    router = APIRouter(route_class=ExactRoute)

    @router.post("/bench/bare", include_in_schema=False)
    async def bare(body: BareBody, session: SessionDep) -> ExactJSONResponse:
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "asset": body.asset,
            "body": jsonutil.dumps(body.model_dump()),
            "created_at": utcnow(),
        }
        await session.execute(bare_table.insert().values(**row))
        return ExactJSONResponse({"id": str(row["id"]), "asset": body.asset})

    return router


async def create_bare_table(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(bare_metadata.create_all)


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=database_url,
        network="devnet",
        price_source="static",
    )


async def serve(database_url: str, port: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kassa-bench-server-") as tmp:
        settings = bench_settings(database_url, Path(tmp))
        runtime = await Runtime.start(settings)
        try:
            await create_bare_table(runtime.db.engine)
            app = create_app(settings, runtime)
            app.include_router(bare_router())
            config = uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", access_log=False
            )
            await uvicorn.Server(config).serve()
        finally:
            await runtime.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--core", type=int, default=0)
    args = ap.parse_args()
    pin_to_core(args.core)
    # the event loop `kassa serve` runs on (asyncio.run, not uvloop), for like-for-like figures
    asyncio.run(serve(args.database_url, args.port))


if __name__ == "__main__":
    main()
