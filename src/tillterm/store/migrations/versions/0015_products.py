# ruff: noqa: E501  (frozen DDL: one statement per line reads best)
"""product search: every word of the name, SKU and barcode, accents and case folded

Revision ID: 0015_products
Revises: 0014_merge

"cafe" did not find "Café": product search compared the name's first letters as typed.
Products now have a word index like the customers' (``tillterm.store.product_index``):

- SQLite: a contentless FTS5 table ``search_product`` and its triggers, filled from the
  existing products;
- PostgreSQL: a stored generated column ``search_product_words`` (the customers'
  ``search_words`` of ``0007_pg_search_indexes``) and its GIN index, computed by the
  server for every existing product as the column is added.

Nothing of the product rows changes. A frozen copy of ``tillterm.store.product_index`` as
of this revision (a test checks they still agree).
"""

from __future__ import annotations

from alembic import op

revision = "0015_products"
down_revision = "0014_merge"
branch_labels = None
depends_on = None

SQLITE_TABLE = "CREATE VIRTUAL TABLE search_product USING fts5(name, sku, barcode, content='', columnsize=0, detail=column, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
SQLITE_TRIGGERS = [
    "CREATE TRIGGER search_product_ai AFTER INSERT ON product BEGIN INSERT INTO search_product(rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode); END",
    "CREATE TRIGGER search_product_au AFTER UPDATE OF name, sku, barcode ON product BEGIN INSERT INTO search_product(search_product, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode); INSERT INTO search_product(rowid, name, sku, barcode) VALUES (new.id, new.name, new.sku, new.barcode); END",
    "CREATE TRIGGER search_product_ad AFTER DELETE ON product BEGIN INSERT INTO search_product(search_product, rowid, name, sku, barcode) VALUES ('delete', old.id, old.name, old.sku, old.barcode); END",
]
SQLITE_SETTING = "INSERT INTO search_product(search_product, rank) VALUES ('hashsize', 67108864)"
PG_COLUMN = "ALTER TABLE product ADD COLUMN search_product_words tsvector GENERATED ALWAYS AS (search_words(coalesce(name, '') || ' ' || coalesce(sku, '') || ' ' || coalesce(barcode, ''))) STORED"
PG_INDEX = "CREATE INDEX search_product_words ON product USING gin (search_product_words)"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(PG_COLUMN)
        bind.exec_driver_sql(PG_INDEX)
        bind.exec_driver_sql("ANALYZE product")
        return
    bind.exec_driver_sql(SQLITE_TABLE)
    bind.exec_driver_sql(SQLITE_SETTING)
    bind.exec_driver_sql(
        "INSERT INTO search_product(rowid, name, sku, barcode) SELECT id, name, sku, barcode FROM product"
    )
    for ddl in SQLITE_TRIGGERS:
        bind.exec_driver_sql(ddl)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP INDEX IF EXISTS search_product_words")
        bind.exec_driver_sql("ALTER TABLE product DROP COLUMN search_product_words")
        return
    for name in ("search_product_ai", "search_product_au", "search_product_ad"):
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_product")
