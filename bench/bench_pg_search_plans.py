"""What the PostgreSQL search mix costs the server, in buffers and rows, not wall time.

On a shared machine the wall-clock figures of ``bench_customers.py`` swing tenfold with
the load; the buffers a statement touches (``EXPLAIN (ANALYZE, BUFFERS)``: shared pages
hit or read) do not, and they are what a plan costs. This runs the customer-core mix
(``bench_customers._queries``) through the very statement a keystroke sends
(:func:`tillterm.customers.search._pg_ranked_sql` with the list's columns) and prints,
per kind and overall, the median / p95 / max of buffers and of the server's own
execution time, then the costliest texts; then the server's CPU time per keystroke
(``/proc`` of the server process, so the server must run on this machine), each kind
run through ``search_customers`` as a screen's worker runs it: planning included,
which ``EXPLAIN ANALYZE``'s execution time leaves out, and as steady as buffers on a
busy machine (a mean: the kernel counts CPU time in ticks of 10 ms).

Needs a kept 1M database: ``python bench/bench_customers.py --pg-only --keep-pg
[--pg-database NAME]``, then ``python bench/bench_pg_search_plans.py [--pg-database NAME]
[--show TEXT] [--cpu-only] [--repeat N]`` (``--show`` prints that text's plan).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customers import PG_DATABASE, _flag_value, _queries


def _spread(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values):8.1f}  p95 {p95:8.1f}  max {values[-1]:8.1f}"


def _buffers(node: dict[str, Any]) -> int:
    return int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))


def _explain(session: Any, typed: str, *, show: bool = False) -> tuple[int, float]:
    """Buffers and server milliseconds of the statement a keystroke sends for ``typed``."""
    from tillterm.customers.reading import _SUMMARY_COLUMNS, _SUMMARY_JOINS
    from tillterm.customers.search import SearchFilters, _filter_sql, _pg_ranked_sql, parse_query
    from tillterm.store.fastpath import fetch_all

    where = _filter_sql(session, SearchFilters())
    sql, params = _pg_ranked_sql(parse_query(typed), where, 50, 0, _SUMMARY_COLUMNS, _SUMMARY_JOINS)
    if show:
        rows = fetch_all(session, f"EXPLAIN (ANALYZE, BUFFERS) {sql}", {**where.params, **params})
        print("\n".join(str(row[0]) for row in rows))
    rows = fetch_all(
        session, f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", {**where.params, **params}
    )
    found = rows[0][0]
    plan = (json.loads(found) if isinstance(found, str) else found)[0]
    return _buffers(plan["Plan"]), float(plan["Execution Time"])


def _server_cpu(pid: int) -> float:
    """Seconds of CPU the server process ``pid`` has used (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_per_keystroke(engine: Any, kinds: dict[str, list[str]], repeat: int) -> None:
    """Server CPU per keystroke: each text run ``repeat`` times in a row (its own session
    each time), the mean taken; the median / p95 / max over the texts of each kind."""
    from tillterm.customers.reading import search_customers
    from tillterm.store.engine import session_scope

    with session_scope(engine) as s:
        pid = int(s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
    every: list[tuple[float, str]] = []
    print(
        f"  server CPU per keystroke (search_customers, planning included), ms, "
        f"each text x{repeat}:"
    )
    for kind, texts in kinds.items():
        spent: list[tuple[float, str]] = []
        for typed in texts:
            started = _server_cpu(pid)
            for _ in range(repeat):
                with session_scope(engine) as s:
                    search_customers(s, typed, limit=50)
            spent.append(((_server_cpu(pid) - started) / repeat * 1000, typed))
        every += spent
        print(f"    {kind:9} {_spread([c for c, _ in spent])}")
    print(f"    {'ALL':9} {_spread([c for c, _ in every])}")
    print("    costliest: " + ", ".join(f"{t!r} {c:.1f}" for c, t in sorted(every)[-12:]))


def main() -> None:
    from sqlalchemy.engine import make_url

    from tillterm.core.errors import DatabaseError
    from tillterm.store.engine import open_db, session_scope

    if not os.environ.get("TILLTERM_TEST_PG_URL"):
        print("skipped: set TILLTERM_TEST_PG_URL to the PostgreSQL server")
        return
    server = make_url(os.environ["TILLTERM_TEST_PG_URL"])
    database = _flag_value("--pg-database") or PG_DATABASE
    try:
        engine = open_db(server.set(database=database).render_as_string(hide_password=False))
    except DatabaseError as exc:
        # ``make bench`` runs every benchmark: bench_customers drops its database after
        print(
            f"skipped: {exc}. This reads a kept 1M database: "
            "python bench/bench_customers.py --pg-only --keep-pg first"
        )
        return
    shown = _flag_value("--show")
    try:
        if shown:
            with session_scope(engine) as s:
                print(_explain(s, shown, show=True))
            return
        kinds = _queries(engine)
        repeat = int(_flag_value("--repeat") or 10)
        if "--cpu-only" in sys.argv:
            _cpu_per_keystroke(engine, kinds, repeat)
            return
        every: list[tuple[int, float, str]] = []
        print(f"PostgreSQL search mix on {database}: shared buffers / server ms per text")
        for kind, texts in kinds.items():
            costs = []
            with session_scope(engine) as s:
                for typed in texts:
                    costs.append((*_explain(s, typed), typed))
            every += costs
            print(
                f"  {kind:9} buffers {_spread([c[0] for c in costs])}   "
                f"ms {_spread([c[1] for c in costs])}"
            )
        print(
            f"  {'ALL':9} buffers {_spread([c[0] for c in every])}   "
            f"ms {_spread([c[1] for c in every])}"
        )
        print(
            "  costliest: "
            + ", ".join(f"{t!r} {b} buf {ms:.1f} ms" for b, ms, t in sorted(every)[-12:])
        )
        # one pooled connection, reused by every session: its server process is measured
        engine.dispose()
        engine = open_db(
            server.set(database=database).render_as_string(hide_password=False),
        )
        _cpu_per_keystroke(engine, kinds, repeat)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
