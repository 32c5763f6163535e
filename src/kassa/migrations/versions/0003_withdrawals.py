"""withdrawals, batch payouts, idempotency keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.kit.dbtypes

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _amount(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "withdrawal_batches",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asset", sa.String(length=16), nullable=False),
        sa.Column("total_recipients", sa.Integer(), nullable=False),
        _amount("total_amount"),
        _amount("total_platform_fee"),
        _amount("total_network_fee"),
        sa.Column("fees_usd", kassa.kit.dbtypes.DecimalText(length=64), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        _time("updated_at"),
        sa.Column("id", sa.Uuid(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_withdrawal_batches_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_batches")),
    )
    with op.batch_alter_table("withdrawal_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_withdrawal_batches_merchant_created", ["merchant_id", "created_at"], unique=False
        )

    op.create_table(
        "withdrawals",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asset", sa.String(length=16), nullable=False),
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("destination_address", sa.String(length=128), nullable=False),
        sa.Column("destination_tag", sa.BigInteger(), nullable=True),
        _amount("amount"),
        _amount("platform_fee"),
        sa.Column("platform_fee_usd", kassa.kit.dbtypes.DecimalText(length=64), nullable=False),
        _amount("network_fee"),
        _amount("network_fee_native"),
        sa.Column("native_asset", sa.String(length=16), nullable=False),
        _amount("fee_refund"),
        sa.Column("price_usd", kassa.kit.dbtypes.DecimalText(length=64), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("tx_hash", sa.String(length=128), nullable=True),
        sa.Column("signed_raw", sa.Text(), nullable=True),
        _amount("signed_fee", nullable=True),
        _amount("actual_fee_native", nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("decided_by_key_id", sa.Uuid(), nullable=True),
        _time("decided_at", nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _time("claimed_until", nullable=True),
        _time("broadcast_at", nullable=True),
        _time("completed_at", nullable=True),
        _time("failed_at", nullable=True),
        _time("updated_at"),
        sa.Column("id", sa.Uuid(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["withdrawal_batches.id"],
            name=op.f("fk_withdrawals_batch_id_withdrawal_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_withdrawals_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
    )
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withdrawals_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_withdrawals_external_ref"), ["external_ref"], unique=False
        )
        batch_op.create_index(
            "ix_withdrawals_merchant_created", ["merchant_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_withdrawals_status_claim", ["status", "claimed_until"], unique=False
        )

    op.create_table(
        "api_key_payout_limits",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("withdrawal_limit_usd", kassa.kit.dbtypes.DecimalText(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_payout_limits_api_key_id_api_keys"),
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_api_key_payout_limits")),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_token", sa.Uuid(), nullable=False),
        _time("locked_at"),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        _time("expires_at"),
        sa.Column("id", sa.Uuid(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_idempotency_keys_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "uq_idempotency_keys_merchant_key", ["merchant_id", "key"], unique=True
        )

    op.create_table(
        "devnet_broadcast_faults",
        sa.Column("chain", sa.String(length=16), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_devnet_broadcast_faults")),
    )


def downgrade() -> None:
    op.drop_table("devnet_broadcast_faults")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("uq_idempotency_keys_merchant_key")
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_expires_at"))

    op.drop_table("idempotency_keys")
    op.drop_table("api_key_payout_limits")
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.drop_index("ix_withdrawals_status_claim")
        batch_op.drop_index("ix_withdrawals_merchant_created")
        batch_op.drop_index(batch_op.f("ix_withdrawals_external_ref"))
        batch_op.drop_index(batch_op.f("ix_withdrawals_batch_id"))

    op.drop_table("withdrawals")
    with op.batch_alter_table("withdrawal_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_withdrawal_batches_merchant_created")

    op.drop_table("withdrawal_batches")
