"""Alembic migrations, shipped inside the package so ``kassa serve`` can apply them on start."""
