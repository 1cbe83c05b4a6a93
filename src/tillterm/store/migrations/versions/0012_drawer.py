"""cash drawer per register and its days, closed by stored Z reports (issue 17)

Revision ID: 0012_drawer
Revises: 0011_returns

* ``drawer_day``: one register's day, from its drawer's opening (or its previous Z) to
  its Z report; the Z's text and figures are kept in it as printed, never recomputed.
  ``uq_drawer_day_open``: one open day per register; ``uq_drawer_day_z``: one Z0001 per
  register.
* ``drawer_move``: cash in and cash out of the drawer, each with its reason.
* ``sale.drawer_day_id``: the day whose Z counted the sale, set when the Z is taken, so
  a sale is in one Z and one completed after it is in the next. Added in place (``ALTER
  TABLE … ADD COLUMN … REFERENCES``): the sale table is not rebuilt; every existing
  sale is in no Z yet (only the day of a register's first Z counts them, see
  ``sales.drawer``). ``ix_sale_register_day_completed`` finds a register's sales no Z
  has counted since a moment without walking its history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0012_drawer"
down_revision = "0011_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drawer_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_name", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("float_cents", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("z_no", sa.Integer(), nullable=True),
        sa.Column("counted_cents", sa.BigInteger(), nullable=True),
        sa.Column("report_text", sa.Text(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_drawer_day_open",
        "drawer_day",
        ["register_name"],
        unique=True,
        sqlite_where=text("closed_at IS NULL"),
        postgresql_where=text("closed_at IS NULL"),
    )
    op.create_index("uq_drawer_day_z", "drawer_day", ["register_name", "z_no"], unique=True)
    op.create_table(
        "drawer_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["day_id"], ["drawer_day.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drawer_move_day_id", "drawer_move", ["day_id"])
    op.add_column(
        "sale",
        sa.Column(
            "drawer_day_id",
            sa.Integer(),
            sa.ForeignKey("drawer_day.id"),
            nullable=True,
        ),
        inline_references=True,
    )
    op.create_index(
        "ix_sale_register_day_completed",
        "sale",
        ["register_name", "drawer_day_id", "completed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_sale_register_day_completed", table_name="sale")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("drawer_day_id")
    op.drop_index("ix_drawer_move_day_id", table_name="drawer_move")
    op.drop_table("drawer_move")
    op.drop_index("uq_drawer_day_z", table_name="drawer_day")
    op.drop_index("uq_drawer_day_open", table_name="drawer_day")
    op.drop_table("drawer_day")
