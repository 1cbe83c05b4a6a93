"""Spreadsheet import/export budgets: import 100k rows ≤ 5 s; 1M rows ≤ 60 s and peak
RSS ≤ 1 GB; export 1M customers ≤ 10 s. Prints figures; asserts nothing.

Files are written once from ``tillterm.demo.seeding.generate_customers`` (realistic names,
addresses, phones) in the export format, then imported into a fresh SQLite database
(check, then apply: the figure is both, split in brackets). The 1M import runs in a
child process so its peak RSS (ru_maxrss) is its own. The export reads the customer
core's 1M demo store (``bench/customers-1m.db``, with groups and tags; built by
``bench_customers.py``) when it is there, else the store the 1M import just made.

The machine is shared: the 100k import and the export run ``--repeat N`` times
(default 3) and print the median and every run, and the imports their CPU time too
(every thread of the process: the helper that prepares rows, SQLite's own work), which
a busy machine disturbs far less than wall time. Each export runs in a child process, so
its CPU time (less noisy than wall time on a shared machine) and peak RSS are its own.
``--export-only`` skips the imports (when the 1M store is there), ``--import-only``
the export; with ``TILLTERM_TEST_PG_URL`` set the 100k and 1M imports run on
PostgreSQL too (issue 15 budgets: 8 s and 90 s), each into a fresh database of its own,
``tillterm_bench_pg_import``, dropped after (``--pg-only``: only those; ``--pg-no-1m``: not
the 1M one, which takes minutes);
``--store PATH`` exports that store instead (e.g. one made by ``tillterm
demo --customers 1000000``). The store the first 100k import made is also exported and
imported back unchanged: nothing is written (every row counted unchanged), and it should
be quick. CPU time includes the export's own child process (the native SQLite reader
runs there: see ``tillterm.spreadsheet.export_writer``). ``--compare-readers`` adds one
export read through Python's ``sqlite3`` in the process (the fallback without the driver).
"""

from __future__ import annotations

import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CACHE = Path(os.environ.get("TILLTERM_BENCH_DIR", tempfile.gettempdir())) / "tillterm-bench"
STORE_1M = ROOT / "bench" / "customers-1m.db"


def _repeat() -> int:
    if "--repeat" in sys.argv:
        return max(1, int(sys.argv[sys.argv.index("--repeat") + 1]))
    return 3


def _runs(values: list[float]) -> str:
    shown = ", ".join(f"{v:.2f}" for v in values)
    return f"median {statistics.median(values):.2f} s (runs: {shown})"


def _write_csv(path: Path, count: int) -> Path:
    from tillterm.demo.seeding import generate_customers
    from tillterm.spreadsheet.columns import export_headers

    if path.exists():
        return path
    headers = [h for h in export_headers([]) if h not in ("created_at",)][:-3]
    tmp = path.with_suffix(".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in generate_customers(count):
            row["group"] = ""
            row["tax_rate"] = ""
            row["tags"] = ""
            cents = row["balance_limit_cents"]
            row["balance_limit"] = "" if cents is None else f"{int(cents) // 100}.00"  # type: ignore[call-overload]
            values = []
            for h in headers:
                v = row.get(h)
                if isinstance(v, bool):
                    v = "yes" if v else "no"
                values.append("" if v is None else str(v))
            writer.writerow(values)
    tmp.rename(path)
    return path


def _import(db: Path, csv_path: Path, *, store: int = 0) -> tuple[float, float, int, float]:
    """(check seconds, apply seconds, customers created, CPU seconds of both);
    ``store``: demo customers first."""
    from tillterm.demo.seeding import seed_demo
    from tillterm.spreadsheet.importing import apply_import, check_import
    from tillterm.store.engine import open_db

    engine = open_db(db)
    if store:
        seed_demo(engine, customers=store)
    cpu = time.process_time()
    started = time.perf_counter()
    report = check_import(engine, csv_path)
    checked = time.perf_counter()
    result = apply_import(engine, report, allow_warnings=True)
    applied = time.perf_counter()
    cpu = time.process_time() - cpu
    engine.dispose()
    return checked - started, applied - checked, result.created, cpu


def _reimport(db: Path, out: Path) -> tuple[float, float, float, int, int, float]:
    """Export the store ``db`` and import the export back, unchanged.

    (export seconds, check seconds, apply seconds, updated, unchanged, CPU seconds of the
    import): nothing should be written, and it should be fast.
    """
    from tillterm.spreadsheet.export import export_customers
    from tillterm.spreadsheet.importing import apply_import, check_import
    from tillterm.store.engine import open_db

    engine = open_db(db)
    started = time.perf_counter()
    export_customers(engine, out)
    exported = time.perf_counter()
    cpu = time.process_time()
    report = check_import(engine, out)
    checked = time.perf_counter()
    result = apply_import(engine, report, allow_warnings=True)
    applied = time.perf_counter()
    cpu = time.process_time() - cpu
    engine.dispose()
    unchanged = getattr(result, "unchanged", 0)
    return (
        exported - started,
        checked - exported,
        applied - checked,
        result.updated,
        unchanged,
        cpu,
    )


#: the PostgreSQL imports' own database (never the tests' one), made and dropped here
PG_DATABASE = "tillterm_bench_pg_import"


def _pg_import(csv_path: Path) -> tuple[float, float, int, float]:
    """(check seconds, apply seconds, customers created, CPU seconds of this process):
    ``csv_path`` imported into a fresh PostgreSQL database of its own on the tests'
    server, dropped after. The server's own CPU is not counted (it may be elsewhere)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tillterm.spreadsheet.importing import apply_import, check_import
    from tillterm.store.engine import open_db

    server = make_url(os.environ["TILLTERM_TEST_PG_URL"])
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        conn.exec_driver_sql(f"CREATE DATABASE {PG_DATABASE}")
    try:
        engine = open_db(server.set(database=PG_DATABASE).render_as_string(hide_password=False))
        cpu = time.process_time()
        started = time.perf_counter()
        report = check_import(engine, csv_path)
        checked = time.perf_counter()
        result = apply_import(engine, report, allow_warnings=True)
        applied = time.perf_counter()
        cpu = time.process_time() - cpu
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.dispose()
    return checked - started, applied - checked, result.created, cpu


def pg_main() -> None:
    """The PostgreSQL import figures (issue 15 budgets: 100k ≤ 8 s, 1M ≤ 90 s), each
    into a fresh database; the 1M import once (a shared machine)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    small = _write_csv(CACHE / "customers-100k.csv", 100_000)
    runs = [_pg_import(small) for _ in range(_repeat())]
    print(
        f"PostgreSQL import 100,000-row CSV: {_runs([c + a for c, a, _, _ in runs])} "
        f"[check+apply: {', '.join(f'{c:.2f}+{a:.2f}' for c, a, _, _ in runs)}] "
        f"({runs[0][2]:,} created; budget 8 s); client CPU {_runs([u for *_, u in runs])}; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if "--pg-no-1m" in sys.argv:
        return
    big = _write_csv(CACHE / "customers-1m.csv", 1_000_000)
    check, apply, made, cpu = _pg_import(big)
    print(
        f"PostgreSQL import 1,000,000-row CSV: {check + apply:.2f} s "
        f"[check {check:.2f} + apply {apply:.2f}] ({made:,} created; budget 90 s); "
        f"client CPU {cpu:.2f} s; load {os.getloadavg()[0]:.1f}"
    )


def child() -> None:
    db, path = Path(sys.argv[2]), Path(sys.argv[3])
    check, apply, created, _ = _import(db, path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{check:.2f} {apply:.2f} {created} {rss:.0f}")


def export_child() -> None:
    if "--python-reader" in sys.argv:  # what export costs without the native reader
        for name in ("adbc_driver_manager", "adbc_driver_sqlite", "nanoarrow"):
            sys.modules[name] = None  # type: ignore[assignment]
    from tillterm.spreadsheet.export import export_customers
    from tillterm.store.engine import open_db

    engine = open_db(Path(sys.argv[2]))
    # the export's own process (SQLite's native reader) counts too: RUSAGE_CHILDREN
    before = _cpu()
    started = time.perf_counter()
    count = export_customers(engine, Path(sys.argv[3]), overwrite=True)
    wall, cpu = time.perf_counter() - started, _cpu() - before
    rss = max(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(f"{wall:.2f} {cpu:.2f} {rss / 1024:.0f} {count}")


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _export(store: Path, work: Path, repeat: int, *flags: str) -> None:
    walls, cpus, rsss = [], [], []
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--export-child",
                str(store),
                str(work / "export.csv"),
                *flags,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        wall, cpu, rss, count = out.stdout.split()
        walls.append(float(wall))
        cpus.append(float(cpu))
        rsss.append(float(rss))
    how = "Python's sqlite3 in the process" if flags else "native reader in its own process"
    print(
        f"export {int(count):,} customers ({store.name}) to CSV, {how}: {_runs(walls)} "
        f"(budget 10 s); CPU {_runs(cpus)}; peak RSS median {statistics.median(rsss):.0f} MB"
    )
    if "--compare-readers" in sys.argv and not flags:
        _export(store, work, 1, "--python-reader")


def main() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    repeat = _repeat()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "--store" in sys.argv:
            _export(Path(sys.argv[sys.argv.index("--store") + 1]), work, repeat)
            return
        if "--export-only" in sys.argv and STORE_1M.exists():
            _export(STORE_1M, work, repeat)
            return
        small = _write_csv(CACHE / "customers-100k.csv", 100_000)
        totals, splits, cpus = [], [], []
        for run in range(repeat):
            check, apply, created, cpu = _import(work / f"a{run}.db", small)
            totals.append(check + apply)
            splits.append(f"{check:.2f}+{apply:.2f}")
            cpus.append(cpu)
        print(
            f"import 100,000-row CSV: {_runs(totals)} [check+apply: {', '.join(splits)}] "
            f"({created:,} created; budget 5 s); CPU {_runs(cpus)}"
        )

        export_s, check, apply, updated, unchanged, cpu = _reimport(work / "a0.db", work / "re.csv")
        print(
            f"  re-import of the store's unchanged 100k export: {check + apply:.2f} s "
            f"[check {check:.2f} + apply {apply:.2f}] ({updated:,} updated, "
            f"{unchanged:,} unchanged; export {export_s:.2f} s); CPU {cpu:.2f} s"
        )

        # the same file into a store holding its first 5,000 customers (updated), and
        # without its code column (every code generated)
        check, apply, created, cpu = _import(work / "u.db", small, store=5_000)
        print(
            f"  into a store of 5,000 of them: {check + apply:.2f} s "
            f"[check {check:.2f} + apply {apply:.2f}] ({created:,} created, 5,000 updated); "
            f"CPU {cpu:.2f} s"
        )
        nocode = CACHE / "customers-100k-nocode.csv"
        if not nocode.exists():
            import polars as pl

            pl.read_csv(small, infer_schema_length=0).drop("customer_code").write_csv(nocode)
        check, apply, created, cpu = _import(work / "n.db", nocode)
        print(
            f"  without a code column (all generated): {check + apply:.2f} s "
            f"[check {check:.2f} + apply {apply:.2f}] ({created:,} created); CPU {cpu:.2f} s"
        )

        big = _write_csv(CACHE / "customers-1m.csv", 1_000_000)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(work / "b.db"), str(big)],
            capture_output=True,
            text=True,
            check=True,
        )
        check_s, apply_s, made, rss = out.stdout.split()
        print(
            f"import 1,000,000-row CSV: {float(check_s) + float(apply_s):.2f} s "
            f"[check {float(check_s):.2f} + apply {float(apply_s):.2f}] "
            f"({int(made):,} created; budget 60 s), peak RSS {float(rss):.0f} MB (budget 1024 MB)"
        )

        if os.environ.get("TILLTERM_TEST_PG_URL"):
            pg_main()
        else:
            print("PostgreSQL figures: set TILLTERM_TEST_PG_URL to measure them too")

        if "--import-only" in sys.argv:
            return
        store = STORE_1M if STORE_1M.exists() else work / "b.db"
        _export(store, work, repeat)


if __name__ == "__main__":
    if "--pg-only" in sys.argv:
        pg_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
    elif len(sys.argv) > 1 and sys.argv[1] == "--export-child":
        export_child()
    else:
        main()
