"""a discount on the whole sale, a price changed at the till, each with its reason

Revision ID: 0009_sale_adjustments
Revises: 0008_store_details

* ``sale.sale_discount_percent`` (thousandths of a percent, like every percentage) and
  ``sale.discount_reason``: a discount the cashier gives on the whole sale. Kept on the
  sale, not copied into the lines, so a line scanned after it gets it too; compounded
  with the line's and the customer's discounts, so no sum can pass 100 %.
* ``sale_line.list_price_cents`` and ``sale_line.price_reason``: when the cashier changes
  a line's price, the listed price and the reason are kept and printed beside it (a
  manager reading a receipt sees what was changed and why).

Every existing sale and line gets none (as it was sold); added in place, no rebuild.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_sale_adjustments"
down_revision = "0008_store_details"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sale", sa.Column("sale_discount_percent", sa.BigInteger(), nullable=True))
    op.add_column(
        "sale",
        sa.Column("discount_reason", sa.String(length=80), nullable=False, server_default=""),
    )
    op.add_column("sale_line", sa.Column("list_price_cents", sa.BigInteger(), nullable=True))
    op.add_column(
        "sale_line",
        sa.Column("price_reason", sa.String(length=80), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("sale_line", "price_reason")
    op.drop_column("sale_line", "list_price_cents")
    op.drop_column("sale", "discount_reason")
    op.drop_column("sale", "sale_discount_percent")
