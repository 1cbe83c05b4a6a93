# ruff: noqa: E501  (frozen DDL: one statement per line reads best)
"""PostgreSQL search: the words of each search document stored with the row, GIN indexes
over the stored words; nothing changes on SQLite

Revision ID: 0007_pg_search_indexes
Revises: 0006_completion_key

The GIN indexes of ``0002_search_index`` were built over expressions (fold the accents,
cut the words, make a ``tsvector``), so any plan that was not a pure index lookup computed
the document of every row it visited, about 20 µs each: a one-letter search that walks the
customers in id order and stops at the fiftieth match, the fastest plan for a common
prefix, was then the slowest. The words are now generated columns (``STORED``: computed
once, when a row is written, by ``search_words``: the same words as ``search_fold`` then
``to_tsvector('simple', …)``, twice as fast, without the text-search parser), and the
GIN indexes read those columns. The short documents (names, emails) also hold each
word's first letter marked (``#j``, by ``search_marked_words``): a one-letter prefix is
then one index entry, not a scan of every word it begins. The customer
table is read without parallel workers: a search is a few milliseconds of one core, and
starting workers costs more than that.

The columns are named ``search_*`` (the models-vs-migrations comparison skips them: the
models never read or write them). Adding them rewrites the customer table once (a minute
or so for a million customers); every customer and custom value is kept as it is.

A frozen copy of ``tillterm.store.search_index`` as of this revision (a test checks they
still agree).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0007_pg_search_indexes"
down_revision = "0006_completion_key"
branch_labels = None
depends_on = None

#: ``{schema}``: where tillterm's tables live; ``{unaccent}``: the extension's schema
PG_FUNCTIONS = [
    "CREATE FUNCTION \"{schema}\".search_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(regexp_split_to_array(lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)), '[^[:alnum:]]+'), '')) $f$",
    "CREATE FUNCTION \"{schema}\".search_marked_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(string_to_array($1, ' '), '') || array_remove(string_to_array(regexp_replace($1, '(\\S)\\S*', '#\\1', 'g'), ' '), '')) $f$",
]
PG_COLUMNS = [
    "ALTER TABLE customer ADD COLUMN search_name_words tsvector GENERATED ALWAYS AS (search_marked_words(search_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company, '')))) STORED, ADD COLUMN search_all_words tsvector GENERATED ALWAYS AS (search_words(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company, '') || ' ' || coalesce(title, '') || ' ' || coalesce(email, '') || ' ' || coalesce(email2, '') || ' ' || coalesce(phone_digits, '') || ' ' || coalesce(postal_code, '') || ' ' || coalesce(customer_code, '') || ' ' || coalesce(address1, '') || ' ' || coalesce(address2, '') || ' ' || coalesce(city, ''))) STORED, ADD COLUMN search_email_words tsvector GENERATED ALWAYS AS (search_marked_words(search_fold(coalesce(email, '') || ' ' || coalesce(email2, '')))) STORED",
    "ALTER TABLE custom_field_value ADD COLUMN search_value_words tsvector GENERATED ALWAYS AS (search_value_doc(value)) STORED",
]
PG_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_words)",
    "CREATE INDEX search_customer_all ON customer USING gin (search_all_words)",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_words)",
    "CREATE INDEX search_custom_value ON custom_field_value USING gin (search_value_words)",
]
#: a search is a few milliseconds of one core: starting parallel workers for it costs
#: more than it saves (and a plan that would use them is gated off most of the time)
PG_SETTINGS = ["ALTER TABLE customer SET (parallel_workers = 0)"]
OLD_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_doc(first_name, last_name, company))",
    "CREATE INDEX search_customer_all ON customer USING gin (search_all_doc(first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city))",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_doc(email, email2))",
    "CREATE INDEX search_custom_value ON custom_field_value USING gin (search_value_doc(value))",
]
INDEX_NAMES = [
    "search_customer_name",
    "search_customer_all",
    "search_customer_email",
    "search_custom_value",
]


def _unaccent_schema() -> str:
    """Where ``0002_search_index`` found (or put) the ``unaccent`` extension."""
    found = (
        op.get_bind()
        .execute(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
            )
        )
        .scalar()
    )
    if found is None:
        raise RuntimeError(
            "The unaccent extension is missing from this database (tillterm's search needs "
            "it); a database administrator must run: CREATE EXTENSION unaccent SCHEMA public"
        )
    return str(found)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = str(bind.execute(text("SELECT current_schema()")).scalar())
    unaccent = _unaccent_schema()
    for statement in PG_FUNCTIONS:
        ddl = statement.replace("{schema}", schema).replace("{unaccent}", unaccent)
        bind.exec_driver_sql(ddl)  # not text(): ``[:alnum:]`` is no bind parameter
    for name in INDEX_NAMES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    # a million customers' GIN indexes build several times faster with room to sort
    bind.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in [*PG_COLUMNS, *PG_INDEXES, *PG_SETTINGS]:
        bind.exec_driver_sql(statement)
    # plans right from the first search after the upgrade
    bind.exec_driver_sql("ANALYZE customer")
    bind.exec_driver_sql("ANALYZE custom_field_value")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in INDEX_NAMES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    bind.exec_driver_sql(
        "ALTER TABLE customer DROP COLUMN search_name_words, DROP COLUMN search_all_words, "
        "DROP COLUMN search_email_words"
    )
    bind.exec_driver_sql("ALTER TABLE custom_field_value DROP COLUMN search_value_words")
    bind.exec_driver_sql("ALTER TABLE customer RESET (parallel_workers)")
    bind.exec_driver_sql("DROP FUNCTION IF EXISTS search_words(text)")
    bind.exec_driver_sql("DROP FUNCTION IF EXISTS search_marked_words(text)")
    for statement in OLD_INDEXES:
        bind.exec_driver_sql(statement)
