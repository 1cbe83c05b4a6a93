"""PostgreSQL search: the customer GIN indexes hold each customer's id bucket beside its
words, so a search reads a word's matches in id order, a bucket at a time; nothing
changes on SQLite

Revision ID: 0016_pgsearch
Revises: 0015_products

A GIN index returns every match of a word at once and in no order: the first fifty
customers in id order of a word 5,000 customers share ("shelton") cost the rows of all
5,000, one heap page each (20 ms, the slowest searches of a million customers). With
``id >> 15`` (32,768 ids) as a second key (the ``btree_gin`` extension: a plain integer
in a GIN index), a search asks for a word's matches bucket by bucket, in id order, and
stops at the first bucket that fills the page: 165 pages read instead of 4,670.

The three customer indexes are built again (a minute or so for a million customers);
every customer is kept as it is. A frozen copy of ``tillterm.store.search_index`` as of
this revision (a test checks they still agree).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0016_pgsearch"
down_revision = "0015_products"
branch_labels = None
depends_on = None

PG_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_words, (id >> 15))",
    "CREATE INDEX search_customer_all ON customer USING gin (search_all_words, (id >> 15))",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_words, (id >> 15))",
]
OLD_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_words)",
    "CREATE INDEX search_customer_all ON customer USING gin (search_all_words)",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_words)",
]
INDEX_NAMES = ["search_customer_name", "search_customer_all", "search_customer_email"]


def _bucket_extension() -> None:
    """``btree_gin`` in public, where every schema's search path can see it (a trusted
    extension: the database's owner may create it)."""
    bind = op.get_bind()
    found = bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gin'")).scalar()
    if found is None:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _bucket_extension()
    for name in INDEX_NAMES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    # a million customers' GIN indexes build several times faster with room to sort
    bind.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in PG_INDEXES:
        bind.exec_driver_sql(statement)
    # the planner's picture of the buckets, right from the first search
    bind.exec_driver_sql("ANALYZE customer")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in INDEX_NAMES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for statement in OLD_INDEXES:
        bind.exec_driver_sql(statement)
