"""consents with their date and means; a log of privacy requests

Revision ID: 0010_privacy
Revises: 0009_sale_adjustments

* ``customer.<consent>_at`` / ``<consent>_via`` for the promotional-email opt-in and the
  email, mail and phone consents: when, and how ("form", "register", "import", "cli"),
  each was last given or withdrawn. A consent must be shown with its date and means;
  existing customers have none on file (their consents predate this record), so both
  are empty, never invented.
* ``privacy_request``: each data export and each erasure carried out, with when and
  through what; it never holds the person's identity.

Added in place (``ALTER TABLE … ADD COLUMN``; no rebuild: the search triggers stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_privacy"
down_revision = "0009_sale_adjustments"
branch_labels = None
depends_on = None

_CONSENTS = ("marketing_opt_in", "consent_email", "consent_mail", "consent_phone")


def upgrade() -> None:
    for name in _CONSENTS:
        op.add_column("customer", sa.Column(f"{name}_at", sa.DateTime(timezone=True)))
        op.add_column(
            "customer",
            sa.Column(f"{name}_via", sa.String(length=20), nullable=False, server_default=""),
        )
    op.create_table(
        "privacy_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_request_customer_id", "privacy_request", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_request_customer_id", table_name="privacy_request")
    op.drop_table("privacy_request")
    for name in reversed(_CONSENTS):
        op.drop_column("customer", f"{name}_via")
        op.drop_column("customer", f"{name}_at")
