"""indexes for the back office's tax rates list

Revision ID: 0013_backoffice
Revises: 0012_drawer

* ``ix_product_tax_rate_id``: the Tax rates screen counts each rate's products; without
  it every opening read the whole product table (50 ms warm, 240 ms cold at 100,000
  products).
* ``ix_sale_line_tax_rate``: a rate charged on a completed sale is never rewritten; the
  screen asks "was this percentage ever charged?" for every rate, which without it read
  every sale line ever written for each rate never sold.

Indexes only (``CREATE INDEX``): no table is rebuilt, nothing is lost.
"""

from __future__ import annotations

from alembic import op

revision = "0013_backoffice"
down_revision = "0012_drawer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_product_tax_rate_id", "product", ["tax_rate_id"], unique=False)
    op.create_index("ix_sale_line_tax_rate", "sale_line", ["tax_rate"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sale_line_tax_rate", table_name="sale_line")
    op.drop_index("ix_product_tax_rate_id", table_name="product")
