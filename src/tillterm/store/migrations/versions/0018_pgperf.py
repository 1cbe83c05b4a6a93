"""PostgreSQL: the product table keeps half of each page free, so that a price change is a
heap-only update; nothing changes on SQLite

Revision ID: 0018_pgperf
Revises: 0017_ranking_phones

A product import that reprices the catalogue rewrites every row it changes. With full
pages (the default fill factor, and how ``COPY`` lays rows out) each new row version
lands on another page, so every index of the table takes a new entry for it, the word
index's GIN included: 100,000 repriced products cost about 34 buffers a row and ten
seconds of the server's time on a loaded machine. With room left on the page, a row
whose indexed columns (name, codes, tax rate) keep their values is updated in place (a
heap-only tuple): no index is touched, the same import takes 0.8 s. Half a page: a
whole catalogue repriced at once still fits, and the space comes back when the old
versions are pruned. The product table is small beside the customers' (100,000
products: about 30 MB instead of 15).

Existing pages keep their rows until they are rewritten (a repricing moves them to
pages filled to half); nothing is rewritten here.
"""

from __future__ import annotations

from alembic import op

revision = "0018_pgperf"
down_revision = "0017_ranking_phones"
branch_labels = None
depends_on = None

PG_SETTING = "ALTER TABLE product SET (fillfactor = 50)"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(PG_SETTING)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql("ALTER TABLE product RESET (fillfactor)")
