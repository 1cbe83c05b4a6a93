"""Year-to-date spend brought over from the old system (``--opening-balances``).

The old system's year-to-date column becomes one opening figure per customer of the
numbered opening import, dated when imported: the customer's year to date (profile,
register panel, export) adds the figures of the current year to the sales made here, so
one brought over last year counts no more. Reversing the import adds the opposite
figure with the same date, never deleting the one reported. Every test runs on SQLite
and on PostgreSQL (``any_engine``).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import col
from test_import_balances import ROWS, _import, _xseries

from tillterm import customers, sales
from tillterm.core.errors import TilltermError
from tillterm.services.imports import Imports
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, OpeningSpend

REG = "till-1"


def _ids(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as s:
        rows = s.execute(select(col(Customer.customer_code), col(Customer.id))).all()
    return {code: cid for code, cid in rows}


def _ytd(engine: Engine, code: str) -> tuple[int, Decimal, Decimal]:
    """The customer's year to date three ways: the sales module's figure (cents), the
    profile's activity, and the register's customer panel."""
    cid = _ids(engine)[code]
    with session_scope(engine) as s:
        cents = sales.year_to_date_cents(s, cid)
        profile = customers.customer_activity(s, cid).year_to_date_spend
        outcome = sales.scan_code(s, REG, code)
    assert outcome.view is not None and outcome.view.customer is not None
    return cents, profile, outcome.view.customer.year_to_date_spend


def _exported(engine: Engine, path: Path) -> dict[str, str]:
    """Customer code → the export's year_to_date_spend cell."""
    Imports(lambda: engine).export(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["customer_code"]: r["year_to_date_spend"] for r in csv.DictReader(f)}


def _figures(engine: Engine) -> list[tuple[str, int]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(col(OpeningSpend.reason), col(OpeningSpend.amount_cents)).order_by(
                col(OpeningSpend.id)
            )
        ).all()
    return [(r, int(v)) for r, v in rows]


def test_year_to_date_spend_is_brought_over_and_shown_everywhere(
    any_engine: Engine, tmp_path: Path
) -> None:
    report, result = _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    opening = report.opening
    assert opening is not None and report.warnings == 0, report.problems
    # 350.00 and 10 brought over; 0.00 and blank write nothing
    assert (opening.spends, opening.spend_cents) == (2, 36000)
    assert "year-to-date spend brought over for 2 customers (total 360.00 EUR)" in (
        report.summary()
    )
    assert "year-to-date spend brought over for 2 customers" in result.summary()
    assert result.opening_import == 1
    assert any(n.startswith("Year-to-date spend from: “year_to_date”") for n in report.notices)
    assert "“year_to_date” → opening year-to-date spend" in "\n".join(report.mapping_lines())
    assert _figures(any_engine) == [
        ("opening balance, import 1", 35000),
        ("opening balance, import 1", 1000),
    ]
    assert _ytd(any_engine, "OLIVIA-1") == (35000, Decimal("350.00"), Decimal("350.00"))
    assert _ytd(any_engine, "LEO-4") == (1000, Decimal("10.00"), Decimal("10.00"))
    assert _ytd(any_engine, "NOAH-2") == (0, Decimal(0), Decimal(0))
    exported = _exported(any_engine, tmp_path / "out.csv")
    assert exported["OLIVIA-1"] == "350.00" and exported["LEO-4"] == "10.00"
    assert exported["NOAH-2"] in ("", "0.00")


def test_reversal_cancels_the_figure_and_keeps_it_on_file(
    any_engine: Engine, tmp_path: Path
) -> None:
    _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    done = Imports(lambda: any_engine).reverse_opening_balances(1)
    assert (done.spends, done.spend_cents) == (2, 36000)
    assert _ytd(any_engine, "OLIVIA-1") == (0, Decimal(0), Decimal(0))
    exported = _exported(any_engine, tmp_path / "out.csv")
    assert exported["OLIVIA-1"] in ("", "0.00")
    # the reported figure stays; its reversal stands beside it, with the same date
    assert _figures(any_engine) == [
        ("opening balance, import 1", 35000),
        ("opening balance, import 1", 1000),
        ("reversal of opening balance, import 1", -35000),
        ("reversal of opening balance, import 1", -1000),
    ]
    with session_scope(any_engine) as s:
        dates = set(s.execute(select(col(OpeningSpend.as_of))).scalars())
    assert len(dates) == 1
    # the same file again is no longer a warning: the figure was taken back
    again, _ = _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    assert again.warnings == 0, again.problems
    assert _ytd(any_engine, "OLIVIA-1")[0] == 35000


def test_a_figure_of_last_year_counts_no_more(any_engine: Engine, tmp_path: Path) -> None:
    _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    cid = _ids(any_engine)["OLIVIA-1"]
    with session_scope(any_engine) as s:
        next_year = dt.datetime(dt.datetime.now(dt.UTC).year + 1, 1, 2, tzinfo=dt.UTC)
        # on 2 January next year the figure brought over now is no longer this year's
        assert sales.year_to_date_cents(s, cid, now=next_year) == 0
        assert sales.year_to_date_cents(s, cid) == 35000
        # an import made last year: every reading leaves it out
        last_year = dt.datetime(dt.datetime.now(dt.UTC).year - 1, 6, 30, tzinfo=dt.UTC)
        s.execute(update(OpeningSpend).values(as_of=last_year))
    assert _ytd(any_engine, "OLIVIA-1") == (0, Decimal(0), Decimal(0))
    assert _exported(any_engine, tmp_path / "out.csv")["OLIVIA-1"] in ("", "0.00")


def test_only_a_year_to_date_column_still_numbers_an_import(
    any_engine: Engine, tmp_path: Path
) -> None:
    rows = [{**ROWS[0], "loyalty_balance": "", "balance": ""}]
    report, result = _import(any_engine, _xseries(tmp_path / "x.csv", rows), opening=True)
    assert report.opening is not None and report.opening.spends == 1
    assert result.opening_import == 1
    assert _ytd(any_engine, "OLIVIA-1")[0] == 35000
    done = Imports(lambda: any_engine).reverse_opening_balances(1)
    assert (done.loyalty, done.accounts, done.spends) == (0, 0, 1)
    assert _ytd(any_engine, "OLIVIA-1")[0] == 0


def test_a_customer_with_an_opening_figure_cannot_be_deleted(
    any_engine: Engine, tmp_path: Path
) -> None:
    # no ledger entry, no sale: the opening figure alone keeps the customer
    rows = [{**ROWS[0], "loyalty_balance": "", "balance": ""}]
    _import(any_engine, _xseries(tmp_path / "x.csv", rows), opening=True)
    cid = _ids(any_engine)["OLIVIA-1"]
    with (
        pytest.raises(TilltermError, match="archive them instead"),
        session_scope(any_engine) as s,
    ):
        customers.delete_customer(s, cid)
    assert cid in _ids(any_engine).values()


def test_a_store_at_0004_keeps_its_data_and_gains_the_new_columns(tmp_path: Path) -> None:
    from sqlalchemy import text
    from test_migration_kill import fill_first_schema, fingerprint

    from tillterm.store.engine import build_engine, open_db, upgrade

    path = tmp_path / "old.db"
    engine = build_engine(path)
    upgrade(engine, "0001_initial")
    with engine.begin() as conn:
        fill_first_schema(conn)
    upgrade(engine, "0004_sale_history")
    with engine.connect() as conn:
        before = fingerprint(conn)
        spent = {
            cid: sales_total
            for cid, sales_total in conn.execute(
                text(
                    "SELECT customer_id, SUM(total_cents) FROM sale "
                    "WHERE state = 'completed' AND customer_id IS NOT NULL GROUP BY customer_id"
                )
            )
        }
    engine.dispose()
    engine = open_db(path)
    try:
        with engine.connect() as conn:
            assert fingerprint(conn) == before
            assert conn.execute(text("SELECT count(*) FROM opening_spend")).scalar() == 0
            # every customer on file is not tax exempt, as they were sold until now
            assert (
                conn.execute(text("SELECT count(*) FROM customer WHERE tax_exempt")).scalar() == 0
            )
            # the column is added in place: the customer search triggers of 0002 stay
            triggers = conn.execute(
                text(
                    "SELECT count(*) FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'customer'"
                )
            ).scalar()
            assert triggers == 6
        with session_scope(engine) as s:
            customers.create_customer(s, {"first_name": "Zélie", "last_name": "Quintal"})
            assert [c.last_name for c in customers.search_customers(s, "quintal")] == ["Quintal"]
        # the old sales still make the year to date (counted from 1990: all of them)
        since_1990 = dt.datetime(1990, 6, 1, tzinfo=dt.UTC)
        with session_scope(engine) as s:
            assert (
                spent
                and {cid: sales.year_to_date_cents(s, cid, now=since_1990) for cid in spent}
                == spent
            )
    finally:
        engine.dispose()
