"""year-to-date spend brought over from the old system, as dated opening figures; tax-exempt
customers

Revision ID: 0005_opening_spend_tax_exempt
Revises: 0004_sale_history

* ``opening_spend``: the old system's year-to-date spend of a customer, written by
  ``tillterm import --opening-balances`` (and the Import screen's switch) as one row per
  customer of a numbered opening-balance import, dated ``as_of`` the import. A
  customer's year-to-date spend adds the rows whose ``as_of`` falls in the current year
  to the sales made here. Reversing the import adds the opposite rows (same ``as_of``):
  nothing is deleted or rewritten. A new, empty table: existing data is untouched.
* ``customer.tax_exempt``: the customer buys without tax (an open sale's lines are priced
  without it; a completed sale keeps what it was sold at). Every existing customer is
  not exempt (``false``), as they were sold until now; added in place (no rebuild, so
  the search triggers of ``0002_search_index`` stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_opening_spend_tax_exempt"
down_revision = "0004_sale_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE ... ADD COLUMN, never a batch: rebuilding ``customer`` would drop
    # the search triggers of 0002_search_index (a customer added after could not be found)
    op.add_column(
        "customer",
        sa.Column("tax_exempt", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "opening_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opening_spend", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opening_spend_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opening_spend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_spend_customer_id"))
    op.drop_table("opening_spend")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no rebuild, the search triggers stay
    op.drop_column("customer", "tax_exempt")
