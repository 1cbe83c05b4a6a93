"""Opening balances from the old system (``--opening-balances``), and their reversal.

Without the option the activity columns stay read-only (seed 003); with it, loyalty and
account balances land as dated ledger entries of one numbered import, never as stored
counters, so every balance stays the sum of its entries. One command adds the opposite
entries, once.

The files are written in Lightspeed X-Series' customer export format: the header line is
the one of ``fixtures/sources/xseries_customers.csv`` (see ``make_sources.py`` for where
it comes from: X-Series' documented customer CSV, ``loyalty_balance``, ``year_to_date``
and ``balance`` included), UTF-8, LF line ends, as X-Series writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import run_cli
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col
from sqlmodel import select as orm_select

from tillterm import sales
from tillterm.services.imports import Imports
from tillterm.spreadsheet.import_report import ImportReport, ImportResult
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.spreadsheet.opening import ReversalRefused
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import AccountEntry, Customer, LoyaltyEntry

XSERIES = Path(__file__).parent / "fixtures" / "sources" / "xseries_customers.csv"
HEADER = next(csv.reader(io.StringIO(XSERIES.read_text("utf-8").splitlines()[0])))


def _xseries(path: Path, rows: list[dict[str, str]]) -> Path:
    """An X-Series customer export holding ``rows`` (other columns blank)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row.get(h, "") for h in HEADER])
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return path


ROWS = [
    # code, name, points, year to date, account balance
    {"customer_code": "OLIVIA-1", "first_name": "Olivia", "email": "olivia@example.org",
     "loyalty_balance": "120", "year_to_date": "350.00", "balance": "25.50"},
    {"customer_code": "NOAH-2", "first_name": "Noah", "email": "noah@example.org",
     "loyalty_balance": "0", "year_to_date": "0.00", "balance": "0.00"},
    {"customer_code": "AVA-3", "first_name": "Ava", "email": "ava@example.org",
     "loyalty_balance": "1,500", "year_to_date": "", "balance": "-12.25"},
    {"customer_code": "LEO-4", "first_name": "Leo", "email": "leo@example.org",
     "loyalty_balance": "", "year_to_date": "10", "balance": "€ 100"},
]  # fmt: skip


def _balances(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every customer's loyalty points and account cents, as the till computes them."""
    with session_scope(engine) as s:
        codes = s.execute(select(col(Customer.customer_code), col(Customer.id))).all()
        return {
            code: (sales.loyalty_balance(s, cid), sales.account_balance_cents(s, cid))
            for code, cid in codes
        }


def _entries(engine: Engine) -> list[tuple[str, str, int]]:
    """Every ledger entry: (ledger, reason, amount), in the order written."""
    with session_scope(engine) as s:
        loyalty = s.execute(
            select(col(LoyaltyEntry.reason), col(LoyaltyEntry.points)).order_by(
                col(LoyaltyEntry.id)
            )
        ).all()
        account = s.execute(
            select(col(AccountEntry.reason), col(AccountEntry.amount_cents)).order_by(
                col(AccountEntry.id)
            )
        ).all()
    return [("loyalty", r, int(v)) for r, v in loyalty] + [
        ("account", r, int(v)) for r, v in account
    ]


def _sums_match(engine: Engine) -> None:
    """Balances are sums of entries: what the till shows is what the ledgers add up to."""
    with session_scope(engine) as s:
        points = s.execute(select(func.coalesce(func.sum(LoyaltyEntry.points), 0))).scalar_one()
        cents = s.execute(
            select(func.coalesce(func.sum(AccountEntry.amount_cents), 0))
        ).scalar_one()
    shown = _balances(engine).values()
    assert sum(p for p, _ in shown) == points
    assert sum(c for _, c in shown) == cents


def _import(engine: Engine, path: Path, *, opening: bool) -> tuple[ImportReport, ImportResult]:
    report = check_import(engine, path, opening_balances=opening)
    assert report.errors == 0, report.problems
    return report, apply_import(engine, report, allow_warnings=True)


def test_without_the_option_the_activity_columns_stay_read_only(
    any_engine: Engine, tmp_path: Path
) -> None:
    report, result = _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=False)
    assert report.opening is None and result.opening_import is None
    assert "opening balances" not in report.summary()
    notice = next(n for n in report.notices if n.startswith("Read-only columns"))
    for header in ("loyalty_balance", "year_to_date", "balance"):
        assert f"“{header}”" in notice
    assert not any(n.startswith("Opening balances from") for n in report.notices)
    assert _entries(any_engine) == []
    assert set(_balances(any_engine).values()) == {(0, 0)}


def test_opening_balances_become_dated_entries_of_one_import(
    any_engine: Engine, tmp_path: Path
) -> None:
    report, result = _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    assert report.warnings == 0, report.problems
    opening = report.opening
    assert opening is not None
    assert (opening.loyalty, opening.points, opening.accounts, opening.cents) == (
        2,
        1620,
        3,
        2550 - 1225 + 10000,
    )
    assert (opening.spends, opening.spend_cents) == (2, 36000)
    assert (
        "opening balances: 2 loyalty balances (1,620 points), 3 account balances (113.25 EUR)"
        in report.summary()
    )
    assert result.opening_import == 1
    assert "opening-balance import 1" in result.summary()
    assert "tillterm balances reverse 1" in result.summary()
    # the columns are said to be read, by name
    assert any(
        n.startswith("Opening balances from: “loyalty_balance”, “balance”") for n in report.notices
    )
    assert any(n.startswith("Year-to-date spend from: “year_to_date”") for n in report.notices)
    assert not any(n.startswith("Read-only columns") for n in report.notices)
    lines = "\n".join(report.mapping_lines())
    assert "“loyalty_balance” → opening loyalty balance" in lines
    assert "“balance” → opening account balance" in lines
    assert _balances(any_engine) == {
        "OLIVIA-1": (120, 2550),
        "NOAH-2": (0, 0),
        "AVA-3": (1500, -1225),
        "LEO-4": (0, 10000),
    }
    reason = "opening balance, import 1"
    assert {r for _, r, _ in _entries(any_engine)} == {reason}
    # zero and blank balances write nothing: one entry per balance brought over
    assert len(_entries(any_engine)) == 5
    # dated when imported, read back as the ledgers' other entries are (UTC)
    with session_scope(any_engine) as s:
        dates = [*s.exec(orm_select(LoyaltyEntry)), *s.exec(orm_select(AccountEntry))]
        stamps = {e.created_at for e in dates}
    assert len(stamps) == 1
    stamp = stamps.pop()
    assert stamp.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 120
    _sums_match(any_engine)


def test_reversal_restores_the_balances_and_is_refused_a_second_time(
    any_engine: Engine, tmp_path: Path
) -> None:
    _import(any_engine, _xseries(tmp_path / "x.csv", ROWS), opening=True)
    second = [{**ROWS[0], "customer_code": "MIA-5", "email": "mia@example.org", "balance": "7"}]
    _, later = _import(any_engine, _xseries(tmp_path / "y.csv", second), opening=True)
    assert later.opening_import == 2
    imports = Imports(lambda: any_engine)
    done = imports.reverse_opening_balances(1)
    assert (done.loyalty, done.points, done.accounts, done.cents) == (2, 1620, 3, 11325)
    balances = _balances(any_engine)
    # import 1 is taken back exactly; import 2 stays
    assert balances["MIA-5"] == (120, 700)
    assert {balances[c] for c in ("OLIVIA-1", "NOAH-2", "AVA-3", "LEO-4")} == {(0, 0)}
    _sums_match(any_engine)
    # the import's entries stay on file beside their reversal: nothing printed is rewritten
    reasons = [r for _, r, _ in _entries(any_engine)]
    assert reasons.count("opening balance, import 1") == 5
    assert reasons.count("reversal of opening balance, import 1") == 5
    before = _entries(any_engine)
    with pytest.raises(ReversalRefused, match="already reversed"):
        imports.reverse_opening_balances(1)
    with pytest.raises(ReversalRefused, match="no opening-balance import 9"):
        imports.reverse_opening_balances(9)
    assert _entries(any_engine) == before
    # a later import is numbered after every one on file, reversed or not
    third = [{**ROWS[0], "customer_code": "ZOE-6", "email": "zoe@example.org"}]
    assert (
        _import(any_engine, _xseries(tmp_path / "z.csv", third), opening=True)[1].opening_import
        == 3
    )


def test_existing_and_unchanged_customers_get_their_opening_balance(
    any_engine: Engine, tmp_path: Path
) -> None:
    # the customers first, balances left out; then the same file with the option: every
    # row is unchanged (not rewritten), yet each balance lands on its customer
    path = _xseries(tmp_path / "x.csv", ROWS)
    _import(any_engine, path, opening=False)
    _, result = _import(any_engine, path, opening=True)
    assert result.unchanged == 4 and result.created == 0
    assert _balances(any_engine)["OLIVIA-1"] == (120, 2550)
    assert _balances(any_engine)["AVA-3"] == (1500, -1225)
    _sums_match(any_engine)


def test_an_unreadable_balance_is_a_warning_naming_column_and_value(
    any_engine: Engine, tmp_path: Path
) -> None:
    rows = [
        {**ROWS[0], "loyalty_balance": "12.5"},
        {**ROWS[2], "balance": "lots"},
    ]
    report = check_import(any_engine, _xseries(tmp_path / "x.csv", rows), opening_balances=True)
    found = {(p.row, p.column, p.message) for p in report.problems}
    assert (
        2,
        "loyalty_balance",
        "“12.5” is not a whole number of points: no opening balance",
    ) in found
    assert (3, "balance", "“lots” is not an amount: no opening balance") in found
    assert report.warnings == 2
    apply_import(any_engine, report, allow_warnings=True)
    # the unreadable figures write nothing; the readable ones land
    assert _balances(any_engine) == {"OLIVIA-1": (0, 2550), "AVA-3": (1500, 0)}


def test_nothing_to_bring_over_numbers_no_import(any_engine: Engine, tmp_path: Path) -> None:
    report, result = _import(any_engine, _xseries(tmp_path / "x.csv", [ROWS[1]]), opening=True)
    assert report.opening is not None and report.opening.loyalty == 0
    assert result.opening_import is None
    assert "no opening balance to bring over" in result.summary()
    assert _entries(any_engine) == []


def test_cli_imports_opening_balances_and_reverses_them_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "store.db"
    path = _xseries(tmp_path / "x.csv", ROWS)
    assert run_cli(["import", "--db", str(db), str(path), "--opening-balances"]) == 0
    out = capsys.readouterr().out
    assert "opening balances: 2 loyalty balances (1,620 points)" in out
    assert "tillterm balances reverse 1" in out
    assert run_cli(["balances", "reverse", "1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Reversed opening-balance import 1: 2 loyalty balances (1,620 points taken back)" in out
    assert "3 account balances (113.25 EUR taken back)" in out
    assert run_cli(["balances", "reverse", "1", "--db", str(db)]) == 1
    assert "already reversed" in capsys.readouterr().err
    engine = open_db(str(db))
    try:
        assert set(_balances(engine).values()) == {(0, 0)}
    finally:
        engine.dispose()


def test_cli_help_names_the_option_and_the_reversal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(["import", "--help"])
    assert "--opening-balances" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run_cli(["--help"])
    assert "balances" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run_cli(["balances", "reverse", "--help"])
    assert "opposite of every opening" in capsys.readouterr().out


def test_the_same_balances_twice_are_warnings_until_the_first_is_reversed(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = _xseries(tmp_path / "x.csv", ROWS)
    _import(any_engine, path, opening=True)
    again = check_import(any_engine, path, opening_balances=True)
    twice = [p for p in again.problems if "adds to the opening balance of import 1" in p.message]
    # one per balance and year-to-date figure brought over (zero and blank ones add nothing)
    assert len(twice) == 7 and again.warnings == 7
    assert {(p.row, p.column) for p in twice} >= {(2, "loyalty_balance"), (2, "balance")}
    assert all("tillterm balances reverse 1" in p.message for p in twice)
    assert twice[0].message.startswith("“120” adds to")
    Imports(lambda: any_engine).reverse_opening_balances(1)
    report, result = _import(any_engine, path, opening=True)
    assert report.warnings == 0, report.problems
    assert result.opening_import == 2
    assert _balances(any_engine)["OLIVIA-1"] == (120, 2550)
    _sums_match(any_engine)


@pytest.mark.parametrize(
    ("points", "balance", "expected"),
    [
        ("12", "12", (12, 1200)),
        ("-7", "0.5", (-7, 50)),
        ("+3", "-0,05", (3, -5)),
        ("1.500", "1 234,56", (1500, 123456)),  # thousands separators: read one by one
        ("12 000", "€ 3", (12000, 300)),
        ("'-4", "'-19.99", (-4, -1999)),  # tillterm's own export quotes a leading minus
        ("999999999", "999999999.99", (999999999, 99999999999)),
    ],
)
def test_balances_are_read_as_written(
    engine: Engine, tmp_path: Path, points: str, balance: str, expected: tuple[int, int]
) -> None:
    row = {**ROWS[0], "loyalty_balance": points, "balance": balance}
    report, _ = _import(engine, _xseries(tmp_path / "x.csv", [row]), opening=True)
    assert report.warnings == 0, report.problems
    assert _balances(engine)["OLIVIA-1"] == expected
