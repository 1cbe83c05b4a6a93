"""merges of duplicate customers, recorded so that each can be undone exactly

Revision ID: 0014_merge
Revises: 0013_backoffice

* ``customer_merge``: one merge (its survivor, when, when undone) and the survivor's
  field values before and after it (JSON), which undo puts back.
* ``customer_merge_absorbed``: the customers it absorbed, with what their
  ``archived_at``/``updated_at`` were before (an absorbed customer is archived, hidden
  from lists and search, and its code leads to the survivor while the merge stands).
* ``customer_merge_move``: the ids of the rows (sales, loyalty and account entries,
  opening spend) the merge moved to the survivor, a JSON list per table and absorbed
  customer: undo moves exactly these back, and what was recorded on the survivor after
  the merge stays there.

New tables only: ``customer`` is not altered (positional bulk inserts of customers,
the demo's and the import's, keep their columns).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_merge"
down_revision = "0013_backoffice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("survivor_before", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["survivor_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_merge_survivor_id", "customer_merge", ["survivor_id"])
    op.create_table(
        "customer_merge_absorbed",
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at_before", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merge_id"], ["customer_merge.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("merge_id", "customer_id"),
    )
    op.create_index(
        "ix_customer_merge_absorbed_customer_id", "customer_merge_absorbed", ["customer_id"]
    )
    op.create_table(
        "customer_merge_move",
        sa.Column("merge_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("row_ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["merge_id"], ["customer_merge.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("merge_id", "table_name", "customer_id"),
    )


def downgrade() -> None:
    op.drop_table("customer_merge_move")
    op.drop_index("ix_customer_merge_absorbed_customer_id", "customer_merge_absorbed")
    op.drop_table("customer_merge_absorbed")
    op.drop_index("ix_customer_merge_survivor_id", "customer_merge")
    op.drop_table("customer_merge")
