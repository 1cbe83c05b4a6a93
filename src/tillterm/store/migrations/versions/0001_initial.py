"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 07:23:48.446946
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.Column("field_type", sa.String(length=10), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "tax_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "customer_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_percent", sa.BigInteger(), nullable=True),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tax_rate_id"], ["tax_rate.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tax_rate_id"], ["tax_rate.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("barcode"),
        sa.UniqueConstraint("sku"),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_name"), ["name"], unique=False)

    op.create_table(
        "store_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("default_tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("loyalty_points_per_unit", sa.BigInteger(), nullable=True),
        sa.Column("loyalty_point_value_cents", sa.Integer(), nullable=False),
        sa.Column("receipt_footer", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["default_tax_rate_id"], ["tax_rate.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("marketing_opt_in", sa.Boolean(), nullable=False),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("company_reg_no", sa.String(length=60), nullable=False),
        sa.Column("vat_number", sa.String(length=60), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
        sa.Column("phone_home", sa.String(length=40), nullable=False),
        sa.Column("phone_work", sa.String(length=40), nullable=False),
        sa.Column("phone_mobile", sa.String(length=40), nullable=False),
        sa.Column("phone_pager", sa.String(length=40), nullable=False),
        sa.Column("phone_fax", sa.String(length=40), nullable=False),
        sa.Column("email2", sa.String(length=254), nullable=False),
        sa.Column("discount_percent", sa.BigInteger(), nullable=True),
        sa.Column("tax_rate_id", sa.Integer(), nullable=True),
        sa.Column("on_account_allowed", sa.Boolean(), nullable=False),
        sa.Column("balance_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("loyalty_enabled", sa.Boolean(), nullable=False),
        sa.Column("consent_email", sa.Boolean(), nullable=False),
        sa.Column("consent_mail", sa.Boolean(), nullable=False),
        sa.Column("consent_phone", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("phone_digits", sa.String(length=240), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["customer_group.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tax_rate_id"], ["tax_rate.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_key"),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_group_id"), ["group_id"], unique=False)

    op.create_table(
        "custom_field_value",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["field_id"], ["custom_field.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "field_id"),
    )
    op.create_table(
        "customer_tag",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "tag_id"),
    )
    with op.batch_alter_table("customer_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tag_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "sale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_name", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("original_sale_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("receipt_no", sa.String(length=40), nullable=True),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["group_id"], ["customer_group.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["original_sale_id"], ["sale.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt_no"),
    )
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sale_customer_completed", ["customer_id", "completed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sale_original_sale_id"), ["original_sale_id"], unique=False
        )
        batch_op.create_index("ix_sale_register_state", ["register_name", "state"], unique=False)
        batch_op.create_index("ix_sale_state_completed", ["state", "completed_at"], unique=False)

    op.create_table(
        "account_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["sale_id"], ["sale.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_entry_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_entry_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "loyalty_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["sale_id"], ["sale.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loyalty_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_entry_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_entry_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tendered_cents", sa.BigInteger(), nullable=True),
        sa.Column("change_cents", sa.BigInteger(), nullable=False),
        sa.Column("loyalty_points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sale_id"], ["sale.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "sale_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("line_discount_percent", sa.BigInteger(), nullable=True),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.BigInteger(), nullable=True),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sale_id"], ["sale.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sale_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_line_sale_id"), ["sale_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sale_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_line_sale_id"))

    op.drop_table("sale_line")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_sale_id"))

    op.drop_table("payment")
    with op.batch_alter_table("loyalty_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_entry_sale_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_entry_customer_id"))

    op.drop_table("loyalty_entry")
    with op.batch_alter_table("account_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_entry_sale_id"))
        batch_op.drop_index(batch_op.f("ix_account_entry_customer_id"))

    op.drop_table("account_entry")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_state_completed")
        batch_op.drop_index("ix_sale_register_state")
        batch_op.drop_index(batch_op.f("ix_sale_original_sale_id"))
        batch_op.drop_index("ix_sale_customer_completed")

    op.drop_table("sale")
    with op.batch_alter_table("customer_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_tag_tag_id"))

    op.drop_table("customer_tag")
    op.drop_table("custom_field_value")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_group_id"))
        batch_op.drop_index("ix_customer_created_at")

    op.drop_table("customer")
    op.drop_table("store_settings")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_name"))

    op.drop_table("product")
    op.drop_table("customer_group")
    op.drop_table("tax_rate")
    op.drop_table("tag")
    op.drop_table("custom_field")
