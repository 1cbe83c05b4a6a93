"""Migrations: the shipped history is linear, matches the models, and keeps data."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import needs_pg
from tillterm.store.engine import build_engine, open_db, upgrade
from tillterm.store.migrations import HEAD_REVISION, KNOWN_REVISIONS, alembic_config, include_object
from tillterm.store.models import metadata


def _script(engine: Engine) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(engine))  # type: ignore[arg-type]


def test_history_is_linear_and_head_is_known(db_path: Path) -> None:
    engine = build_engine(db_path)
    script = _script(engine)
    assert script.get_heads() == [HEAD_REVISION]
    assert {rev.revision for rev in script.walk_revisions()} == set(KNOWN_REVISIONS)


# SQLite's expression indexes (search_customer_email_start) cannot be reflected; they
# are search objects, left out of the comparison like the rest of the search index
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_produce_exactly_the_models(any_engine: Engine) -> None:
    with any_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrade_from_first_revision_keeps_data(db_path: Path) -> None:
    engine = build_engine(db_path)
    first = KNOWN_REVISIONS[0]
    upgrade(engine, first)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer (customer_code, code_key, first_name, last_name, email,"
                " phone, marketing_opt_in, address1, address2, city, state, postal_code,"
                " country, title, company, company_reg_no, vat_number, website, phone_home,"
                " phone_work, phone_mobile, phone_pager, phone_fax, email2, on_account_allowed,"
                " loyalty_enabled, consent_email, consent_mail, consent_phone, notes,"
                " phone_digits, created_at, updated_at) VALUES ('OLD1', 'old1', 'Zoé', 'Noël',"
                " 'zoe@example.fr', '06 12 34 56 78', 0, '', '', 'Lyon', '', '69001', 'France',"
                " '', '', '', '', '', '', '', '', '', '', '', 0, 1, 0, 0, 0, 'since 2019',"
                " '0612345678', '2019-05-01 10:00:00.000000', '2019-05-01 10:00:00.000000')"
            )
        )
    engine.dispose()
    engine = open_db(db_path)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        )
        row = conn.execute(text("SELECT first_name, last_name, notes FROM customer")).one()
    assert tuple(row) == ("Zoé", "Noël", "since 2019")
    engine.dispose()


def test_settings_row_comes_with_the_schema_and_an_upgrade_keeps_a_changed_one(
    db_path: Path, tmp_path: Path
) -> None:
    fresh = open_db(db_path)
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT name, currency FROM store_settings")).all() == [
            ("My store", "EUR")
        ]
    fresh.dispose()
    old = build_engine(tmp_path / "old.db")
    upgrade(old, "0002_search_index")
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO store_settings (id, name, currency, prices_include_tax, "
                "loyalty_point_value_cents, receipt_footer) "
                "VALUES (1, 'Chez Léa', 'CHF', false, 2, 'Merci')"
            )
        )
    upgrade(old)
    with old.connect() as conn:
        assert conn.execute(text("SELECT name, currency FROM store_settings")).all() == [
            ("Chez Léa", "CHF")
        ]
    old.dispose()


def test_two_threads_reading_settings_on_a_new_database_both_succeed(db_path: Path) -> None:
    """The app's settings reader and the register's first change start together."""
    from concurrent.futures import ThreadPoolExecutor

    from tillterm.catalog.settings import load_settings
    from tillterm.store.engine import session_scope

    engine = open_db(db_path)
    with engine.begin() as conn:  # a database whose row went missing: both create it
        conn.execute(text("DELETE FROM store_settings"))

    def read(_: int) -> str:
        with session_scope(engine) as session:
            return load_settings(session).name

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(read, range(8))) == ["My store"] * 8
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_pg)])
def old_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where to build a store the old way, on each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "till.db")
    return str(request.getfixturevalue("pg_url"))


def _old_customer(code: str, first: str, phone: str, digits: str, mobile: str = "") -> str:
    return (
        "INSERT INTO customer (customer_code, code_key, first_name, last_name, email, phone,"
        " marketing_opt_in, address1, address2, city, state, postal_code, country, title,"
        " company, company_reg_no, vat_number, website, phone_home, phone_work, phone_mobile,"
        " phone_pager, phone_fax, email2, on_account_allowed, loyalty_enabled, consent_email,"
        " consent_mail, consent_phone, notes, phone_digits, created_at, updated_at) VALUES"
        f" ('{code}', '{code.lower()}', '{first}', 'Old', '', '{phone}', false, '', '', '', '',"
        f" '', '', '', '', '', '', '', '', '', '{mobile}', '', '', '', false, false, false,"
        f" false, false, '', '{digits}', '2019-05-01 10:00:00', '2019-05-01 10:00:00')"
    )


def test_customers_stored_before_e164_are_found_by_every_form_after_the_upgrade(
    old_store_url: str,
) -> None:
    """A store at 0016 whose phone digits are the typed digits alone (as written before
    phones were read with ``phonenumbers``) gets the national, E.164 and national
    significant forms from the upgrade, and its search index with them."""
    from tillterm.customers.profiles import search_customers
    from tillterm.customers.search import count_matches
    from tillterm.store.engine import session_scope

    old = build_engine(old_store_url)
    upgrade(old, "0016_pgsearch")
    with old.begin() as conn:
        conn.execute(text(_old_customer("OLD1", "Lea", "+33 6 98 76 54 32", "33698765432")))
        conn.execute(
            text(
                _old_customer(
                    "OLD2", "Tom", "+44 7911 123456", "447911123456", mobile="01 45 67 89 10"
                )
            )
        )
        conn.execute(text(_old_customer("OLD3", "Nobody", "", "")))
    old.dispose()
    engine = open_db(old_store_url)
    try:
        with session_scope(engine) as s:
            for typed in ("0698765432", "+33698765432", "698765", "06 98 76 54 32", "+33 6 98"):
                assert [c.first_name for c in search_customers(s, typed)] == ["Lea"], typed
                assert count_matches(s, typed) == 1, typed
            for typed in ("07911 123456", "447911", "0145678910", "33145678910"):
                assert [c.first_name for c in search_customers(s, typed)] == ["Tom"], typed
            rows = s.execute(text("SELECT customer_code, phone_digits FROM customer")).all()
            digits = {code: value for code, value in rows}
        assert digits == {
            "OLD1": "33698765432 0698765432 698765432",
            "OLD2": "447911123456 07911123456 0145678910 33145678910 7911123456 145678910",
            "OLD3": "",
        }
    finally:
        engine.dispose()
