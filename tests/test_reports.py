"""Sales by customer group: the domain function and ``tillterm report sales-by-group``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import run_cli
from sales_store import build_store
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import TilltermError
from tillterm.sales import report_csv, sales_by_group
from tillterm.store.engine import open_db, session_scope


def _sell(engine: Engine, register: str, codes: list[str], method: str = "card") -> int:
    with session_scope(engine) as s:
        for code in codes:
            out = sales.scan_code(s, register, code)
            assert out.view is not None
        sale_id = out.view.id
        sales.add_payment(s, sale_id, method)
        sales.complete_sale(s, sale_id)
    return sale_id


def _fill(engine: Engine) -> None:
    build_store(engine)
    _sell(engine, "r", ["3000000000024", "2900000000017"])  # VIP: 22.41, discount 2.49
    _sell(engine, "r", ["3000000000017", "2900000000017"])  # VIP: 4.05, discount 0.45
    _sell(engine, "r", ["3000000000024", "TRADE-1"])  # Wholesale: 21.16, discount 3.74
    _sell(engine, "r", ["3000000000024", "PLAIN-1"])  # no group: 24.90
    refunded = _sell(engine, "r", ["3000000000017"])  # walk-in 4.50, then refunded
    with session_scope(engine) as s:
        sales.refund_sale(s, "r", refunded)


def test_sales_by_group(any_engine: Engine) -> None:
    _fill(any_engine)
    today = dt.date.today()
    with session_scope(any_engine) as s:
        report = sales_by_group(s, today, today)
        empty = sales_by_group(s, today - dt.timedelta(days=10), today - dt.timedelta(days=1))
    rows = {
        r.group_name: (r.sales_count, r.refunds_count, r.revenue, r.discount) for r in report.rows
    }
    assert rows == {
        "VIP": (2, 0, D("26.46"), D("2.94")),
        "Wholesale": (1, 0, D("21.16"), D("3.74")),
        "No group": (1, 0, D("24.90"), D(0)),
        "No customer": (1, 1, D(0), D(0)),
    }
    assert [r.group_name for r in report.rows] == ["VIP", "Wholesale", "No group", "No customer"]
    assert report.total.revenue == D("72.52") and report.total.sales_count == 5
    assert empty.rows == ()
    csv_text = report_csv(report)
    assert csv_text.splitlines()[0] == "group,sales,refunds,revenue,discount"
    assert "VIP,2,0,26.46,2.94" in csv_text and csv_text.splitlines()[-1].startswith("Total,5,1")
    with pytest.raises(TilltermError, match="before the start"):
        sales_by_group(s, today, today - dt.timedelta(days=1))


def test_report_command_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"
    engine = open_db(db)
    _fill(engine)
    engine.dispose()
    today = dt.date.today().isoformat()
    args = ["report", "sales-by-group", "--db", str(db), "--from", today, "--to", today]
    assert run_cli(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("group,sales,refunds,revenue,discount\n") and "Wholesale,1,0,21.16" in out
    target = tmp_path / "out.csv"
    assert run_cli([*args, "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == out
    assert target.stat().st_mode & 0o777 == 0o600  # through private_files
    with pytest.raises(SystemExit):
        run_cli(["report", "sales-by-group", "--db", str(db), "--from", "31/12", "--to", today])
    assert "is not a date" in capsys.readouterr().err
    assert (
        run_cli(
            ["report", "sales-by-group", "--db", str(db), "--from", today, "--to", "2000-01-01"]
        )
        == 2
    )
