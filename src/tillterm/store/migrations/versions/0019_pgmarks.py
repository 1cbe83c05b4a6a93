# ruff: noqa: E501  (frozen DDL: one statement per line reads best)
"""PostgreSQL search: the names and emails also hold each word's first two letters
marked (``#kr``), as they held its first letter; nothing changes on SQLite

Revision ID: 0019_pgmarks
Revises: 0018_pgperf

A two-letter prefix read as a prefix unites the index entries of every word it begins:
"la" of "nathan.la@" is thousands of words, 30 ms of a million customers' emails before
the other word is even looked at; "kr" of "kr chamb" 28 ms. As one marked entry
(``#la``) it is a single posting list, which the other word's entries skip through:
7 ms and 1.6 ms. The one-letter marks of ``0007_pg_search_indexes`` did the same for "j".

The two columns are generated again (the customer table is rewritten once: a minute or
two for a million customers) and their GIN indexes built again; every customer is kept
as it is. A frozen copy of ``tillterm.store.search_index`` as of this revision (a test
checks they still agree).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0019_pgmarks"
down_revision = "0018_pgperf"
branch_labels = None
depends_on = None

#: ``{schema}``: where tillterm's tables live
PG_FUNCTION = "CREATE FUNCTION \"{schema}\".search_marked_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(string_to_array($1 || ' ' || regexp_replace($1, '(\\S)(\\S?)\\S*', '#\\1 #\\1\\2', 'g'), ' '), '')) $f$"
OLD_FUNCTION = "CREATE FUNCTION \"{schema}\".search_marked_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(string_to_array($1, ' '), '') || array_remove(string_to_array(regexp_replace($1, '(\\S)\\S*', '#\\1', 'g'), ' '), '')) $f$"
PG_COLUMNS = "ALTER TABLE customer ADD COLUMN search_name_words tsvector GENERATED ALWAYS AS (search_marked_words(search_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company, '')))) STORED, ADD COLUMN search_email_words tsvector GENERATED ALWAYS AS (search_marked_words(search_fold(coalesce(email, '') || ' ' || coalesce(email2, '')))) STORED"
PG_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_words, (id >> 15))",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_words, (id >> 15))",
]
INDEX_NAMES = ["search_customer_name", "search_customer_email"]


def _marks(function: str) -> None:
    """The marked columns generated again by ``function`` (dropping a column drops its
    index), and their indexes built again."""
    bind = op.get_bind()
    schema = str(bind.execute(text("SELECT current_schema()")).scalar())
    bind.exec_driver_sql(
        "ALTER TABLE customer DROP COLUMN search_name_words, DROP COLUMN search_email_words"
    )
    bind.exec_driver_sql("DROP FUNCTION search_marked_words(text)")
    # not text(): ``\\S`` and ``$1`` are no bind parameters
    bind.exec_driver_sql(function.replace("{schema}", schema))
    bind.exec_driver_sql(PG_COLUMNS)
    # a million customers' GIN indexes build several times faster with room to sort
    bind.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in PG_INDEXES:
        bind.exec_driver_sql(statement)
    # plans right from the first search after the upgrade
    bind.exec_driver_sql("ANALYZE customer")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _marks(PG_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _marks(OLD_FUNCTION)
