"""one open sale per register; receipt numbers from a counter; completed sales keep what
they were sold under

Revision ID: 0004_sale_history
Revises: 0003_store_settings_row

* ``uq_sale_open_register``: a partial unique index, one ``open`` sale per register name.
  Older versions could leave several open sales on one register (two scans at the same
  moment); all but the newest are parked here, so every one of them stays reachable
  (F6, parked sales). Nothing is deleted.
* ``receipt_counter``: the store's last receipt number. Receipt numbers used to be the
  sale id (voids and parks left gaps); they now come from this counter at completion.
  It starts after the highest number already printed, so no number is ever reused and
  every completed sale keeps the number it was printed with.
* ``sale.customer_name``, ``customer_code``, ``group_name``: what a completed sale was
  sold under, filled in here for the sales already completed (from their customer and
  group as they are now: the best there is). ``receipt_text``: the receipt as printed
  (unknown for older sales). ``receipt_filed_at``: when the receipt file was written
  (older completed sales count as written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0004_sale_history"
down_revision = "0003_store_settings_row"
branch_labels = None
depends_on = None

PARKED_NOTE = "Parked on upgrade: a second open sale on this register"


def upgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("customer_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("group_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("receipt_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("receipt_filed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "receipt_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_no", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # every receipt printed so far is R + the sale id: carry on after the highest
    op.execute(
        text(
            "INSERT INTO receipt_counter (id, last_no) "
            "SELECT 1, COALESCE(MAX(id), 0) FROM sale WHERE receipt_no IS NOT NULL"
        )
    )
    # several open sales on one register (older versions): keep the newest open, park
    # the others so they stay listed and resumable
    op.execute(
        text(
            "UPDATE sale SET state = 'parked', "
            "note = CASE WHEN note = '' THEN :note ELSE note END "
            "WHERE state = 'open' AND id < ("
            "SELECT MAX(newest.id) FROM sale AS newest "
            "WHERE newest.register_name = sale.register_name AND newest.state = 'open')"
        ).bindparams(note=PARKED_NOTE)
    )
    op.execute(
        text(
            "UPDATE sale SET "
            "customer_name = (SELECT COALESCE(NULLIF(TRIM(c.first_name || ' ' || c.last_name), ''),"
            " NULLIF(c.company, ''), NULLIF(c.email, ''), c.customer_code)"
            " FROM customer AS c WHERE c.id = sale.customer_id), "
            "customer_code = (SELECT c.customer_code FROM customer AS c"
            " WHERE c.id = sale.customer_id), "
            "group_name = (SELECT g.name FROM customer_group AS g WHERE g.id = sale.group_id), "
            "receipt_filed_at = completed_at "
            "WHERE state = 'completed'"
        )
    )
    op.create_index(
        "uq_sale_open_register",
        "sale",
        ["register_name"],
        unique=True,
        sqlite_where=text("state = 'open'"),
        postgresql_where=text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_sale_open_register", table_name="sale")
    op.drop_table("receipt_counter")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("receipt_filed_at")
        batch_op.drop_column("receipt_text")
        batch_op.drop_column("group_name")
        batch_op.drop_column("customer_code")
        batch_op.drop_column("customer_name")
