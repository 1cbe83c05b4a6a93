# ruff: noqa: E501  (frozen DDL: one statement per line reads best)
"""PostgreSQL search: the functions that compute the stored search words are PL/pgSQL,
the same words a good deal faster; nothing changes on SQLite

Revision ID: 0020_pgfold
Revises: 0019_pgmarks

A bulk load computes the stored words of every customer it writes (three generated
columns), and those functions were most of its time: inserting 100,000 customers took
6.7-7.2 s with them, 0.55 s without. Two reasons. An SQL function that calls
``unaccent`` (only STABLE) is never inlined, so each call started and stopped a little
executor of its own; and PostgreSQL's regular expressions cost about 100 ns a character
(``[^[:alnum:]]+`` over a customer's hundred-odd characters, ``(\\S)(\\S?)\\S*`` for the
marks). PL/pgSQL evaluates its expressions directly; a text of lower-case ASCII letters,
digits and common separators (nearly every customer once the accents are off) is cut with
``replace`` instead of the pattern, which still serves every other text; the marks come
from a loop over the words. Inserting the same 100,000 customers: 4.2-4.9 s.

The words are the same to the byte (checked on the 100,000 demo customers and on the
tests' hostile texts), so nothing stored is computed again: no table is rewritten, the
upgrade takes a moment at any size. Downgrading puts the SQL bodies back.

A frozen copy of ``tillterm.store.search_index`` as of this revision (a test checks they
still agree).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0020_pgfold"
down_revision = "0019_pgmarks"
branch_labels = None
depends_on = None

#: ``{schema}``: where tillterm's tables live; ``{unaccent}``: the extension's schema
PG_FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_fold(text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $f$ DECLARE s text := lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)); BEGIN IF s ~ '[^a-z0-9 @.''/,+_-]' THEN RETURN regexp_replace(s, '[^[:alnum:]]+', ' ', 'g'); END IF; s := replace(replace(replace(replace(replace(replace(replace(replace(s, '@', ' '), '.', ' '), '-', ' '), '''', ' '), '/', ' '), ',', ' '), '+', ' '), '_', ' '); WHILE strpos(s, '  ') > 0 LOOP s := replace(s, '  ', ' '); END LOOP; RETURN s; END $f$",
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_words(text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$ DECLARE s text := lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)); BEGIN IF s ~ '[^a-z0-9 @.''/,+_-]' THEN RETURN array_to_tsvector(array_remove(regexp_split_to_array(s, '[^[:alnum:]]+'), '')); END IF; RETURN array_to_tsvector(array_remove(string_to_array(replace(replace(replace(replace(replace(replace(replace(replace(s, '@', ' '), '.', ' '), '-', ' '), '''', ' '), '/', ' '), ',', ' '), '+', ' '), '_', ' '), ' '), '')); END $f$",
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_marked_words(text) RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $f$ DECLARE w text; a text[] := array_remove(string_to_array($1, ' '), ''); BEGIN FOREACH w IN ARRAY a LOOP a := a || ('#' || left(w, 1)) || ('#' || left(w, 2)); END LOOP; RETURN array_to_tsvector(a); END $f$",
]
#: the SQL bodies of ``0002_search_index``, ``0007_pg_search_indexes`` and ``0019_pgmarks``
OLD_FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $f$ SELECT regexp_replace(lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)), '[^[:alnum:]]+', ' ', 'g') $f$",
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(regexp_split_to_array(lower(\"{unaccent}\".unaccent('\"{unaccent}\".unaccent'::regdictionary, $1)), '[^[:alnum:]]+'), '')) $f$",
    "CREATE OR REPLACE FUNCTION \"{schema}\".search_marked_words(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$ SELECT array_to_tsvector(array_remove(string_to_array($1 || ' ' || regexp_replace($1, '(\\S)(\\S?)\\S*', '#\\1 #\\1\\2', 'g'), ' '), '')) $f$",
]


def _replace(functions: list[str]) -> None:
    bind = op.get_bind()
    schema = str(bind.execute(text("SELECT current_schema()")).scalar())
    unaccent = str(
        bind.execute(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
            )
        ).scalar_one()
    )
    for statement in functions:
        # not text(): ``[:alnum:]`` and ``$1`` are no bind parameters
        bind.exec_driver_sql(statement.replace("{schema}", schema).replace("{unaccent}", unaccent))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _replace(PG_FUNCTIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _replace(OLD_FUNCTIONS)
