"""Opening the database: the common case (already at head) and a large store's upgrade.

- at head: what ``open_db`` costs once SQLAlchemy is loaded (the register pays it behind
  its first frame), and how many SQL statements it runs: the upgrade machinery (Alembic,
  the migration connection, the one transaction) must cost it nothing;
- a 100k-customer store at the first schema (``0001_initial``, filled with plain SQL)
  upgraded to head in its one transaction: how long the register shows "Upgrading the
  database…".

``python bench/bench_open.py [--keep PATH]`` (``--keep`` leaves the old store there,
still at the first schema, to try the upgrade in the real app).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm.store.engine import build_engine, open_db, upgrade
from tillterm.store.migrations import KNOWN_REVISIONS

CUSTOMERS = 100_000
RUNS = 15


def fill(engine: Engine, customers: int) -> None:
    rows = [
        {
            "id": i,
            "code": f"C{i:06d}",
            "key": f"c{i:06d}",
            "first": f"Zoé{i}",
            "last": f"Noël{i % 997}",
            "email": f"c{i}@example.fr",
            "city": "Lyon" if i % 2 else "Genève",
            "digits": f"06{i:08d}",
        }
        for i in range(1, customers + 1)
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO product (sku, barcode, name, price_cents, active) "
                "VALUES ('BREAD', '3000000000014', 'Pain', 250, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customer (id, customer_code, code_key, first_name, last_name,"
                " email, phone, marketing_opt_in, address1, address2, city, state,"
                " postal_code, country, title, company, company_reg_no, vat_number, website,"
                " phone_home, phone_work, phone_mobile, phone_pager, phone_fax, email2,"
                " on_account_allowed, loyalty_enabled, consent_email, consent_mail,"
                " consent_phone, notes, phone_digits, created_at, updated_at) VALUES (:id,"
                " :code, :key, :first, :last, :email, '', 0, '1 rue de la Paix', '', :city,"
                " '', '69001', 'France', '', '', '', '', '', '', '', '', '', '', '', 0, 1, 0,"
                " 0, 0, '', :digits, '2019-05-01 10:00:00', '2019-05-01 10:00:00')"
            ),
            rows,
        )


def old_store(path: Path, customers: int) -> None:
    engine = build_engine(path)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
    upgrade(engine, KNOWN_REVISIONS[0])
    fill(engine, customers)
    engine.dispose()


#: run in a fresh process, as a register starts: the ORM is loaded, then the timed opens
AT_HEAD = """
import statistics, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from tillterm.store.engine import open_db
path, runs = sys.argv[1], int(sys.argv[2])
first = time.perf_counter()
open_db(path).dispose()
first = time.perf_counter() - first
times = []
for _ in range(runs):
    started = time.perf_counter()
    open_db(path).dispose()
    times.append(time.perf_counter() - started)
statements = []
event.listen(Engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
open_db(path).dispose()
print(first, statistics.median(times), len(statements), "alembic" in sys.modules)
"""


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory() as tmp:
        head = Path(tmp) / "head.db"
        open_db(head).dispose()
        out = subprocess.run(
            [sys.executable, "-c", AT_HEAD, str(head), str(RUNS)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        first, median, statements, alembic = float(out[0]), float(out[1]), out[2], out[3]
        print(
            f"open_db at head, fresh process: first {first * 1000:.1f} ms, then median "
            f"{median * 1000:.1f} ms; {statements} SQL statements; "
            f"Alembic imported: {alembic}"
        )

        old = Path(tmp) / "old.db"
        old_store(old, CUSTOMERS)
        if "--keep" in argv:
            keep = Path(argv[argv.index("--keep") + 1])
            shutil.copyfile(old, keep)
            print(f"old store ({CUSTOMERS} customers, {KNOWN_REVISIONS[0]}) kept at {keep}")
        started = time.perf_counter()
        open_db(old).dispose()
        took = time.perf_counter() - started
        print(f"upgrade of a {CUSTOMERS}-customer store from {KNOWN_REVISIONS[0]}: {took:.2f} s")


if __name__ == "__main__":
    main()
