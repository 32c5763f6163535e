"""invoices, buy-now buttons, dashboard users, sessions and login attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kassa.kit.dbtypes

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_attempts_email_created", ["email", "created_at"], unique=False
        )
        batch_op.create_index("ix_login_attempts_ip_created", ["ip", "created_at"], unique=False)

    op.create_table(
        "buy_now_buttons",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("max_per_hour", sa.Integer(), nullable=False),
        sa.Column("disabled_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_buy_now_buttons_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buy_now_buttons")),
    )
    with op.batch_alter_table("buy_now_buttons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buy_now_buttons_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "dashboard_users",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("last_login_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_dashboard_users_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
        sa.UniqueConstraint("email", name=op.f("uq_dashboard_users_email")),
    )
    with op.batch_alter_table("dashboard_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_users_merchant_id"), ["merchant_id"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("buyer", sa.Text(), nullable=True),
        sa.Column("custom_data", sa.Text(), nullable=True),
        sa.Column(
            "subtotal", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column("tax", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.Column(
            "shipping", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column(
            "discount", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column("total", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.Column("webhook_url", sa.String(length=2048), nullable=False),
        sa.Column("success_url", sa.String(length=2048), nullable=True),
        sa.Column("cancel_url", sa.String(length=2048), nullable=True),
        sa.Column("due_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("payment_count", sa.Integer(), nullable=False),
        sa.Column("button_id", sa.Uuid(), nullable=True),
        sa.Column("synced_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_invoices_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoices_button_created", ["button_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoices_external_ref"), ["external_ref"], unique=False
        )
        batch_op.create_index(
            "ix_invoices_merchant_created", ["merchant_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_invoices_status_expires", ["status", "expires_at"], unique=False)

    op.create_table(
        "dashboard_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["dashboard_users.id"],
            name=op.f("fk_dashboard_sessions_user_id_dashboard_users"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_sessions")),
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_sessions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "invoice_items",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", kassa.kit.dbtypes.DecimalText(length=64), nullable=False),
        sa.Column(
            "unit_price", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False
        ),
        sa.Column("tax", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.Column("amount", kassa.kit.dbtypes.AtomicAmount(precision=78, scale=0), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_items_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", "position", name=op.f("pk_invoice_items")),
    )
    op.create_table(
        "invoice_payments",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kassa.kit.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_invoice_payments_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_invoice_payments")),
    )
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_payments_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_payments_invoice_id"))

    op.drop_table("invoice_payments")
    op.drop_table("invoice_items")
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_user_id"))

    op.drop_table("dashboard_sessions")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_status_expires")
        batch_op.drop_index("ix_invoices_merchant_created")
        batch_op.drop_index(batch_op.f("ix_invoices_external_ref"))
        batch_op.drop_index("ix_invoices_button_created")

    op.drop_table("invoices")
    with op.batch_alter_table("dashboard_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_users_merchant_id"))

    op.drop_table("dashboard_users")
    with op.batch_alter_table("buy_now_buttons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buy_now_buttons_merchant_id"))

    op.drop_table("buy_now_buttons")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_ip_created")
        batch_op.drop_index("ix_login_attempts_email_created")

    op.drop_table("login_attempts")
