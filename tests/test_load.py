"""The load benchmark's invariants, short: 3 register processes × 5 s and an import, on
SQLite and on the real PostgreSQL, through the register's own code (``bench/bench_load``).

Whatever the timing, afterwards no ledger movement is lost, no balance is over its
limit and the receipt numbers run without gap or duplicate; and the checks do see a
store where that is not so.
"""

from __future__ import annotations

import functools
import importlib.util
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.conftest import needs_pg

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_load.py"


@functools.cache
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _short_run(url: str, engine: str) -> Any:
    run = _bench().run_load(url, engine, registers=3, seconds=5, import_rows=2000)
    print(run.report())
    assert run.sales > 10 and run.refunds > 0
    assert run.counts["account_payments"] > 0 and run.counts["loyalty_payments"] > 0
    assert run.imported == 2000
    failed = [(what, n) for what, n in run.checks if n]
    assert failed == []
    return run


def test_three_registers_and_an_import_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "load.db"
    run = _short_run(str(db), "SQLite")

    # the checks are not blind: lose a ledger row, overspend an account, give points
    # nobody was told of, skip a receipt number
    with sqlite3.connect(db) as raw:
        sale_id, customer = raw.execute(
            "SELECT sale_id, customer_id FROM account_entry WHERE amount_cents > 0 LIMIT 1"
        ).fetchone()
        raw.execute("DELETE FROM account_entry WHERE sale_id = ?", (sale_id,))
        raw.execute(
            "INSERT INTO account_entry (customer_id, amount_cents, reason, created_at) "
            "VALUES (?, 99999999, 'x', '2026-01-01 00:00:00')",
            (customer,),
        )
        raw.execute(
            "INSERT INTO loyalty_entry (customer_id, points, reason, created_at) "
            "VALUES (?, 5, 'x', '2026-01-01 00:00:00')",
            (customer,),
        )
        raw.execute("UPDATE receipt_counter SET last_no = last_no + 1")
    raw.close()
    broken = dict(_bench().check_store(str(db), run.finished))
    assert broken["sales whose account entries differ from their payments"] == 1
    assert broken["customers whose balance differs from what the registers were told"] == 1
    assert broken["customers whose loyalty points differ from what the registers were told"] == 1
    assert broken["balances over their limit"] == 1
    assert broken["missing receipt numbers"] == 1
    assert broken["printed receipts not on file for their sale"] == 0
    assert sum(broken.values()) == 5


@needs_pg
def test_three_registers_and_an_import_on_postgresql(pg_url: str) -> None:
    _short_run(pg_url, "PostgreSQL")
