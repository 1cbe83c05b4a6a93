# ruff: noqa: E501  (frozen DDL: one statement per line reads best)
"""search index: FTS5 on SQLite, GIN tsvector expression indexes on PostgreSQL; an index
on customer.archived_at

Revision ID: 0002_search_index
Revises: 0001_initial

A frozen copy of ``tillterm.store.search_index`` as of this revision (a test checks they still
agree). Every object is named ``search_*``: the models-vs-migrations comparison skips
them, since they are not SQLAlchemy tables.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0002_search_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

SQLITE_TABLES = [
    "CREATE VIRTUAL TABLE search_name USING fts5(first_name, last_name, company, content='', columnsize=0, detail=column, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4 5 6')",
    "CREATE VIRTUAL TABLE search_all USING fts5(first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city, content='', columnsize=0, detail=column, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE VIRTUAL TABLE search_custom USING fts5(value, content='', columnsize=0, detail=column, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER search_name_ai AFTER INSERT ON customer BEGIN INSERT INTO search_name(rowid, first_name, last_name, company) VALUES (new.id, new.first_name, new.last_name, new.company); END",
    "CREATE TRIGGER search_name_au AFTER UPDATE OF first_name, last_name, company ON customer BEGIN INSERT INTO search_name(search_name, rowid, first_name, last_name, company) VALUES ('delete', old.id, old.first_name, old.last_name, old.company); INSERT INTO search_name(rowid, first_name, last_name, company) VALUES (new.id, new.first_name, new.last_name, new.company); END",
    "CREATE TRIGGER search_name_ad AFTER DELETE ON customer BEGIN INSERT INTO search_name(search_name, rowid, first_name, last_name, company) VALUES ('delete', old.id, old.first_name, old.last_name, old.company); END",
    "CREATE TRIGGER search_all_ai AFTER INSERT ON customer BEGIN INSERT INTO search_all(rowid, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city) VALUES (new.id, new.first_name, new.last_name, new.company, new.title, new.email, new.email2, new.phone_digits, new.postal_code, new.customer_code, new.address1, new.address2, new.city); END",
    "CREATE TRIGGER search_all_au AFTER UPDATE OF first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city ON customer BEGIN INSERT INTO search_all(search_all, rowid, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city) VALUES ('delete', old.id, old.first_name, old.last_name, old.company, old.title, old.email, old.email2, old.phone_digits, old.postal_code, old.customer_code, old.address1, old.address2, old.city); INSERT INTO search_all(rowid, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city) VALUES (new.id, new.first_name, new.last_name, new.company, new.title, new.email, new.email2, new.phone_digits, new.postal_code, new.customer_code, new.address1, new.address2, new.city); END",
    "CREATE TRIGGER search_all_ad AFTER DELETE ON customer BEGIN INSERT INTO search_all(search_all, rowid, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city) VALUES ('delete', old.id, old.first_name, old.last_name, old.company, old.title, old.email, old.email2, old.phone_digits, old.postal_code, old.customer_code, old.address1, old.address2, old.city); END",
    "CREATE TRIGGER search_custom_ai AFTER INSERT ON custom_field_value BEGIN INSERT INTO search_custom(rowid, value) VALUES ((new.customer_id << 20) | new.field_id, new.value); END",
    "CREATE TRIGGER search_custom_au AFTER UPDATE ON custom_field_value BEGIN INSERT INTO search_custom(search_custom, rowid, value) VALUES ('delete', (old.customer_id << 20) | old.field_id, old.value); INSERT INTO search_custom(rowid, value) VALUES ((new.customer_id << 20) | new.field_id, new.value); END",
    "CREATE TRIGGER search_custom_ad AFTER DELETE ON custom_field_value BEGIN INSERT INTO search_custom(search_custom, rowid, value) VALUES ('delete', (old.customer_id << 20) | old.field_id, old.value); END",
]
SQLITE_SETTINGS = [
    "INSERT INTO search_name(search_name, rank) VALUES ('hashsize', 67108864)",
    "INSERT INTO search_all(search_all, rank) VALUES ('hashsize', 67108864)",
    "INSERT INTO search_custom(search_custom, rank) VALUES ('hashsize', 67108864)",
]
SQLITE_FILL = [
    "INSERT INTO search_name(rowid, first_name, last_name, company) "
    "SELECT id, first_name, last_name, company FROM customer",
    "INSERT INTO search_all(rowid, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city) "
    "SELECT id, first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city FROM customer",
    "INSERT INTO search_custom(rowid, value) "
    "SELECT (customer_id << 20) | field_id, value FROM custom_field_value",
]
#: ``{schema}``: where tillterm's tables live; ``{unaccent}``: the extension's schema
PG_FUNCTIONS = [
    "CREATE FUNCTION \"{schema}\".search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $f$ SELECT regexp_replace(lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)), '[^[:alnum:]]+', ' ', 'g') $f$",
    "CREATE FUNCTION \"{schema}\".search_name_doc(text, text, text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $f$ SELECT to_tsvector('pg_catalog.simple'::regconfig, \"{schema}\".search_fold(concat_ws(' ', $1, $2, $3))) $f$",
    "CREATE FUNCTION \"{schema}\".search_all_doc(text, text, text, text, text, text, text, text, text, text, text, text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $f$ SELECT to_tsvector('pg_catalog.simple'::regconfig, \"{schema}\".search_fold(concat_ws(' ', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))) $f$",
    "CREATE FUNCTION \"{schema}\".search_email_doc(text, text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $f$ SELECT to_tsvector('pg_catalog.simple'::regconfig, \"{schema}\".search_fold(concat_ws(' ', $1, $2))) $f$",
    "CREATE FUNCTION \"{schema}\".search_value_doc(text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $f$ SELECT to_tsvector('pg_catalog.simple'::regconfig, \"{schema}\".search_fold(concat_ws(' ', $1))) $f$",
]
PG_INDEXES = [
    "CREATE INDEX search_customer_name ON customer USING gin (search_name_doc(first_name, last_name, company))",
    "CREATE INDEX search_customer_all ON customer USING gin (search_all_doc(first_name, last_name, company, title, email, email2, phone_digits, postal_code, customer_code, address1, address2, city))",
    "CREATE INDEX search_customer_email ON customer USING gin (search_email_doc(email, email2))",
    "CREATE INDEX search_custom_value ON custom_field_value USING gin (search_value_doc(value))",
]


def _pg_unaccent_schema() -> str:
    bind = op.get_bind()
    find = text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    )
    found = bind.execute(find).scalar()
    if found is None:
        # extensions belong in public, where every schema's search path can see them
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
        found = bind.execute(find).scalar()
    return str(found)


def upgrade() -> None:
    bind = op.get_bind()
    # counts and lists leave archived customers out: find those few without a scan
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index("ix_customer_archived_at", ["archived_at"], unique=False)
    if bind.dialect.name == "sqlite":
        for statement in [*SQLITE_TABLES, *SQLITE_SETTINGS, *SQLITE_TRIGGERS, *SQLITE_FILL]:
            bind.exec_driver_sql(statement)
        return
    schema = bind.execute(text("SELECT current_schema()")).scalar()
    unaccent = _pg_unaccent_schema()
    for statement in PG_FUNCTIONS:
        ddl = statement.replace("{schema}", str(schema)).replace("{unaccent}", unaccent)
        bind.exec_driver_sql(ddl)  # not text(): ``[:alnum:]`` is no bind parameter
    for statement in PG_INDEXES:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_archived_at")
    if bind.dialect.name == "sqlite":
        for name in [
            "search_name_ai",
            "search_name_au",
            "search_name_ad",
            "search_all_ai",
            "search_all_au",
            "search_all_ad",
            "search_custom_ai",
            "search_custom_au",
            "search_custom_ad",
        ]:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name in ["search_name", "search_all", "search_custom"]:
            op.execute(f"DROP TABLE IF EXISTS {name}")
        return
    for name in [
        "search_customer_name",
        "search_customer_all",
        "search_customer_email",
        "search_custom_value",
    ]:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for signature in (
        "search_name_doc(text, text, text)",
        "search_all_doc(text, text, text, text, text, text, text, text, text, text, text, text)",
        "search_email_doc(text, text)",
        "search_value_doc(text)",
        "search_fold(text)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
