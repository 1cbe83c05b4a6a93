"""The demo store looks like a real one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tillterm.catalog.settings import load_settings
from tillterm.demo.seeding import _read_names, ean13, generate_customers, seed_demo
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup, CustomerTag, Product, TaxRate


def test_name_lists_are_big_enough_and_accented() -> None:
    first, last = _read_names("first_names.txt"), _read_names("last_names.txt")
    assert len(set(first)) >= 300
    assert len(set(last)) >= 1000
    assert any("é" in name for name in first + last)


def test_ean13_check_digit() -> None:
    assert ean13("400638133393") == "4006381333931"


def test_common_prefixes_match_many_customers() -> None:
    rows = list(generate_customers(5000))
    by_prefix = Counter(str(r["last_name"])[:2].lower() for r in rows)
    assert by_prefix.most_common(1)[0][1] > 100
    assert len({r["customer_code"] for r in rows}) == 5000
    assert all(r["phone_digits"] for r in rows)


def test_seed_demo_fills_every_part_of_the_store(any_engine: Engine) -> None:
    summary = seed_demo(any_engine, customers=400, products=60)
    assert summary.customers == 400
    with session_scope(any_engine) as s:
        count = s.exec(select(func.count()).select_from(Customer)).one()[0]
        assert count == 400
        assert s.exec(select(func.count()).select_from(Product)).one()[0] == 60
        assert s.exec(select(func.count()).select_from(CustomerGroup)).one()[0] == 5
        assert s.exec(select(func.count()).select_from(TaxRate)).one()[0] >= 3
        assert s.exec(select(func.count()).select_from(CustomerTag)).one()[0] > 0
        grouped = s.exec(select(func.count()).where(Customer.group_id.is_not(None))).one()[0]
        assert 0 < grouped < 400
        settings = load_settings(s)
        assert settings.default_tax is not None
        assert settings.name
    assert seed_demo(any_engine, customers=10).skipped


def test_fast_sqlite_rows_store_exactly_what_the_orm_would(tmp_path: Path) -> None:
    """The bulk path writes pre-converted tuples: they must equal a Core insert's rows."""
    from sqlalchemy import insert

    from tillterm.customers.consents import CONSENTS
    from tillterm.demo.seeding import _customer_tuples, _fast_sqlite_insert, _stage, _staged_insert
    from tillterm.store import staging
    from tillterm.store.engine import open_db

    slow, fast = open_db(tmp_path / "slow.db"), open_db(tmp_path / "fast.db")
    with slow.begin() as conn:
        conn.execute(insert(Customer), list(generate_customers(50, group_ids=[])))
    with fast.begin() as conn:
        _fast_sqlite_insert(conn, list(_customer_tuples(50, group_ids=[], sqlite_ready=True)))
    # the helper process's form: a staged SQLite image copied in with one statement
    staged = open_db(tmp_path / "staged.db")
    with staged.begin() as conn:
        assert staging.attach(conn)
        image = _stage(list(_customer_tuples(50, group_ids=[], sqlite_ready=True)))
        assert _staged_insert(conn, image) == list(range(1, 51))
    rows = []
    for engine in (slow, fast, staged):
        with engine.connect() as conn:
            result = conn.exec_driver_sql("SELECT * FROM customer ORDER BY id")
            names = list(result.keys())
            rows.append([dict(zip(names, row, strict=True)) for row in result.all()])
        engine.dispose()
    # the timestamps come from "now" (two seedings may straddle a second): compare every
    # other column by name (migrations add columns at the end), and the stamps' format
    stamped = ("created_at", "updated_at", *(f"{name}_at" for name in CONSENTS))
    strip = [
        [{k: v for k, v in row.items() if k not in stamped} for row in found] for found in rows
    ]
    assert strip[0] == strip[1] == strip[2]
    stamps = [[tuple(len(str(row[k])) for k in stamped) for row in found] for found in rows]
    assert stamps[0] == stamps[1] == stamps[2]


def test_a_large_store_is_generated_by_a_helper_process(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.customers.profiles import search_customers
    from tillterm.demo import seeding as demo

    monkeypatch.setattr(demo, "PARALLEL_FROM", 100)
    monkeypatch.setattr(demo, "BATCH", 60)
    seen: list[int] = []
    summary = seed_demo(engine, customers=250, products=5, progress=seen.append)
    assert summary.customers == 250
    assert seen == [60, 120, 180, 240, 250]
    with session_scope(engine) as s:
        ids = s.exec(select(Customer.id).order_by(Customer.id)).all()
        assert [row[0] for row in ids] == list(range(1, 251))
        first = s.exec(select(Customer.first_name).where(Customer.id == 200)).one()[0]
        assert 200 in [c.id for c in search_customers(s, first, limit=250)]
    with engine.connect() as conn:
        triggers = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        assert {"search_name_ai", "search_all_ai"} <= {row[0] for row in triggers}


def _dies(*_args: object) -> None:
    import os

    os._exit(3)


def test_a_dead_generator_is_reported_not_awaited_forever(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.core.errors import TilltermError
    from tillterm.demo import seeding as demo

    monkeypatch.setattr(demo, "PARALLEL_FROM", 10)
    monkeypatch.setattr(demo, "_produce", _dies)
    with pytest.raises(TilltermError, match="stopped unexpectedly"):
        seed_demo(engine, customers=50, products=1)


def _pg_state(engine: Engine) -> tuple[set[str], object]:
    with engine.connect() as conn:
        indexes = {
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename IN ('customer', 'customer_tag')"
            )
        }
        analysed = conn.exec_driver_sql(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = to_regclass('customer')"
        ).scalar()
    return indexes, analysed


def test_a_postgresql_demo_is_copied_in_indexed_and_analysed(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.customers.profiles import create_customer, search_customers
    from tillterm.demo import seeding as demo

    before, _ = _pg_state(pg_engine)
    monkeypatch.setattr(demo, "PARALLEL_FROM", 100)  # the helper process writes COPY text
    monkeypatch.setattr(demo, "BATCH", 60)
    seen: list[int] = []
    summary = seed_demo(pg_engine, customers=250, products=5, progress=seen.append)
    assert summary.customers == 250
    assert seen == [60, 120, 180, 240, 250]
    indexes, analysed = _pg_state(pg_engine)
    assert indexes == before  # dropped for the load, every one built again
    assert analysed is not None  # plans right from the first search
    with pg_engine.connect() as conn:
        # vacuumed after the commit: every page marked all-visible, none left for the
        # first searches to mark and write out again
        pages, visible = conn.exec_driver_sql(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = to_regclass('customer')"
        ).one()
    assert pages > 0 and visible == pages
    with session_scope(pg_engine) as s:
        ids = s.exec(select(Customer.id).order_by(Customer.id)).all()
        assert [row[0] for row in ids] == list(range(1, 251))
        assert s.exec(select(func.count()).select_from(CustomerTag)).one()[0] > 0
        first = s.exec(select(Customer.first_name).where(Customer.id == 200)).one()[0]
        assert 200 in [c.id for c in search_customers(s, first, limit=250)]
        # the ids were written: the next customer numbers on from them
        assert create_customer(s, {"first_name": "After", "last_name": "Demo"}).id == 251
    with session_scope(pg_engine) as s:
        assert [c.display_name for c in search_customers(s, "after demo")] == ["After Demo"]


def test_a_failed_postgresql_demo_leaves_nothing(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.demo import seeding as demo
    from tillterm.store import staging

    before, _ = _pg_state(pg_engine)
    monkeypatch.setattr(demo, "BATCH", 40)
    real = staging.copy_in
    calls: list[str] = []

    def failing(conn: object, table: str, *args: object) -> None:
        calls.append(table)
        if calls.count("customer") == 3:
            raise RuntimeError("the server went away")
        real(conn, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(staging, "copy_in", failing)
    with pytest.raises(RuntimeError):
        seed_demo(pg_engine, customers=200, products=5)
    with session_scope(pg_engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one()[0] == 0
    assert _pg_state(pg_engine)[0] == before  # the indexes dropped for the load are back


def test_copy_text_carries_any_value_through_postgresql(pg_engine: Engine) -> None:
    import datetime as dt

    from tillterm.store import staging

    rows = [
        ("tab\there, new\nline, back\\slash, cr\r", None, True, "2026-01-02 03:04:05.000000"),
        ("", 7, False, None),
        ("\\N is text", 0, 1, "2026-06-30 23:00:00.000000"),
    ]
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TEMP TABLE copied (n int, a text, b int, c boolean, d timestamptz)"
        )
        staging.copy_in(conn, "copied", ["n", "a", "b", "c", "d"], staging.copy_text(rows, 1))
        back = conn.exec_driver_sql("SELECT a, b, c, d FROM copied ORDER BY n").all()
    utc = dt.UTC
    assert [tuple(r) for r in back] == [
        (rows[0][0], None, True, dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc)),
        ("", 7, False, None),
        ("\\N is text", 0, True, dt.datetime(2026, 6, 30, 23, 0, tzinfo=utc)),
    ]


def test_index_plan_follows_the_size_of_the_load(pg_engine: Engine) -> None:
    from tillterm.store import staging

    with pg_engine.begin() as conn:
        plan = staging.plan_indexes(conn, ("customer", "customer_tag"), 100)
        assert {"search_customer_all", "ix_customer_created_at"} <= set(plan.dropped)
        assert "customer_pkey" not in plan.dropped
        assert "customer_code_key_key" not in plan.dropped  # codes clash during the load
        assert plan.analyse
        plan.finish(conn)
    seed_demo(pg_engine, customers=50, products=1)
    with pg_engine.begin() as conn:
        small = staging.plan_indexes(conn, ("customer",), 2)  # 2 more into 50: keep all
        assert small.dropped == {} and not small.analyse
        tenth = staging.plan_indexes(conn, ("customer",), 5)
        assert tenth.dropped == {} and tenth.analyse


def _foreign_keys(conn: Any) -> dict[tuple[str, str], str]:
    rows = conn.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text "
        "IN ('customer', 'customer_tag', 'custom_field_value')"
    ).all()
    return {(table, name): ddl for table, name, ddl in rows}


def test_a_load_checks_its_customers_keys_once_at_the_end(pg_engine: Engine) -> None:
    """A load that doubles the customers drops their foreign keys to the tables only a
    customer's screens read (groups, tags, custom fields, customers) and adds them back
    as they were; the one to the tax rates, which a sale reads, stays all along."""
    from tillterm.store import staging

    tables = ("customer", "customer_tag", "custom_field_value")
    with pg_engine.connect() as conn:
        before = _foreign_keys(conn)
    assert ("customer", "customer_tax_rate_id_fkey") in before
    with pg_engine.begin() as conn:
        plan = staging.plan_indexes(conn, tables, 100)
        assert set(plan.foreign_keys) == {
            ("customer", "customer_group_id_fkey"),
            ("customer_tag", "customer_tag_customer_id_fkey"),
            ("customer_tag", "customer_tag_tag_id_fkey"),
            ("custom_field_value", "custom_field_value_customer_id_fkey"),
            ("custom_field_value", "custom_field_value_field_id_fkey"),
        }
        assert set(_foreign_keys(conn)) == {("customer", "customer_tax_rate_id_fkey")}
        plan.finish(conn)
        assert _foreign_keys(conn) == before
    seed_demo(pg_engine, customers=50, products=1)
    with pg_engine.begin() as conn:  # 2 more into 50: every key checked row by row
        assert staging.plan_indexes(conn, tables, 2).foreign_keys == {}
        assert _foreign_keys(conn) == before


def test_a_load_with_a_row_pointing_at_nothing_fails_whole(pg_engine: Engine) -> None:
    """The keys checked at the end still refuse a tag of no tag: the load is undone,
    its rows, indexes and keys as they were before it."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

    from tillterm.customers.profiles import create_customer
    from tillterm.store import staging

    with pg_engine.connect() as conn:
        before = _foreign_keys(conn)
    failing = pytest.raises(IntegrityError, match="customer_tag_tag_id_fkey")
    with failing, pg_engine.begin() as conn:
        plan = staging.plan_indexes(conn, ("customer", "customer_tag"), 100)
        marie = create_customer(Session(bind=conn), {"first_name": "Marie"})
        conn.exec_driver_sql(f"INSERT INTO customer_tag VALUES ({marie.id}, 4242)")
        plan.finish(conn)
    with pg_engine.connect() as conn:
        assert _foreign_keys(conn) == before
        assert conn.exec_driver_sql("SELECT count(*) FROM customer").scalar_one() == 0
        indexes = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'search_customer_all'"
        ).scalar_one()
        assert indexes == 1


def test_a_dead_postgresql_generator_leaves_no_customer(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tillterm.core.errors import TilltermError
    from tillterm.demo import seeding as demo

    monkeypatch.setattr(demo, "PARALLEL_FROM", 10)
    monkeypatch.setattr(demo, "_produce_copy", _dies)
    with pytest.raises(TilltermError, match="stopped unexpectedly; no customer was added"):
        seed_demo(pg_engine, customers=50, products=1)
    with session_scope(pg_engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one()[0] == 0
