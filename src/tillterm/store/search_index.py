"""The customer search index: what is indexed, and how it stays in step with the tables.

Search (``tillterm.customers.search``) never scans the customer table. It reads word indexes:

- on SQLite, three contentless FTS5 tables (``unicode61 remove_diacritics 2``, so
  "lea" finds "Léa"): ``search_name`` (first name, last name, company; prefix indexes up
  to six characters so a typed word prefix is read lazily, never merged),
  ``search_all`` (every searchable customer field, SPEC §4, address included; prefix
  indexes of one to three characters, so "m" or "06" is read lazily too) and
  ``search_custom`` (custom field values; rowid = customer id << 20 | field id).
  Triggers keep them in step with every write, from any program. Contentless tables
  store no second copy of the text, and ``columnsize=0`` / ``detail=column`` keep them
  small: a million customers index in well under half a minute.
- on PostgreSQL, GIN indexes over ``to_tsvector('simple', fold(...))`` expressions,
  where ``fold`` lower-cases, strips accents (``unaccent``) and turns every run of
  non-alphanumerics into a space, i.e. the same words as SQLite's tokenizer. Expression
  indexes need no trigger and can never fall out of step.

Bulk loads (the demo store, spreadsheet import) wrap their inserts in
:func:`bulk_insert`, which indexes the new rows in one statement instead of a trigger
call per row.

Migration ``0002_search_index`` carries its own frozen copy of this DDL (migrations must
not change after release); ``tests/test_search.py`` checks both stay identical.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tillterm.store.engine import begin_write

TOKENIZE = "unicode61 remove_diacritics 2"
#: the "names" tier: who the customer is
NAME_COLUMNS = ("first_name", "last_name", "company")
#: everything SPEC §4 lets a person search by, address included
ALL_COLUMNS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "email2",
    "phone_digits",
    "postal_code",
    "customer_code",
    "address1",
    "address2",
    "city",
)
EMAIL_COLUMNS = ("email", "email2")
#: ``search_custom`` rowids pack the customer id and the field id (ids < 2**20)
CUSTOM_SHIFT = 20
#: every database object of the search index starts with this (migrations compare skips it)
PREFIX = "search_"


def _fts(name: str, columns: tuple[str, ...], prefix: str) -> str:
    return (
        f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)}, content='', "
        f"columnsize=0, detail=column, tokenize='{TOKENIZE}', prefix='{prefix}')"
    )


SQLITE_TABLES: dict[str, str] = {
    "search_name": _fts("search_name", NAME_COLUMNS, "1 2 3 4 5 6"),
    "search_all": _fts("search_all", ALL_COLUMNS, "1 2 3"),
    "search_custom": _fts("search_custom", ("value",), "1 2 3"),
}
#: FTS5 flushes its pending words every ``hashsize`` bytes; at the 1 MB default a bulk
#: load writes (and then merges) many small segments: 64 MB builds a third faster
SQLITE_SETTINGS = [
    f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {64 * 1024 * 1024})"
    for table in ("search_name", "search_all", "search_custom")
]


def _values(prefix: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{prefix}.{c}" for c in columns)


def _customer_triggers() -> dict[str, str]:
    triggers = {}
    for table, columns in (("search_name", NAME_COLUMNS), ("search_all", ALL_COLUMNS)):
        cols = ", ".join(columns)
        insert = f"INSERT INTO {table}(rowid, {cols}) VALUES (new.id, {_values('new', columns)});"
        delete = (
            f"INSERT INTO {table}({table}, rowid, {cols}) "
            f"VALUES ('delete', old.id, {_values('old', columns)});"
        )
        triggers[f"{table}_ai"] = (
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON customer BEGIN {insert} END"
        )
        triggers[f"{table}_au"] = (
            f"CREATE TRIGGER {table}_au AFTER UPDATE OF {cols} ON customer "
            f"BEGIN {delete} {insert} END"
        )
        triggers[f"{table}_ad"] = (
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON customer BEGIN {delete} END"
        )
    return triggers


def _custom_triggers() -> dict[str, str]:
    new_id = f"(new.customer_id << {CUSTOM_SHIFT}) | new.field_id"
    old_id = f"(old.customer_id << {CUSTOM_SHIFT}) | old.field_id"
    insert = f"INSERT INTO search_custom(rowid, value) VALUES ({new_id}, new.value);"
    delete = (
        "INSERT INTO search_custom(search_custom, rowid, value) "
        f"VALUES ('delete', {old_id}, old.value);"
    )
    return {
        "search_custom_ai": (
            f"CREATE TRIGGER search_custom_ai AFTER INSERT ON custom_field_value BEGIN {insert} END"
        ),
        "search_custom_au": (
            "CREATE TRIGGER search_custom_au AFTER UPDATE ON custom_field_value "
            f"BEGIN {delete} {insert} END"
        ),
        "search_custom_ad": (
            f"CREATE TRIGGER search_custom_ad AFTER DELETE ON custom_field_value BEGIN {delete} END"
        ),
    }


SQLITE_TRIGGERS: dict[str, str] = {**_customer_triggers(), **_custom_triggers()}
#: the triggers a bulk insert of customers suspends (it indexes the new rows itself)
BULK_SUSPENDED = ("search_name_ai", "search_all_ai")


def _pg_fold_body(unaccent_schema: str) -> str:
    return (
        "SELECT regexp_replace(lower("
        f'"{unaccent_schema}".unaccent(\'"{unaccent_schema}".unaccent\'::regdictionary, $1)), '
        "'[^[:alnum:]]+', ' ', 'g')"
    )


def pg_functions(schema: str, unaccent_schema: str) -> dict[str, str]:
    """The PostgreSQL functions the expression indexes use (schema-qualified).

    They are declared expensive (``COST``): folding accents and cutting words is, and a
    planner that knows it reads the GIN index rather than computing them row by row.
    """

    def doc(name: str, columns: tuple[str, ...]) -> str:
        args = ", ".join("text" for _ in columns)
        params = ", ".join(f"${i + 1}" for i in range(len(columns)))
        return (
            f'CREATE FUNCTION "{schema}".{name}({args}) RETURNS tsvector '
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 10000 AS $f$ "
            f"SELECT to_tsvector('pg_catalog.simple'::regconfig, "
            f"\"{schema}\".search_fold(concat_ws(' ', {params}))) $f$"
        )

    return {
        "search_fold": (
            f'CREATE FUNCTION "{schema}".search_fold(text) RETURNS text '
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $f$ "
            f"{_pg_fold_body(unaccent_schema)} $f$"
        ),
        "search_name_doc": doc("search_name_doc", NAME_COLUMNS),
        "search_all_doc": doc("search_all_doc", ALL_COLUMNS),
        "search_email_doc": doc("search_email_doc", EMAIL_COLUMNS),
        "search_value_doc": doc("search_value_doc", ("value",)),
    }


#: the words of a text, as ``search_fold`` then ``to_tsvector('simple', …)`` give them
#: but twice as fast (no text-search parser: the words are already cut), for the stored
#: words of the customer fields (``0007_pg_search_indexes``). Their fields are bounded
#: (≤ 254 characters), so no word is over a tsvector's 2,047 bytes; custom values are
#: not, and keep ``search_value_doc``, which skips such words.
def pg_words_function(schema: str, unaccent_schema: str) -> str:
    return (
        f'CREATE FUNCTION "{schema}".search_words(text) RETURNS tsvector '
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ "
        "SELECT array_to_tsvector(array_remove(regexp_split_to_array(lower("
        f'"{unaccent_schema}".unaccent(\'"{unaccent_schema}".unaccent\'::regdictionary, $1)), '
        "'[^[:alnum:]]+'), '')) $f$"
    )


def _words(columns: tuple[str, ...]) -> str:
    # not concat_ws(): it is only STABLE, and a generated column's expression must be
    # IMMUTABLE
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"search_words({joined})"


#: the stored words of each search document (``0007_pg_search_indexes``): computed once
#: when a row is written, so a plan that walks the customers in id order and stops at the
#: fiftieth match reads them instead of folding every row it visits (about 20 µs each)
PG_WORDS = {
    "search_name_words": _words(NAME_COLUMNS),
    "search_all_words": _words(ALL_COLUMNS),
    "search_email_words": _words(EMAIL_COLUMNS),
}
PG_VALUE_WORDS = "search_value_words"


def _generated(columns: dict[str, str]) -> str:
    return ", ".join(
        f"ADD COLUMN {name} tsvector GENERATED ALWAYS AS ({expression}) STORED"
        for name, expression in columns.items()
    )


PG_COLUMNS: dict[str, str] = {
    "customer": f"ALTER TABLE customer {_generated(PG_WORDS)}",
    "custom_field_value": (
        f"ALTER TABLE custom_field_value {_generated({PG_VALUE_WORDS: 'search_value_doc(value)'})}"
    ),
}
PG_INDEXES: dict[str, str] = {
    "search_customer_name": (
        "CREATE INDEX search_customer_name ON customer USING gin (search_name_words)"
    ),
    "search_customer_all": (
        "CREATE INDEX search_customer_all ON customer USING gin (search_all_words)"
    ),
    "search_customer_email": (
        "CREATE INDEX search_customer_email ON customer USING gin (search_email_words)"
    ),
    "search_custom_value": (
        f"CREATE INDEX search_custom_value ON custom_field_value USING gin ({PG_VALUE_WORDS})"
    ),
}
#: table settings (``0007_pg_search_indexes``): no parallel workers for a search
PG_SETTINGS: dict[str, str] = {"customer": "ALTER TABLE customer SET (parallel_workers = 0)"}


def index_new_customers(conn: Connection, after_id: int) -> None:
    """Index, in one statement per table, every customer whose id is above ``after_id``."""
    for table, columns in (("search_name", NAME_COLUMNS), ("search_all", ALL_COLUMNS)):
        cols = ", ".join(columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table}(rowid, {cols}) SELECT id, {cols} FROM customer WHERE id > ?",
            (after_id,),
        )


@contextlib.contextmanager
def bulk_insert(conn: Connection) -> Iterator[None]:
    """Insert many customers fast: the index catches up once, at the end of the block.

    Only *new* customer rows may be written inside the block (no update or delete of
    them), and it must run inside the caller's transaction so that no other register
    ever sees the customer table without its insert triggers. On PostgreSQL there is
    nothing to do (expression indexes).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    begin_write(conn)
    after_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM customer").scalar_one()
    for name in BULK_SUSPENDED:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    yield
    index_new_customers(conn, int(after_id))
    for name in BULK_SUSPENDED:
        conn.exec_driver_sql(SQLITE_TRIGGERS[name])


#: the triggers a bulk update of customers suspends (it re-indexes the rows itself)
BULK_UPDATE_SUSPENDED = ("search_name_au", "search_all_au")


@contextlib.contextmanager
def bulk_update(conn: Connection, ids: Sequence[int]) -> Iterator[None]:
    """Update many existing customers fast: their index entries are taken out before the
    block and put back after it, one statement per table, instead of a trigger per row.

    FTS5 writes its pending words out to a new segment at every statement, so a trigger
    per updated row costs a segment per row: 5,000 updates took 1.4 s, 0.13 s this way.
    Only the customers in ``ids`` may be updated inside the block (no insert or delete),
    inside the caller's transaction, as for :func:`bulk_insert`.
    """
    if conn.dialect.name != "sqlite" or not ids:
        yield
        return
    begin_write(conn)
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS search_bulk_ids (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM temp.search_bulk_ids")
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO temp.search_bulk_ids (id) VALUES (?)", [(i,) for i in ids]
    )
    chosen = "WHERE id IN (SELECT id FROM temp.search_bulk_ids)"
    for table, columns in (("search_name", NAME_COLUMNS), ("search_all", ALL_COLUMNS)):
        cols = ", ".join(columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table}({table}, rowid, {cols}) "
            f"SELECT 'delete', id, {cols} FROM customer {chosen}"
        )
    for name in BULK_UPDATE_SUSPENDED:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    yield
    for table, columns in (("search_name", NAME_COLUMNS), ("search_all", ALL_COLUMNS)):
        cols = ", ".join(columns)
        conn.exec_driver_sql(
            f"INSERT INTO {table}(rowid, {cols}) SELECT id, {cols} FROM customer {chosen}"
        )
    for name in BULK_UPDATE_SUSPENDED:
        conn.exec_driver_sql(SQLITE_TRIGGERS[name])
    conn.exec_driver_sql("DELETE FROM temp.search_bulk_ids")


def rebuild(conn: Connection) -> None:
    """Rebuild the SQLite index from the tables (repair; after a table rebuild)."""
    if conn.dialect.name != "sqlite":
        return
    for table in SQLITE_TABLES:
        conn.exec_driver_sql(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
    index_new_customers(conn, 0)
    conn.exec_driver_sql(
        "INSERT INTO search_custom(rowid, value) "
        f"SELECT (customer_id << {CUSTOM_SHIFT}) | field_id, value FROM custom_field_value"
    )
    existing = {
        row[0]
        for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    }
    for name, ddl in SQLITE_TRIGGERS.items():
        if name not in existing:
            conn.exec_driver_sql(ddl)
