"""Customer search: what a cashier types finds the right customer, on both engines."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tillterm.core.errors import ValidationFailed
from tillterm.customers.custom_fields import define_field
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import (
    archive_customer,
    count_customers,
    create_customer,
    search_customers,
    update_customer,
)
from tillterm.customers.search import SearchFilters, parse_query, words
from tillterm.demo.seeding import seed_demo
from tillterm.store import search_index
from tillterm.store.engine import open_db, session_scope

PEOPLE = [
    {"first_name": "Marie", "last_name": "Dubois", "phone": "06 12 34 56 78",
     "email": "marie.dubois@orange.fr", "postal_code": "75011", "city": "Paris",
     "address1": "12 rue de la République", "customer_code": "CARD-0001"},
    {"first_name": "Léa", "last_name": "Dupont", "phone": "+33 6 98 76 54 32",
     "email": "lea@free.fr", "postal_code": "69003", "city": "Lyon"},
    {"first_name": "Leanne", "last_name": "Martin", "phone": "01 45 67 89 10",
     "email": "jean@example.org", "postal_code": "75011"},
    {"first_name": "Jean", "last_name": "Dubreuil", "phone_mobile": "07 11 22 33 44",
     "email": "j.dubreuil@gmail.com", "city": "Québec", "postal_code": "G1R 4P5"},
    {"first_name": "Zoé", "last_name": "Noël", "company": "Boulangerie Noël",
     "email": "zoe@boulangerie.fr", "title": "Mme", "address1": "3 allée des Tilleuls"},
    {"company": "Garage Marchand", "phone_work": "+1 514 555 0199", "email2": "compta@garage.ca"},
]  # fmt: skip


def _add_people(engine: Engine) -> dict[str, int]:
    ids = {}
    with session_scope(engine) as s:
        for person in PEOPLE:
            record = create_customer(s, person)
            ids[record.display_name] = record.id
    return ids


def _names(engine: Engine, typed: str, **filters: object) -> list[str]:
    with session_scope(engine) as s:
        return [c.display_name for c in search_customers(s, typed, **filters)]


@pytest.fixture
def people(any_engine: Engine) -> Engine:
    _add_people(any_engine)
    return any_engine


def test_parsing_reads_words_digits_and_emails() -> None:
    assert parse_query("  Marie   DUB ").terms == ("marie", "dub")
    assert parse_query("Léa").terms == ("lea",)
    assert parse_query("06 12").kind == "digits"
    assert parse_query("06 12").terms == ("0612",)
    assert parse_query("+44 (0) 7911-123").terms == ("4407911123",)
    assert parse_query("jean@").kind == "email"
    assert parse_query("   ").kind == "empty"
    assert parse_query('"*-:(').terms == ()
    assert parse_query("a b c d e f g h i j k").terms == tuple("abcdefgh")
    assert parse_query("x" * 1000).terms == ("x" * 100,)
    assert words("Jean-Pierre O'Neil_x") == ["jean", "pierre", "o", "neil", "x"]


TYPED = [
    ("dubois", ["Marie Dubois"]),
    ("marie dub", ["Marie Dubois"]),
    ("DUB", ["Marie Dubois", "Jean Dubreuil"]),
    ("lea", ["Léa Dupont", "Leanne Martin"]),  # the whole word first, then prefixes
    ("LÉA", ["Léa Dupont", "Leanne Martin"]),
    ("zoe noel", ["Zoé Noël"]),
    ("boulangerie", ["Zoé Noël"]),
    ("0612", ["Marie Dubois"]),
    ("06 12 34", ["Marie Dubois"]),
    ("06.12.34.56.78", ["Marie Dubois"]),
    ("3369876", ["Léa Dupont"]),
    ("0711", ["Jean Dubreuil"]),
    ("514 555", ["Garage Marchand"]),
    ("75011", ["Marie Dubois", "Leanne Martin"]),
    ("g1r", ["Jean Dubreuil"]),
    ("jean@", ["Leanne Martin"]),  # an email, not every Jean
    ("lea@free", ["Léa Dupont"]),
    ("compta@", ["Garage Marchand"]),
    ("gmail", ["Jean Dubreuil"]),
    ("republique", ["Marie Dubois"]),
    ("tilleuls", ["Zoé Noël"]),
    ("paris", ["Marie Dubois"]),
    ("quebec", ["Jean Dubreuil"]),
    ("mme", ["Zoé Noël"]),
    ("card-0001", ["Marie Dubois"]),
    ("  card-0001 ", ["Marie Dubois"]),
    ("zzz", []),
    ("marie zzz", []),
]


def test_typed_text_finds_the_right_customers(people: Engine) -> None:
    for typed, expected in TYPED:
        assert _names(people, typed) == expected, typed
        with session_scope(people) as s:
            assert count_customers(s, typed) == len(expected), typed


def test_exact_customer_code_comes_first(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Ab", "last_name": "Prefix"})
        create_customer(s, {"first_name": "Ab", "last_name": "Coded", "customer_code": "ab"})
    assert _names(any_engine, "ab") == ["Ab Coded", "Ab Prefix"]
    with session_scope(any_engine) as s:
        assert count_customers(s, "ab") == 2
        # found only through its code ("@@" has no words for the word index)
        coded = create_customer(s, {"first_name": "Only", "customer_code": "@@"})
        assert [c.id for c in search_customers(s, "@@")] == [coded.id]
        assert count_customers(s, "@@") == 1
        archive_customer(s, coded.id)
        assert count_customers(s, "@@") == 0
        assert count_customers(s, "@@", include_archived=True) == 1


def test_search_follows_updates_archives_and_custom_values(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        define_field(s, "Shoe size", "number")
        define_field(s, "Favourite", "text")
        marie = create_customer(s, {"first_name": "Marie", "last_name": "Dubois"})
        create_customer(
            s, {"first_name": "Paul", "custom": {"Favourite": "Comté affiné", "Shoe size": "44"}}
        )
    assert _names(any_engine, "comte") == ["Paul"]
    with session_scope(any_engine) as s:
        define_field(s, "Colour", "text")
        create_customer(
            s, {"first_name": "Blue", "custom": {"Favourite": "bleu", "Colour": "Bleu"}}
        )
        assert count_customers(s, "bleu") == 1
    assert _names(any_engine, "bleu") == ["Blue"]  # once, though two values match
    with session_scope(any_engine) as s:
        update_customer(s, marie.id, {"last_name": "Durand", "phone": "06 00 00 00 01"})
    assert _names(any_engine, "dubois") == []
    assert _names(any_engine, "durand") == ["Marie Durand"]
    assert _names(any_engine, "0600") == ["Marie Durand"]
    with session_scope(any_engine) as s:
        update_customer(s, marie.id, {"custom": {"Favourite": "Roquefort"}})
    assert _names(any_engine, "roquefort") == ["Marie Durand"]
    with session_scope(any_engine) as s:
        archive_customer(s, marie.id)
    assert _names(any_engine, "durand") == []
    assert _names(any_engine, "durand", include_archived=True) == ["Marie Durand"]
    with session_scope(any_engine) as s:
        assert count_customers(s, "durand") == 0
        assert count_customers(s, "durand", include_archived=True) == 1


def test_filters(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        vip = create_group(s, "VIP", discount_percent=Decimal(10))
        create_customer(
            s, {"first_name": "Anne", "group_id": vip.id, "tags": "wine club, bio",
                "discount_percent": "5"},
        )  # fmt: skip
        create_customer(s, {"first_name": "Annie", "tags": "bio"})
        create_customer(s, {"first_name": "Anna", "discount_percent": "10"})
    assert _names(any_engine, "ann", group_id=vip.id) == ["Anne"]
    assert _names(any_engine, "ann", group_id=0) == ["Annie", "Anna"]
    assert _names(any_engine, "", tags_all=["BIO"]) == ["Anne", "Annie"]
    assert _names(any_engine, "", tags_all=["bio", "wine club"]) == ["Anne"]
    assert _names(any_engine, "", tags_all="bio, wine club") == ["Anne"]
    assert _names(any_engine, "", tags_all=["nobody has this"]) == []
    assert _names(any_engine, "", tags_all=["bio\x00"]) == ["Anne", "Annie"]
    assert _names(any_engine, "", tags_all=["  Wine   CLUB "]) == ["Anne"]
    assert _names(any_engine, "", tags_none=["wine club"]) == ["Annie", "Anna"]
    assert _names(any_engine, "", tags_none=["unknown tag"]) == ["Anne", "Annie", "Anna"]
    assert _names(any_engine, "", discount="any") == ["Anne", "Anna"]
    assert _names(any_engine, "", discount=Decimal("10")) == ["Anna"]
    today = dt.date.today()
    assert _names(any_engine, "an", created_from=today, created_to=today) == [
        "Anne",
        "Annie",
        "Anna",
    ]
    assert _names(any_engine, "an", created_to=today - dt.timedelta(days=1)) == []
    assert _names(any_engine, "an", filters=SearchFilters(group_id=vip.id)) == ["Anne"]
    with session_scope(any_engine) as s:
        assert count_customers(s, "", tags_all=["bio"]) == 2
        assert count_customers(s, "an", group_id=0, tags_none=["bio"]) == 1
    assert _names(any_engine, "", discount="10", created_from=today.strftime("%d/%m/%Y")) == [
        "Anna"
    ]
    with pytest.raises(TypeError):
        _names(any_engine, "", colour="red")
    with pytest.raises(ValidationFailed) as caught:
        _names(any_engine, "", discount="lots", created_to="31/02/2020")
    assert set(caught.value.errors) == {"discount", "created_to"}


def test_paging_is_stable_across_tiers(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        for n in range(7):
            create_customer(s, {"first_name": f"Max{n}", "city": "Maxville" if n % 2 else ""})
            create_customer(s, {"first_name": "Other", "city": f"Maxville {n}"})
    with session_scope(any_engine) as s:
        whole = [c.id for c in search_customers(s, "max", limit=100)]
        assert len(whole) == count_customers(s, "max") == 14
        pages = [
            c.id
            for start in range(0, 14, 4)
            for c in search_customers(s, "max", limit=4, offset=start)
        ]
        assert pages == whole
        assert search_customers(s, "max", limit=0) == []


def test_the_address_an_email_text_starts_comes_first(any_engine: Engine) -> None:
    """ "jean@" means jean@martin.fr's owner, not the Jeannes and Jeanettes before him."""
    with session_scope(any_engine) as s:
        early = [
            ("Jeanne", "jeanne.roux@free.fr"),
            ("Jeanette", "jeanette@gmail.com"),
            ("Jean", "jean.dupont@orange.fr"),
            ("Marc", "marc@jean.fr"),
        ]
        for first, email in early:
            create_customer(s, {"first_name": first, "last_name": "Early", "email": email})
        create_customer(s, {"first_name": "Jean", "last_name": "Martin", "email": "Jean@Martin.fr"})
        create_customer(s, {"first_name": "Paul", "email2": "JEAN@paul.org"})
    everyone = ["Jeanne Early", "Jeanette Early", "Jean Early", "Marc Early"]
    # the two addresses "jean@" starts (the second address too), the later change first
    assert _names(any_engine, "jean@") == ["Paul", "Jean Martin", *everyone]
    assert _names(any_engine, "JEAN@mar") == ["Jean Martin", "Marc Early"]
    assert _names(any_engine, " jean@martin.fr ") == ["Jean Martin"]
    assert _names(any_engine, "jeanne.r@") == ["Jeanne Early"]
    assert _names(any_engine, "jean@", limit=2, offset=1)[0] == "Jean Martin"
    with session_scope(any_engine) as s:
        assert count_customers(s, "jean@") == 6
        martin = search_customers(s, "jean@martin.fr")[0]
        update_customer(s, martin.id, {"city": "Lyon"})
    assert _names(any_engine, "jean@")[:2] == ["Jean Martin", "Paul"]


def test_a_whole_phone_number_comes_first_its_latest_customer_first(any_engine: Engine) -> None:
    from sales_store import build_store

    build_store(any_engine)
    with session_scope(any_engine) as s:
        create_customer(s, {"first_name": "Prefix", "phone": "01 98 76 54 32",
                            "postal_code": "06987"})  # fmt: skip
        mother = create_customer(s, {"first_name": "Mother", "phone": "06 98 76 54 32"})
        create_customer(s, {"first_name": "Son", "customer_code": "SON-1",
                            "phone_mobile": "+33 6 98 76 54 32"})  # fmt: skip
    # the same number: the later change first
    assert _names(any_engine, "0698765432") == ["Son", "Mother"]
    assert _names(any_engine, "+33 6 98 76 54 32") == ["Son", "Mother"]
    with session_scope(any_engine) as s:
        update_customer(s, mother.id, {"city": "Brest"})
    assert _names(any_engine, "06 98 76 54 32") == ["Mother", "Son"]
    assert _names(any_engine, "698765432") == ["Mother", "Son"]
    # a sale is activity too
    with session_scope(any_engine) as s:
        from tillterm import sales

        sales.scan_code(s, "till-1", "3000000000024")
        view = sales.scan_code(s, "till-1", "SON-1").view
        assert view is not None
        sales.add_payment(s, view.id, "card")
        sales.complete_sale(s, view.id)
    assert _names(any_engine, "0698765432") == ["Son", "Mother"]
    # a prefix is no whole number: id order
    assert _names(any_engine, "069876") == ["Mother", "Son"]
    assert _names(any_engine, "06987") == ["Prefix", "Mother", "Son"]


def test_a_name_word_and_a_custom_value_word_find_the_customer(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        define_field(s, "Favourite", "text")
        define_field(s, "Club", "text")
        paul = create_customer(
            s, {"first_name": "Paul", "last_name": "Martin", "custom": {"Favourite": "Comté"}}
        )
        create_customer(s, {"first_name": "Paula", "custom": {"Club": "Randonnée"}})
        create_customer(s, {"first_name": "Paul", "last_name": "Comtesse"})
        create_customer(s, {"first_name": "Anne", "custom": {"Favourite": "Comté",
                                                             "Club": "Paul Bert"}})  # fmt: skip
    # Paul Comtesse holds both words in his name; Paul Martin and Anne by their values
    assert _names(any_engine, "paul comte") == ["Paul Comtesse", "Paul Martin", "Anne"]
    assert _names(any_engine, "comte martin") == ["Paul Martin"]
    assert _names(any_engine, "martin comté paul") == ["Paul Martin"]
    assert _names(any_engine, "paula rando") == ["Paula"]
    assert _names(any_engine, "paula comte") == []
    assert _names(any_engine, "martin zzz") == []
    with session_scope(any_engine) as s:
        assert count_customers(s, "paul comte") == 3
        assert count_customers(s, "comte martin") == 1
        assert count_customers(s, "paula comte") == 0
        assert count_customers(s, "comte martin", include_archived=True) == 1
        assert count_customers(s, "comte martin", archived_only=True) == 0
        archive_customer(s, paul.id)
        assert count_customers(s, "comte martin") == 0
        assert count_customers(s, "comte martin", archived_only=True) == 1
    assert _names(any_engine, "comte martin") == []
    assert _names(any_engine, "comte martin", include_archived=True) == ["Paul Martin"]


@pytest.fixture(scope="module")
def safe_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One store for every generated example (built once, disposed after the module)."""
    engine = open_db(tmp_path_factory.mktemp("safe") / "till.db")
    _add_people(engine)
    yield engine
    engine.dispose()


@settings(max_examples=60, deadline=None)
@given(
    typed=st.one_of(
        st.text(max_size=40),
        st.text(alphabet='"*-:()^+{}[]\'\\%_ ANDORNEAR🙂é@.', max_size=30),
        st.sampled_from(['"', "*", "-", ":", "(", "AND", "NEAR", "OR", "NOT", "🙂", "x" * 1000,
                         "marie AND", 'NEAR(a b)', "col:val", "^start", "a*b", "%", "_", "'"]),
    )
)  # fmt: skip
def test_any_text_is_safe(safe_engine: Engine, typed: str) -> None:
    with session_scope(safe_engine) as s:
        found = search_customers(s, typed, limit=5)
        assert count_customers(s, typed) >= len(found)


def test_any_text_is_safe_on_both_engines(people: Engine) -> None:
    for typed in ['"', "*", "-x", "a:b", "(", "AND", "NEAR", "🙂", "x" * 1000, "' OR 1=1 --",
                  "marie\x00dub", "\\", "é" * 300, "@", "@@", "a&b|c!d", "a:*", "<->"]:  # fmt: skip
        with session_scope(people) as s:
            assert search_customers(s, typed) is not None
            count_customers(s, typed)
    assert _names(people, '"marie"') == ["Marie Dubois"]
    assert _names(people, "marie AND") == []  # AND is a word like any other
    assert _names(people, "dub*") == ["Marie Dubois", "Jean Dubreuil"]
    assert _names(people, "(marie)") == ["Marie Dubois"]


def test_both_engines_return_the_same_results(tmp_path: Path, pg_engine: Engine) -> None:
    sqlite = open_db(tmp_path / "till.db")
    try:
        for engine in (sqlite, pg_engine):
            seed_demo(engine, customers=120, products=5)
            with session_scope(engine) as s:
                define_field(s, "Notes2", "text")
                create_customer(
                    s,
                    {
                        "first_name": "Élodie",
                        "customer_code": "E1",
                        "custom": {"Notes2": "Crème brûlée"},
                    },
                )
        with session_scope(sqlite) as s:
            rows = s.exec(
                text("SELECT first_name, last_name, email, phone_digits, postal_code, city "
                     "FROM customer ORDER BY id LIMIT 3")
            ).all()  # fmt: skip
        queries = {"creme", "brulee", "", "zzz", "e", "ma", "mar", "a b", "06", "paris", "rue",
                   "gmail", "com", "@", "fr"}  # fmt: skip
        for first, last, email, digits, postal, city in rows:
            queries |= {first[:1], first[:3], last[:4], f"{first} {last[:2]}", last, postal, city}
            queries |= {digits[:4], f"{digits[:2]} {digits[2:6]}", email.split("@")[0] + "@"}
            # what the text names exactly: a whole address or phone, a custom value
            queries |= {email, email.split("@")[0][:3] + "@", digits.split()[0], digits[-9:]}
            queries |= {f"{first} creme", f"brulee {last}"}
        for typed in sorted(queries):
            results = []
            for engine in (sqlite, pg_engine):
                with session_scope(engine) as s:
                    found = search_customers(s, typed, limit=20, offset=0)
                    results.append(([c.id for c in found], count_customers(s, typed)))
            assert results[0] == results[1], typed
    finally:
        sqlite.dispose()


def test_index_ddl_matches_the_migration(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master "
            "WHERE name LIKE 'search%' AND sql IS NOT NULL"
        ).all()
    stored = {name: sql for kind, name, sql in rows if kind in ("trigger", "table")}
    for name, ddl in {**search_index.SQLITE_TABLES, **search_index.SQLITE_TRIGGERS}.items():
        assert stored[name] == ddl
    with engine.connect() as conn:
        for table in search_index.SQLITE_TABLES:
            size = conn.exec_driver_sql(
                f"SELECT v FROM {table}_config WHERE k = 'hashsize'"
            ).scalar()
            assert f"VALUES ('hashsize', {size})" in " ".join(search_index.SQLITE_SETTINGS)


def test_bulk_insert_indexes_new_rows_once(engine: Engine) -> None:
    with engine.begin() as conn, search_index.bulk_insert(conn):
        triggers = (
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .scalars()
            .all()
        )
        assert "search_all_ai" not in triggers
        conn.exec_driver_sql(
            "INSERT INTO customer (customer_code, code_key, first_name, last_name, email, phone,"
            " marketing_opt_in, address1, address2, city, state, postal_code, country, title,"
            " company, company_reg_no, vat_number, website, phone_home, phone_work,"
            " phone_mobile, phone_pager, phone_fax, email2, on_account_allowed, loyalty_enabled,"
            " consent_email, consent_mail, consent_phone, notes, phone_digits, created_at,"
            " updated_at) VALUES ('B1', 'b1', 'Bulky', 'Loaded', '', '', 0, '', '', '', '',"
            " '', '', '', '', '', '', '', '', '', '', '', '', '', 0, 0, 0, 0, 0, '', '0611',"
            " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
        )
    assert _names(engine, "bulky") == ["Bulky Loaded"]
    assert _names(engine, "0611") == ["Bulky Loaded"]
    with session_scope(engine) as s:
        create_customer(s, {"first_name": "After", "last_name": "Bulk"})
    assert _names(engine, "after bulk") == ["After Bulk"]
    with engine.begin() as conn:
        search_index.rebuild(conn)
    assert _names(engine, "bulky") == ["Bulky Loaded"]
    assert _names(engine, "after") == ["After Bulk"]


def test_migration_carries_the_same_ddl_as_the_search_index_module() -> None:
    import importlib.util

    from tillterm.store.migrations import MIGRATIONS_DIR

    path = MIGRATIONS_DIR / "versions" / "0002_search_index.py"
    spec = importlib.util.spec_from_file_location("m0002", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert list(search_index.SQLITE_TABLES.values()) == migration.SQLITE_TABLES
    assert list(search_index.SQLITE_TRIGGERS.values()) == migration.SQLITE_TRIGGERS
    assert migration.SQLITE_SETTINGS == search_index.SQLITE_SETTINGS
    functions = search_index.pg_functions("{schema}", "{unaccent}")
    # 0020 made search_fold PL/pgSQL (below)
    assert list(functions.values())[1:] == migration.PG_FUNCTIONS[1:]
    path = MIGRATIONS_DIR / "versions" / "0007_pg_search_indexes.py"
    spec = importlib.util.spec_from_file_location("m0007", path)
    assert spec and spec.loader
    words = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(words)
    assert list(search_index.PG_COLUMNS.values())[1:] == words.PG_COLUMNS[1:]
    # 0019 generated the marked columns again, with two-letter marks
    path = MIGRATIONS_DIR / "versions" / "0019_pgmarks.py"
    spec = importlib.util.spec_from_file_location("m0019", path)
    assert spec and spec.loader
    marks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(marks)
    assert words.PG_FUNCTIONS[1] == marks.OLD_FUNCTION
    marked = [
        f"{name} tsvector GENERATED ALWAYS AS ({search_index.PG_WORDS[name]})"
        for name in search_index.PG_MARKED
    ]
    assert all(column in marks.PG_COLUMNS for column in marked)
    unmarked = "search_all_words tsvector GENERATED ALWAYS AS "
    assert f"{unmarked}({search_index.PG_WORDS['search_all_words']})" in words.PG_COLUMNS[0]
    assert [search_index.PG_INDEXES[name] for name in marks.INDEX_NAMES] == marks.PG_INDEXES
    assert list(search_index.PG_INDEXES) == words.INDEX_NAMES
    # 0020 gave the three word functions PL/pgSQL bodies; its downgrade puts back the SQL
    path = MIGRATIONS_DIR / "versions" / "0020_pgfold.py"
    spec = importlib.util.spec_from_file_location("m0020", path)
    assert spec and spec.loader
    fold = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fold)
    assert [
        functions["search_fold"],
        search_index.pg_words_function("{schema}", "{unaccent}"),
        search_index.pg_marked_function("{schema}"),
    ] == fold.PG_FUNCTIONS
    replaced = [migration.PG_FUNCTIONS[0], words.PG_FUNCTIONS[0], marks.PG_FUNCTION]
    assert [
        ddl.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1) for ddl in replaced
    ] == fold.OLD_FUNCTIONS
    # 0009 built the customer indexes again, with the id bucket (the custom one stays)
    path = MIGRATIONS_DIR / "versions" / "0016_pgsearch.py"
    spec = importlib.util.spec_from_file_location("m0009", path)
    assert spec and spec.loader
    buckets = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(buckets)
    assert [search_index.PG_INDEXES[name] for name in buckets.INDEX_NAMES] == buckets.PG_INDEXES
    path = MIGRATIONS_DIR / "versions" / "0017_ranking_phones.py"
    spec = importlib.util.spec_from_file_location("m0017", path)
    assert spec and spec.loader
    starts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(starts)
    for dialect, ddl in search_index.EMAIL_START_INDEXES.items():
        assert list(ddl.values()) == starts.EMAIL_START_INDEXES[dialect]
        assert list(ddl) == starts.EMAIL_START_NAMES
    assert search_index.PG_INDEXES["search_custom_value"] == words.PG_INDEXES[-1]
    assert words.PG_INDEXES[:-1] == buckets.OLD_INDEXES
    assert list(search_index.PG_SETTINGS.values()) == words.PG_SETTINGS


def test_every_postgresql_plan_gives_the_sqlite_results(
    tmp_path: Path, pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window of 16 customers makes every part of the PostgreSQL statement run on a
    small store: tiers done in the window, tiers that walk on, tiers read from the index
    (rare words, or a walk that fell short), at once or bucket by bucket; the pages must
    still be SQLite's."""
    from tillterm.customers import search

    monkeypatch.setattr(search, "PG_WINDOW", 16)
    monkeypatch.setattr(search, "PG_RARE", 3)
    monkeypatch.setattr(search, "PG_RARE_ALONE", 4)
    monkeypatch.setattr(search, "PG_WALK", 40)
    monkeypatch.setattr(search, "PG_COMMON", 6)
    # buckets of 8 ids, read by bucket after one match in the window: a lookup runs
    # over many buckets, some empty, and stops inside the store
    monkeypatch.setattr(search, "PG_BUCKET_SHIFT", 3)
    monkeypatch.setattr(search, "PG_BUCKETED", 1)
    sqlite = open_db(tmp_path / "till.db")
    try:
        for engine in (sqlite, pg_engine):
            seed_demo(engine, customers=400, products=1)
            with session_scope(engine) as s:
                vip = create_group(s, "Club")
                for n in range(0, 400, 7):
                    update_customer(s, n + 1, {"group_id": vip.id})
                for n in range(3, 400, 50):
                    archive_customer(s, n)
        queries = ["m", "ma", "mar", "e", "a b", "ma d", "l b", "rue", "paris", "06", "06 1",
                   "+44 7", "75011", "g9a 5h7", "gmail", "a@", "ma@", "zzz", "jean", "dubois",
                   "marie dub", "fr", "com", "29000", "h2x", "jean ma", "marie du",
                   "dubois ma", "ma dubois", "marie.du@", "jennifer ma", "jean@", "m@",
                   "marie.dubois@", "0612345678", "33612345678"]  # fmt: skip
        for typed in queries:
            for filters in ({}, {"group_id": vip.id}, {"include_archived": True}):
                for offset in (0, 10):
                    found = []
                    for engine in (sqlite, pg_engine):
                        with session_scope(engine) as s:
                            page = search_customers(s, typed, limit=10, offset=offset, **filters)
                            found.append([c.id for c in page])
                    assert found[0] == found[1], (typed, filters, offset)
    finally:
        sqlite.dispose()


def test_a_postgresql_store_at_0004_upgrades_with_its_customers_searchable(pg_url: str) -> None:
    from tillterm.store.engine import build_engine, upgrade

    old = build_engine(pg_url)
    upgrade(old, "0004_sale_history")
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer (customer_code, code_key, first_name, last_name, email,"
                " phone, marketing_opt_in, address1, address2, city, state, postal_code,"
                " country, title, company, company_reg_no, vat_number, website, phone_home,"
                " phone_work, phone_mobile, phone_pager, phone_fax, email2, on_account_allowed,"
                " loyalty_enabled, consent_email, consent_mail, consent_phone, notes,"
                " phone_digits, created_at, updated_at) VALUES ('OLD1', 'old1', 'Zoé', 'Noël',"
                " 'zoe.noel@example.fr', '06 12 34 56 78', false, '', '', 'Lyon', '', '69001',"
                " 'France', '', '', '', '', '', '', '', '', '', '', '', false, true, false,"
                " false, false, 'since 2019', '0612345678', now(), now())"
            )
        )
    old.dispose()
    engine = open_db(pg_url)
    try:
        assert _names(engine, "zoe noel") == ["Zoé Noël"]
        assert _names(engine, "0612") == ["Zoé Noël"]
        assert _names(engine, "zoe.noel@") == ["Zoé Noël"]
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT notes, search_name_words::text, search_all_words::text FROM customer"
            ).one()
            assert row[0] == "since 2019"
            assert row[1] == "'#n' '#no' '#z' '#zo' 'noel' 'zoe'"
            assert "'0612345678'" in row[2] and "'example'" in row[2]
            indexes = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'search_%%' "
                "AND schemaname = current_schema()"
            ).all()
            # the customers' search indexes, and the products' (store.product_index)
            products = {"search_product_words"}
            starts = search_index.EMAIL_START_INDEXES["postgresql"]
            assert {name for name, _ in indexes} == set(search_index.PG_INDEXES) | products | set(
                starts
            )
            assert all("_words" in ddl for name, ddl in indexes if name not in starts)
            assert all("text_pattern_ops" in ddl for name, ddl in indexes if name in starts)
            options = conn.exec_driver_sql(
                "SELECT reloptions FROM pg_class WHERE oid = 'customer'::regclass"
            ).scalar()
            assert options == ["parallel_workers=0"]
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    finally:
        engine.dispose()


#: the words as the SQL bodies before ``0020_pgfold`` computed them (regular expressions),
#: written out here so that the tests compare against them, not against the code
_PATTERN_FOLD = (
    "regexp_replace(lower(unaccent('unaccent'::regdictionary, {t})), '[^[:alnum:]]+', ' ', 'g')"
)
_PATTERN_WORDS = (
    "array_to_tsvector(array_remove(regexp_split_to_array("
    "lower(unaccent('unaccent'::regdictionary, {t})), '[^[:alnum:]]+'), ''))"
)
_PATTERN_MARKED = (
    "array_to_tsvector(array_remove(string_to_array({f} || ' ' || "
    "regexp_replace({f}, '(\\S)(\\S?)\\S*', '#\\1 #\\1\\2', 'g'), ' '), ''))"
)
#: texts that take every path of the PL/pgSQL functions: plain ASCII with runs of the
#: separators they cut with ``replace``, and whatever sends a text down the pattern's path
_HOSTILE_TEXTS = [
    "",
    " ",
    "'",
    "--",
    "@@..__",
    "Jean-Pierre  de  la   Fontaine",
    " - leading and trailing - ",
    "O'Neil, Mary-Kate",
    "a.b@c-d.fr",
    "x+tag@ex.com",
    "12, rue de l'Église / bât. B",
    "12, rue de l’Église",
    "__init__",
    "a' b",
    "1+1=2",
    "#hash & co (ltd); 50%",
    "tab\tsep\nnew line\r\n",
    "nbsp\u00a0here and zero\u200bwidth",
    "Ǆemal Œuvre STRAßE İstanbul",
    "ΣΊΣΥΦΟΣ Łódź Ørsted Þór mañana",
    "東京 タワー",
    "emoji 😀 smile 🙂🙂",
    "² ³ ½ Ⅻ ١٢٣",
    "ﬁne Ａｂｃ ǅ",
    "CAPS, Mixed.Case-Words",
    "a" * 200 + "-" + "b" * 50,
]


def test_postgresql_word_functions_give_the_words_the_patterns_gave(pg_engine: Engine) -> None:
    """The PL/pgSQL bodies of ``0020_pgfold`` cut plain texts without a pattern: each of
    the three functions gives, to the byte, what its SQL body did (the stored words of
    every customer were computed by those, and are not computed again)."""
    columns = (
        f"t, search_fold(t), {_PATTERN_FOLD.format(t='t')}, "
        f"search_words(t)::text, ({_PATTERN_WORDS.format(t='t')})::text, "
        "search_marked_words(search_fold(t))::text, "
        f"({_PATTERN_MARKED.format(f=_PATTERN_FOLD.format(t='t'))})::text"
    )
    with pg_engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT {columns} FROM unnest(CAST(:texts AS text[])) AS t"),
            {"texts": _HOSTILE_TEXTS},
        ).all()
    assert len(rows) == len(_HOSTILE_TEXTS)
    for t, fold, pattern_fold, words_, pattern_words, marked, pattern_marked in rows:
        assert (fold, words_, marked) == (pattern_fold, pattern_words, pattern_marked), t
    by_text = {row[0]: row for row in rows}
    # the two paths were both taken: a plain text and one the pattern cuts
    assert by_text["Jean-Pierre  de  la   Fontaine"][1] == "jean pierre de la fontaine"
    assert by_text["#hash & co (ltd); 50%"][1] == " hash co ltd 50 "
    assert by_text["a.b@c-d.fr"][5] == "'#a' '#b' '#c' '#d' '#f' '#fr' 'a' 'b' 'c' 'd' 'fr'"


def test_postgresql_word_functions_agree_with_the_patterns_on_any_text(
    pg_engine: Engine,
) -> None:
    pattern_marked = _PATTERN_MARKED.format(f=_PATTERN_FOLD.format(t="t"))
    differing = text(
        "SELECT t FROM unnest(CAST(:texts AS text[])) AS t WHERE "
        f"search_fold(t) IS DISTINCT FROM {_PATTERN_FOLD.format(t='t')} "
        f"OR search_words(t) IS DISTINCT FROM {_PATTERN_WORDS.format(t='t')} "
        f"OR search_marked_words(search_fold(t)) IS DISTINCT FROM {pattern_marked}"
    )

    # the fixture is the test's, not each example's: the examples share its schema
    @settings(max_examples=40, deadline=None)
    @given(
        texts=st.lists(
            st.one_of(
                st.text(alphabet="abcXYZ019 @.-'/,+_#\t;é’", max_size=30),
                st.text(max_size=20),
            ),
            min_size=1,
            max_size=30,
        )
    )
    def agree(texts: list[str]) -> None:
        texts = [t.replace("\x00", "") for t in texts]  # PostgreSQL text holds no NUL
        with pg_engine.connect() as conn:
            assert conn.execute(differing, {"texts": texts}).all() == []

    agree()


@contextlib.contextmanager
def _protocol(session: Session) -> Iterator[list[str]]:
    """What the client sends the server inside this block on the session's connection
    (in its transaction: the transaction's BEGIN goes before the block)."""
    raw = session.connection().connection.dbapi_connection
    raw.execute("SELECT 1")
    with _traced(raw) as sent:
        yield sent


@contextlib.contextmanager
def _traced(raw: Any) -> Iterator[list[str]]:
    """What the client sends the server on the psycopg connection ``raw`` inside this
    block: libpq's trace, one line a message ("Parse", "Bind", "Sync": a Sync is a round
    trip)."""
    from psycopg import pq

    sent: list[str] = []
    with tempfile.TemporaryFile("w+") as trace:
        raw.pgconn.trace(trace.fileno())
        raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield sent
        finally:
            raw.pgconn.untrace()
            trace.seek(0)
            sent += [line.split("\t")[2] for line in trace.read().splitlines() if line[:1] == "F"]


def test_a_postgresql_search_alone_is_one_statement_with_a_generic_plan(
    pg_engine: Engine,
) -> None:
    """A search that would open its session's transaction (a worker's) is one statement
    on the wire, on a connection kept for searches: generic plans for its session,
    autocommit, the statement prepared at its first run; the session itself never
    begins a transaction, and the register's own connections keep planning as usual."""
    from tillterm.customers.search import search_ids
    from tillterm.store.driver import psycopg_driver
    from tillterm.store.engine import generic_plan_engine

    _add_people(pg_engine)
    planned = generic_plan_engine(pg_engine)
    assert planned is not None and generic_plan_engine(pg_engine) is planned
    with session_scope(pg_engine) as s:
        assert search_ids(s, "dub", limit=5)  # the search's connection, and its plan
        assert not s.in_transaction()
    pooled = planned.raw_connection()
    raw = psycopg_driver(pooled)
    pooled.close()  # back to the pool, the one the next searches take
    with _traced(raw) as sent:
        for typed, found in (("dub", [1, 4]), ("zzq", [])):
            with session_scope(pg_engine) as s:
                assert search_ids(s, typed, limit=5) == found
        with session_scope(pg_engine) as s:
            assert [c.display_name for c in search_customers(s, "dub", limit=5)] == [
                "Marie Dubois",
                "Jean Dubreuil",
            ]
            assert search_customers(s, "zz qq") == []
            assert not s.in_transaction()
    # four searches, a round trip each: the one-word id search was prepared before the
    # block, the page's statement and the two-word one are prepared at their first run
    # (a round trip of its own, once per connection)
    run, prepare = ["Bind", "Describe", "Execute", "Sync"], ["Parse", "Sync"]
    assert sent == [*run, *run, *prepare, *run, *prepare, *run]
    assert raw.autocommit
    assert raw.execute("SHOW plan_cache_mode").fetchone() == ("force_generic_plan",)
    plans = raw.execute(
        "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
    ).fetchone()
    assert plans == (5, 0)
    with session_scope(pg_engine) as s:
        assert s.connection().exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"


def test_a_postgresql_search_inside_a_transaction_is_one_round_trip(pg_engine: Engine) -> None:
    """Inside a transaction the search runs on the session's connection (it must see what
    the transaction wrote): still one round trip a keystroke, every tier ranked in one
    statement with the page's rows, planned once per connection."""
    from tillterm.customers.search import search_ids

    _add_people(pg_engine)
    with session_scope(pg_engine) as s:
        with _protocol(s) as sent:
            assert search_ids(s, "dub", limit=5)
            assert search_ids(s, "zzq", limit=5) == []
        assert sent.count("Sync") == 2
        # prepared at the first keystroke, then only bound and run (the statement is
        # the same for every one-word text; SET LOCAL before and after it each time)
        assert sent.count("Parse") == 2 * 2 + 1
        # the page shown (names, group) comes in the search's own statement
        with _protocol(s) as sent:
            assert [c.display_name for c in search_customers(s, "dub", limit=5)] == [
                "Marie Dubois",
                "Jean Dubreuil",
            ]
            assert search_customers(s, "zz qq") == []
            assert [c.display_name for c in search_customers(s, "", limit=1)] == ["Marie Dubois"]
        assert sent.count("Sync") == 3
        # the generic plan is for the search alone: the rest of the transaction plans
        # as usual
        mode = s.connection().exec_driver_sql("SHOW plan_cache_mode").scalar()
        assert mode == "auto"


def test_a_postgresql_page_is_the_summaries_of_its_ids(pg_engine: Engine) -> None:
    """The summaries folded into the search statement are those :func:`summaries` reads
    by id (every column, the group's name, the archived mark), in the same order."""
    from tillterm.customers.reading import summaries
    from tillterm.customers.search import search_ids

    ids = _add_people(pg_engine)
    with session_scope(pg_engine) as s:
        club = create_group(s, "Club")
        update_customer(s, ids["Marie Dubois"], {"group_id": club.id})
        archive_customer(s, ids["Leanne Martin"])
    for typed in ("", "dub", "lea", "75011", "jean@", "card-0001", "zzz"):
        for filters in ({}, {"include_archived": True}, {"group_id": club.id}):
            for limit, offset in ((50, 0), (1, 1)):
                with session_scope(pg_engine) as s:
                    page = search_customers(s, typed, limit=limit, offset=offset, **filters)
                    flt = SearchFilters(**filters)  # type: ignore[arg-type]
                    by_id = summaries(
                        s, search_ids(s, typed, limit=limit, offset=offset, filters=flt)
                    )
                assert page == by_id, (typed, filters, limit, offset)
    with session_scope(pg_engine) as s:
        marie = search_customers(s, "marie")[0]
    assert (marie.group_name, marie.archived, marie.created_at.tzinfo) == ("Club", False, dt.UTC)


def test_an_import_into_an_empty_postgresql_store_is_indexed_and_analysed(
    tmp_path: Path, pg_engine: Engine
) -> None:
    """The import drops the secondary indexes for a load that doubles the table and
    builds them again, in its transaction; the tables are analysed before it commits."""
    from tillterm.spreadsheet.export import export_customers
    from tillterm.spreadsheet.importing import apply_import, check_import

    sqlite = open_db(tmp_path / "till.db")
    try:
        seed_demo(sqlite, customers=60, products=1)
        export_customers(sqlite, tmp_path / "all.csv")
        with session_scope(sqlite) as s:
            first = [c.id for c in search_customers(s, "ma", limit=10)]
    finally:
        sqlite.dispose()

    def indexes() -> set[str]:
        with pg_engine.connect() as conn:
            return {
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = 'customer'"
                )
            }

    before = indexes()
    report = check_import(pg_engine, tmp_path / "all.csv", create_groups=True)
    result = apply_import(pg_engine, report, allow_warnings=True)
    assert result.created == 60
    assert indexes() == before
    with pg_engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = to_regclass('customer')"
        ).scalar()
    with session_scope(pg_engine) as s:
        assert [c.id for c in search_customers(s, "ma", limit=10)] == first
