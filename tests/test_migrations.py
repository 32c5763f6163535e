"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from kassa.db import Database
from kassa.models import Base


async def test_models_and_migrations_agree(migrated: str) -> None:
    db = Database(migrated)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        changes = await connection.run_sync(diff)
    await db.dispose()
    assert changes == []
