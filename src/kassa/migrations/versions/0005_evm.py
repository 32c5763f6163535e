"""EVM hot wallet, nonces and sweeps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.kit.dbtypes

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evm_nonces",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain", "address", name=op.f("pk_evm_nonces")),
    )
    op.create_table(
        "evm_txs",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("from_address", sa.String(length=64), nullable=False),
        sa.Column("key_index", sa.BigInteger(), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("to_address", sa.String(length=64), nullable=False),
        sa.Column("value", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("gas_limit", sa.BigInteger(), nullable=False),
        sa.Column(
            "max_fee_per_gas", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column(
            "priority_fee", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=True
        ),
        sa.Column("tx_hash", sa.String(length=80), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("replaced_by", sa.Uuid(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("broadcast_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evm_txs")),
    )
    with op.batch_alter_table("evm_txs", schema=None) as batch_op:
        batch_op.create_index("uq_evm_txs_chain_tx_hash", ["chain", "tx_hash"], unique=True)
        batch_op.create_index(
            "ix_evm_txs_chain_from_nonce", ["chain", "from_address", "nonce"], unique=False
        )
        batch_op.create_index("ix_evm_txs_chain_state", ["chain", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_evm_txs_ref_id"), ["ref_id"], unique=False)

    op.create_table(
        "evm_sweeps",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("asset", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("derivation_index", sa.BigInteger(), nullable=False),
        sa.Column("amount", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("topup_tx_id", sa.Uuid(), nullable=True),
        sa.Column("sweep_tx_id", sa.Uuid(), nullable=True),
        sa.Column("gas_limit", sa.BigInteger(), nullable=True),
        sa.Column(
            "gas_price", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=True
        ),
        sa.Column(
            "fee_paid", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evm_sweeps")),
    )
    with op.batch_alter_table("evm_sweeps", schema=None) as batch_op:
        batch_op.create_index("ix_evm_sweeps_chain_state", ["chain", "state"], unique=False)
        batch_op.create_index(
            "ix_evm_sweeps_chain_address_asset", ["chain", "address", "asset"], unique=False
        )

    with op.batch_alter_table("deposit_addresses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deposit_addresses_chain_key_index",
            ["chain", "key_id", "derivation_index"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deposit_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_deposit_addresses_chain_key_index")
    with op.batch_alter_table("evm_sweeps", schema=None) as batch_op:
        batch_op.drop_index("ix_evm_sweeps_chain_address_asset")
        batch_op.drop_index("ix_evm_sweeps_chain_state")
    op.drop_table("evm_sweeps")
    with op.batch_alter_table("evm_txs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evm_txs_ref_id"))
        batch_op.drop_index("ix_evm_txs_chain_state")
        batch_op.drop_index("ix_evm_txs_chain_from_nonce")
        batch_op.drop_index("uq_evm_txs_chain_tx_hash")
    op.drop_table("evm_txs")
    op.drop_table("evm_nonces")
