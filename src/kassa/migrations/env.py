from __future__ import annotations

from alembic import context

from kassa.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through kassa.migrate
    raise RuntimeError("run migrations through `kassa migrate` (kassa.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    user_module_prefix="kassa.kit.dbtypes.",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
