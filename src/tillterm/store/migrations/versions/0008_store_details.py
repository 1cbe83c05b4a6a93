"""the store's legal details for receipts; tax rates and custom fields can be retired

Revision ID: 0008_store_details
Revises: 0007_pg_search_indexes

* ``store_settings``: address, phone, company registration and VAT numbers, printed at
  the top of receipts and end-of-day reports (a receipt must name the seller). Every
  existing store gets them empty, as it printed until now.
* ``tax_rate.retired_at``: a rate used by past sales is never rewritten or deleted (the
  receipts and Z reports that show it must stay true); the back office retires it
  instead, and retired rates are no longer offered. Every existing rate stays in use.
* ``custom_field.retired_at``: a retired field is no longer asked for; the values
  customers already have are kept (an export still carries them).

All added in place (``ALTER TABLE … ADD COLUMN``): no table is rebuilt, nothing is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_store_details"
down_revision = "0007_pg_search_indexes"
branch_labels = None
depends_on = None

_STORE_TEXT = (
    ("address_line1", 120),
    ("address_line2", 120),
    ("postal_code", 20),
    ("city", 100),
    ("country", 100),
    ("phone", 40),
    ("company_reg_no", 60),
    ("vat_number", 60),
)


def upgrade() -> None:
    for name, length in _STORE_TEXT:
        op.add_column(
            "store_settings",
            sa.Column(name, sa.String(length=length), nullable=False, server_default=""),
        )
    for table in ("tax_rate", "custom_field"):
        op.add_column(table, sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("custom_field", "retired_at")
    op.drop_column("tax_rate", "retired_at")
    for name, _length in reversed(_STORE_TEXT):
        op.drop_column("store_settings", name)
