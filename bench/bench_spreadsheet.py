"""Spreadsheet import/export budgets: import 100k rows ≤ 5 s; 1M rows ≤ 60 s and peak
RSS ≤ 1 GB; export 1M customers ≤ 10 s. Prints figures; asserts nothing.

Files are written once from ``tillterm.demo.generate_customers`` (realistic names,
addresses, phones) in the export format, then imported into a fresh SQLite database.
The 1M import runs in a child process so its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CACHE = Path(os.environ.get("TILLTERM_BENCH_DIR", tempfile.gettempdir())) / "tillterm-bench"


def _write_csv(path: Path, count: int) -> Path:
    from tillterm.demo import generate_customers
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


def _import(db: Path, csv_path: Path) -> tuple[float, int]:
    from tillterm.db import open_db
    from tillterm.spreadsheet.importing import apply_import, check_import

    engine = open_db(db)
    started = time.perf_counter()
    report = check_import(engine, csv_path)
    result = apply_import(engine, report, allow_warnings=True)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, result.created


def child() -> None:
    db, path = Path(sys.argv[2]), Path(sys.argv[3])
    seconds, created = _import(db, path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.2f} {created} {rss:.0f}")


def main() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = _write_csv(CACHE / "customers-100k.csv", 100_000)
        seconds, created = _import(work / "a.db", small)
        print(f"import 100,000-row CSV: {seconds:.2f} s ({created:,} created; budget 5 s)")

        big = _write_csv(CACHE / "customers-1m.csv", 1_000_000)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(work / "b.db"), str(big)],
            capture_output=True,
            text=True,
            check=True,
        )
        secs, made, rss = out.stdout.split()
        print(
            f"import 1,000,000-row CSV: {float(secs):.2f} s ({int(made):,} created; budget 60 s), "
            f"peak RSS {float(rss):.0f} MB (budget 1024 MB)"
        )

        from tillterm.db import open_db
        from tillterm.spreadsheet.export import export_customers

        engine = open_db(work / "b.db")
        started = time.perf_counter()
        count = export_customers(engine, work / "export.csv")
        print(
            f"export {count:,} customers to CSV: {time.perf_counter() - started:.2f} s "
            "(budget 10 s)"
        )
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
    else:
        main()
