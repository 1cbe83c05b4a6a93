"""returns by line: a returned line points at the line it returns

Revision ID: 0011_returns
Revises: 0010_privacy

* ``sale_line.returned_line_id``: on a refund's line, the original sale's line it gives
  back. Summed per original line, it is how much of that line was already returned, so
  a line is never returned beyond its quantity across several returns. Lines of sales
  and of returns without a receipt leave it empty, as every existing line does (a full
  refund taken before this revision is recognised by its unlinked lines).

Added in place (``ALTER TABLE … ADD COLUMN``): no table is rebuilt, nothing is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_returns"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place; Alembic would
        # want a table rebuild to add the constraint separately. No ON DELETE: an
        # original line is never deleted (and SQLite would not reflect the clause)
        op.execute(
            "ALTER TABLE sale_line ADD COLUMN returned_line_id INTEGER REFERENCES sale_line (id)"
        )
    else:
        op.add_column(
            "sale_line",
            sa.Column(
                "returned_line_id",
                sa.Integer(),
                sa.ForeignKey("sale_line.id", name="fk_sale_line_returned_line_id"),
                nullable=True,
            ),
        )
    op.create_index("ix_sale_line_returned_line_id", "sale_line", ["returned_line_id"])


def downgrade() -> None:
    op.drop_index("ix_sale_line_returned_line_id", table_name="sale_line")
    with op.batch_alter_table("sale_line") as batch_op:
        batch_op.drop_column("returned_line_id")
