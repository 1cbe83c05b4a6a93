"""the store settings row exists from the start

Revision ID: 0003_store_settings_row
Revises: 0002_search_index

Settings used to be created by whichever reader found none first. At start-up two
threads (the app's settings reader, the register's first change) or two registers do
that at once, and one of them failed on the primary key. The row now comes with the
schema, with the same defaults the model gives it; an existing row is left alone.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0003_store_settings_row"
down_revision = "0002_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        text(
            "INSERT INTO store_settings (id, name, currency, prices_include_tax, "
            "loyalty_point_value_cents, receipt_footer) "
            "SELECT 1, 'My store', 'EUR', :yes, 1, 'Thank you!' "
            "WHERE NOT EXISTS (SELECT 1 FROM store_settings WHERE id = 1)"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    """Nothing to undo: a settings row is valid at every revision."""
