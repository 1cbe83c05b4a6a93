"""an idempotency key on sales: a change retried after a lost answer is made once

Revision ID: 0006_completion_key
Revises: 0005_opening_spend_tax_exempt

* ``sale.change_key``: the key of the last register action that changed the sale (a
  scan, a payment...), written in that action's transaction; for a completed sale, the
  key of its completion, which stays. A register that lost its connection to the server
  while the COMMIT was on its way cannot know whether it happened: it retries with the
  same key, finds the sale carrying it, and takes the sale as it is instead of doing
  the action again (a sale completed once, with one receipt number; an item added once).
  ``uq_sale_change_key`` makes the lookup an index seek and a key name one sale.
  Existing sales get no key (``NULL``): nothing to migrate.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_completion_key"
down_revision = "0005_opening_spend_tax_exempt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_key", sa.String(length=32), nullable=True))
    op.create_index("uq_sale_change_key", "sale", ["change_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_sale_change_key", table_name="sale")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("change_key")
