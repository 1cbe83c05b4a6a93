"""Two registers selling to one customer at once lose nothing and never pass the limit.

Paul may owe at most 100.00; each sale is 10.00 less his 5 % = 9.50 on account and earns
him 9 points. Twelve attempts from two registers at once: exactly ten fit under the
limit, and the ledgers hold exactly the successful sales' movements.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import sales_worker
from sales_store import build_store
from sales_worker import redeem_all_points, run_register
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import LoyaltyEntry, Sale

HERE = Path(__file__).resolve().parent
ATTEMPTS = 6


def _check(engine: Engine, successes: int) -> None:
    assert successes == 10
    with session_scope(engine) as s:
        from sqlmodel import select

        paul = sales.find_customer_row(s, "CARD-PAUL")
        assert paul is not None and paul.id is not None
        assert sales.account_balance_cents(s, paul.id) == 950 * successes
        assert sales.loyalty_balance(s, paul.id) == 9 * successes
        states = [row.state for row in s.exec(select(Sale)).all()]
    assert states.count("completed") == successes
    assert states.count("voided") == 2 * ATTEMPTS - successes


def _two_processes(db: Path, attempts: int, *mode: str) -> int:
    """Run ``sales_worker.py`` as two registers released at once; their summed results."""
    go = db.with_suffix(".go")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE)])}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "sales_worker.py"),
                str(db),
                name,
                str(attempts),
                str(go),
                *mode,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("till-a", "till-b")
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        results.append(int(out.strip()))
    return sum(results)


def _two_connections(pg_url: str, work: Callable[[Engine, str], int]) -> int:
    """Run ``work`` as two registers on their own connections, released at once."""
    engines = [open_db(pg_url), open_db(pg_url)]
    barrier = threading.Barrier(2)
    results: list[int] = []
    sales_worker.ready = lambda _name: barrier.wait(timeout=30)  # type: ignore[assignment]

    def register(engine: Engine, name: str) -> None:
        results.append(work(engine, name))

    threads = [
        threading.Thread(target=register, args=(eng, name))
        for eng, name in zip(engines, ("till-a", "till-b"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for eng in engines:
        eng.dispose()
    return sum(results)


def test_two_processes_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    engine = open_db(db)
    build_store(engine)
    _check(engine, _two_processes(db, ATTEMPTS))
    engine.dispose()


def test_two_connections_on_postgresql(pg_url: str) -> None:
    setup = open_db(pg_url)
    build_store(setup)
    _check(setup, _two_connections(pg_url, lambda e, name: run_register(e, name, ATTEMPTS)))
    setup.dispose()


POINTS = 1000  # 10.00: both registers try to spend all of them on a 22.41 sale


def _give_points(engine: Engine) -> None:
    with session_scope(engine) as s:
        marie = sales.find_customer_row(s, "2900000000017")
        assert marie is not None
        s.add(LoyaltyEntry(customer_id=marie.id or 0, points=POINTS, reason="welcome"))


def _check_points(engine: Engine, completed: int) -> None:
    """One redemption went through; the other was refused; no point lost or doubled."""
    assert completed == 1
    with session_scope(engine) as s:
        marie = sales.find_customer_row(s, "2900000000017")
        assert marie is not None and marie.id is not None
        # 22.41 - 10.00 paid in points = 12.41 earns 12
        assert sales.loyalty_balance(s, marie.id) == POINTS - POINTS + 12
        from sqlmodel import select

        points = sorted(e.points for e in s.exec(select(LoyaltyEntry)).all())
    assert points == [-POINTS, 12, POINTS]


def test_two_processes_spend_the_same_points_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "points.db"
    engine = open_db(db)
    build_store(engine)
    _give_points(engine)
    _check_points(engine, _two_processes(db, 1, "loyalty"))
    engine.dispose()


def test_two_connections_spend_the_same_points_on_postgresql(pg_url: str) -> None:
    setup = open_db(pg_url)
    build_store(setup)
    _give_points(setup)
    _check_points(setup, _two_connections(pg_url, redeem_all_points))
    setup.dispose()
