"""Customer core figures on 1,000,000 demo customers (issue 3 budgets).

- ``tillterm demo --customers 1000000`` wall time, search index included (≤ 60 s);
- ``search_customers`` median / p95 over a mix of 1-word, 2-word, phone, postcode,
  email and no-match queries of 1–12 characters drawn from the data (≤ 3 ms / ≤ 10 ms),
  each in its own session as a screen's worker runs it;
- lookup by customer code, p95 (≤ 1 ms);
- creating one customer (validated, indexed, committed), median (≤ 5 ms).

The database is built once and cached as ``bench/customers-1m.db`` (with its build time
in ``customers-1m.json``); ``python bench/bench_customers.py --rebuild`` times a fresh
build.

With ``TILLTERM_TEST_PG_URL`` set, the same figures on PostgreSQL follow (issue 15
budgets): a fresh ``demo --customers 1000000`` into a database of its own,
``tillterm_bench_pg`` (≤ 120 s), then the search mix at once (median ≤ 3 ms, p95 ≤ 10 ms,
none over 50 ms). ``--pg-only`` runs only those; ``--keep-pg`` keeps the database;
``--reuse-pg`` searches a database kept by an earlier ``--keep-pg`` run instead of
loading a fresh one (for development: its figures are not "right after the demo").
``--pg-database NAME`` names that database instead (several people sharing a server).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CUSTOMERS = 1_000_000
DB = HERE / "customers-1m.db"
META = HERE / "customers-1m.json"
PER_KIND = 150
#: the PostgreSQL figures' own database (never the tests' one), dropped after
PG_DATABASE = "tillterm_bench_pg"


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"median {statistics.median(values) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms   "
        f"max {values[-1] * 1000:6.2f} ms   (n={len(values)})"
    )


def _schema() -> str:
    """What the cached database was built with: the migrations and the demo generator."""
    from tillterm.demo import seeding as demo
    from tillterm.store.migrations import MIGRATIONS_DIR

    digest = hashlib.sha1()
    for path in [*sorted((MIGRATIONS_DIR / "versions").glob("*.py")), Path(demo.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build(rebuild: bool) -> None:
    from tillterm.store.engine import open_db

    meta = json.loads(META.read_text()) if META.exists() else {}
    if DB.exists() and not rebuild and meta.get("schema") == _schema():
        print(
            f"demo --customers {CUSTOMERS:,}: {meta.get('seconds', 0):.1f} s "
            f"(cached build of {meta.get('when', '?')}; --rebuild to time it again)"
        )
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    open_db(DB).dispose()  # the schema first: the timing is the demo command itself
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tillterm", "--db", str(DB), "demo", "--customers", str(CUSTOMERS)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
    )
    seconds = time.perf_counter() - started
    META.write_text(
        json.dumps(
            {"seconds": seconds, "schema": _schema(), "when": time.strftime("%Y-%m-%d %H:%M")}
        )
    )
    print(f"demo --customers {CUSTOMERS:,}: {seconds:.1f} s (index included, fresh build)")


def _queries(engine: object) -> dict[str, list[str]]:
    """Realistic typed texts of 1–12 characters, drawn from the stored customers."""
    from sqlalchemy import text

    rng = random.Random(42)
    ids = [rng.randint(1, CUSTOMERS) for _ in range(PER_KIND * 2)]
    with engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            text(
                "SELECT first_name, last_name, email, phone, postal_code FROM customer "
                "WHERE id IN (" + ",".join(map(str, ids)) + ")"
            )
        ).all()
    rng.shuffle(rows)
    kinds: dict[str, list[str]] = {
        k: [] for k in ("1-word", "2-word", "phone", "postcode", "email")
    }
    kinds["no-match"] = []
    for first, last, email, phone, postal in rows[:PER_KIND]:
        word = rng.choice([first, last])
        kinds["1-word"].append(word[: rng.randint(1, min(12, len(word)))])
        a = rng.randint(1, min(len(first), 8))
        b = rng.randint(1, max(1, min(len(last), 11 - a)))
        kinds["2-word"].append(f"{first[:a]} {last[:b]}".lower())
        kinds["phone"].append(phone[: rng.randint(4, min(12, len(phone)))].strip())
        kinds["postcode"].append(postal)
        local = (email or f"{first}.{last}").split("@")[0]
        kinds["email"].append(local[: rng.randint(2, min(11, len(local)))] + "@")
        letters = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(4, 12)))
        kinds["no-match"].append(letters)
    return kinds


def _time(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _search_mix(engine: Any, label: str) -> None:
    """The search figures: each typed text in its own session, as a screen's worker."""
    from tillterm.customers.profiles import search_customers
    from tillterm.store.engine import session_scope

    kinds = _queries(engine)

    def search(typed: str) -> Callable[[], object]:
        def run() -> object:
            with session_scope(engine) as s:
                return search_customers(s, typed, limit=50)

        return run

    for typed in ["warm", "up", "06 1", "75011", "a@"] * 3:
        search(typed)()
    all_times: list[float] = []
    all_cpu: list[float] = []
    slowest: list[tuple[float, str]] = []
    from machine_speed import speed_line

    print(f"search_customers ({label}), limit 50, on {CUSTOMERS:,} customers ({speed_line()}):")
    for kind, texts in kinds.items():
        times, cpu = [], []
        for typed in texts:
            started = time.process_time()
            times.append(_time(search(typed)))
            cpu.append(time.process_time() - started)
        all_times += times
        all_cpu += cpu
        slowest += zip(times, texts, strict=True)
        examples = ", ".join(repr(t) for t in texts[:3])
        print(
            f"  {kind:9} {_ms(times)}   this process's CPU median "
            f"{statistics.median(cpu) * 1000:5.2f} ms   e.g. {examples}"
        )
    print(
        f"  {'ALL':9} {_ms(all_times)}   this process's CPU median "
        f"{statistics.median(all_cpu) * 1000:5.2f} ms   budget: median ≤ 3 ms, p95 ≤ 10 ms, "
        "max ≤ 50 ms"
    )
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    worst = ", ".join(f"{t!r} {s * 1000:.1f} ms" for s, t in sorted(slowest)[-3:])
    print(f"  slowest: {worst}")


def _pg_url() -> str:
    """The PostgreSQL server of the tests (``TILLTERM_TEST_PG_URL``), or ``""``."""
    return os.environ.get("TILLTERM_TEST_PG_URL", "")


def _flag_value(flag: str) -> str:
    """The word after ``flag`` on the command line, or ``""``."""
    args = sys.argv[1:]
    return args[args.index(flag) + 1] if flag in args[:-1] else ""


def _pg_kept(url: str) -> bool:
    """Whether ``url`` holds a finished demo of :data:`CUSTOMERS` customers."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT max(id) FROM customer").scalar()
    except OperationalError:
        return False
    finally:
        engine.dispose()
    return bool(found and found >= CUSTOMERS)


def pg_main(keep: bool = False, reuse: bool = False) -> None:
    """The PostgreSQL figures: a fresh ``demo --customers 1000000`` into a database of
    its own (created here, dropped after unless ``keep``), then the same search mix at
    once (no warm-up but the mix's own: the plans must be right from the first query)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tillterm.store.engine import open_db

    server = make_url(_pg_url())
    database = _flag_value("--pg-database") or PG_DATABASE
    url = server.set(database=database).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    if reuse and _pg_kept(url):
        print(f"PostgreSQL: reusing the kept {database} (not a fresh demo)")
        engine = open_db(url)
        try:
            _search_mix(engine, "PostgreSQL, kept database")
        finally:
            engine.dispose()
            admin.dispose()
        return
    keep = keep or reuse
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database}")
        conn.exec_driver_sql(f"CREATE DATABASE {database}")
    try:
        open_db(url).dispose()  # the schema first: the timing is the demo command itself
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tillterm", "--db", url, "demo", "--customers", str(CUSTOMERS)],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(HERE.parent / "src")},
        )
        seconds = time.perf_counter() - started
        print(
            f"PostgreSQL demo --customers {CUSTOMERS:,}: {seconds:.1f} s "
            "(COPY, indexes built after, ANALYZE; budget 120 s)"
        )
        engine = open_db(url)
        try:
            _search_mix(engine, "PostgreSQL")
        finally:
            engine.dispose()
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.dispose()


def main() -> None:
    if "--pg-only" in sys.argv:
        pg_main(keep="--keep-pg" in sys.argv, reuse="--reuse-pg" in sys.argv)
        return
    rebuild = "--rebuild" in sys.argv
    _build(rebuild)
    from tillterm.customers.profiles import (
        count_customers,
        create_customer,
        delete_customer,
        find_by_code,
    )
    from tillterm.store.engine import open_db, session_scope

    engine = open_db(DB)
    _search_mix(engine, "SQLite")

    rng = random.Random(7)
    from tillterm.demo.seeding import loyalty_card_code

    codes = [loyalty_card_code(rng.randint(1, CUSTOMERS)) for _ in range(500)]
    codes += [f"  {c.lower()} " for c in codes[:50]] + ["NOPE-123"] * 50
    with session_scope(engine) as s:
        lookups = [_time(lambda c=code: find_by_code(s, c)) for code in codes]
    print(f"find_by_code (full profile)  {_ms(lookups)}   budget: p95 ≤ 1 ms")

    made: list[int] = []

    def create(n: int) -> None:
        with session_scope(engine) as s:
            made.append(
                create_customer(
                    s,
                    {
                        "first_name": "Bench",
                        "last_name": f"Création {n}",
                        "email": f"bench.{n}.{rng.random():.6f}@example.org",
                        "phone": f"06 {n % 100:02d} 00 00 {n % 97:02d}",
                        "postal_code": "75011",
                        "city": "Paris",
                        "tags": "newsletter",
                    },
                ).id
            )

    creates = [_time(lambda n=n: create(n)) for n in range(200)]
    print(f"create_customer (committed)  {_ms(creates)}   budget: median ≤ 5 ms")
    with session_scope(engine) as s:
        for customer_id in made:
            delete_customer(s, customer_id)

    for typed in ("m", "dubois", "06 12"):
        with session_scope(engine) as s:
            elapsed = _time(lambda t=typed: count_customers(s, t))
            total = count_customers(s, typed)
        print(f"count_customers({typed!r}) = {total:,}: {elapsed * 1000:.0f} ms (list header)")
    engine.dispose()
    if _pg_url():
        pg_main(keep="--keep-pg" in sys.argv, reuse="--reuse-pg" in sys.argv)
    else:
        print("PostgreSQL figures: set TILLTERM_TEST_PG_URL to measure them too")


if __name__ == "__main__":
    main()
