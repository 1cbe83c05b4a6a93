"""An upgrade killed at any statement leaves the old schema or the new one, never a mix.

A real store at the first schema (``0001_initial``, thousands of customers, sales, tags,
custom fields, all written with plain SQL) is upgraded in a child process that sends
itself a signal just before its N-th SQL statement (``killed_open.py``: the hook lives
in the test, not in the product), for every N of the whole upgrade, and before its
COMMIT. So is the first creation of a new database. After each death the database must
pass ``PRAGMA integrity_check``, be on the old or the new schema with every row, and
then open normally.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from tillterm.store.engine import build_engine, open_db, upgrade
from tillterm.store.migrations import HEAD_REVISION, KNOWN_REVISIONS

HERE = Path(__file__).parent
HELPER = HERE / "killed_open.py"
FIRST = KNOWN_REVISIONS[0]
CUSTOMERS = 3000
#: the first schema's customer columns: what every later revision must keep as it was
#: (not ``phone_digits``: the words phone search reads, which 0017 computes again)
CUSTOMER_COLUMNS = (
    "id, customer_code, code_key, first_name, last_name, email, phone, group_id, city, "
    "postal_code, country, birth_date, company, notes, created_at, archived_at"
)
COUNTED = (
    "customer",
    "customer_group",
    "tag",
    "customer_tag",
    "custom_field",
    "custom_field_value",
    "product",
    "sale",
    "sale_line",
    "payment",
)


def fill_first_schema(conn: Connection) -> None:
    """A small store at the first schema, written the way 0001's tables expect it."""
    conn.execute(
        text(
            "INSERT INTO customer_group (id, name, name_key, description, created_at) "
            "VALUES (1, 'VIP', 'vip', '', '2020-01-01 09:00:00')"
        )
    )
    conn.execute(text("INSERT INTO tag (id, name, name_key) VALUES (1, 'Bio', 'bio')"))
    conn.execute(
        text(
            "INSERT INTO custom_field (id, name, name_key, field_type, choices, position) "
            "VALUES (1, 'Shoe size', 'shoe size', 'text', '', 0)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO product (id, sku, barcode, name, price_cents, active) "
            "VALUES (1, 'BREAD', '3000000000014', 'Pain', 250, :yes)"
        ),
        {"yes": True},
    )
    rows = [
        {
            "id": i,
            "code": f"C{i:06d}",
            "key": f"c{i:06d}",
            "first": f"Zoé{i}",
            "last": f"Noël{i % 97}",
            "email": f"c{i}@example.fr",
            "group": 1 if i % 10 == 0 else None,
            "city": "Lyon" if i % 2 else "Genève",
            "notes": f"since {2000 + i % 25}",
            "digits": f"06{i:08d}",
            "created": f"2019-05-{1 + i % 28:02d} 10:00:00.000000",
        }
        for i in range(1, CUSTOMERS + 1)
    ]
    conn.execute(
        text(
            "INSERT INTO customer (id, customer_code, code_key, first_name, last_name, email,"
            " phone, group_id, marketing_opt_in, address1, address2, city, state, postal_code,"
            " country, title, company, company_reg_no, vat_number, website, phone_home,"
            " phone_work, phone_mobile, phone_pager, phone_fax, email2, on_account_allowed,"
            " loyalty_enabled, consent_email, consent_mail, consent_phone, notes,"
            " phone_digits, created_at, updated_at) VALUES (:id, :code, :key, :first, :last,"
            " :email, '', :group, false, '', '', :city, '', '69001', 'France', '', '', '', '',"
            " '', '', '', '', '', '', '', false, true, false, false, false, :notes, :digits,"
            " :created, :created)"
        ),
        rows,
    )
    conn.execute(
        text("INSERT INTO customer_tag (customer_id, tag_id) VALUES (:id, 1)"),
        [{"id": i} for i in range(1, CUSTOMERS + 1, 3)],
    )
    conn.execute(
        text("INSERT INTO custom_field_value (customer_id, field_id, value) VALUES (:id, 1, :v)"),
        [{"id": i, "v": str(36 + i % 10)} for i in range(1, CUSTOMERS + 1, 2)],
    )
    sales = [
        {"id": i, "customer": 1 + i * 7 % CUSTOMERS, "receipt": f"R{i:05d}", "total": 250 * i}
        for i in range(1, 301)
    ]
    conn.execute(
        text(
            "INSERT INTO sale (id, register_name, state, kind, customer_id, receipt_no,"
            " subtotal_cents, discount_cents, tax_cents, total_cents, note, created_at,"
            " updated_at, completed_at) VALUES (:id, 'till', 'completed', 'sale', :customer,"
            " :receipt, :total, 0, 0, :total, '', '2020-02-02 12:00:00', '2020-02-02 12:00:00',"
            " '2020-02-02 12:00:00')"
        ),
        sales,
    )
    conn.execute(
        text(
            "INSERT INTO sale_line (sale_id, position, product_id, description, quantity,"
            " unit_price_cents, discount_cents, tax_cents, total_cents) VALUES"
            " (:id, 0, 1, 'Pain', :id, 250, 0, 0, :total)"
        ),
        sales,
    )
    conn.execute(
        text(
            "INSERT INTO payment (sale_id, method, amount_cents, change_cents, loyalty_points,"
            " created_at) VALUES (:id, 'cash', :total, 0, 0, '2020-02-02 12:00:00')"
        ),
        sales,
    )


def fingerprint(conn: Connection) -> dict[str, object]:
    """Row counts, a checksum of the customers' first-schema columns, money totals."""
    counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in COUNTED}
    digest = hashlib.sha256()
    for row in conn.execute(text(f"SELECT {CUSTOMER_COLUMNS} FROM customer ORDER BY id")):
        digest.update(repr(tuple(str(v) for v in row)).encode())
    money = conn.execute(
        text("SELECT sum(total_cents) FROM sale UNION ALL SELECT sum(amount_cents) FROM payment")
    ).scalars()
    return {"counts": counts, "customers": digest.hexdigest(), "money": list(money)}


@pytest.fixture(scope="module")
def old_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A store at the first schema, in WAL like every store tillterm made (one file)."""
    path = tmp_path_factory.mktemp("old") / "old.db"
    engine = build_engine(path)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")
    upgrade(engine, FIRST)
    with engine.begin() as conn:
        fill_first_schema(conn)
    with engine.connect() as conn:
        before = fingerprint(conn)
    engine.dispose()
    assert not Path(f"{path}-wal").exists()  # checkpointed: the copy is the whole store
    return path, before


def statements(target: str) -> int:
    """How many statements a normal, uninterrupted open of ``target`` runs."""
    out = subprocess.run(
        [sys.executable, str(HELPER), target, "0", "KILL"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def kill_batch(template: Path, workdir: Path, signame: str, points: list[str]) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, str(HELPER), "--batch", str(template), str(workdir), signame, *points],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split() for line in out.stdout.splitlines())


def raw_state(path: Path) -> tuple[str | None, int, str]:
    """(revision, schema objects, integrity) read with plain sqlite3, as found on disk."""
    with sqlite3.connect(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        has_version = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
        ).fetchone()
        revision = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            if has_version
            else None
        )
    conn.close()
    return revision, objects, integrity


def objects_at(path: Path) -> int:
    return raw_state(path)[1]


@pytest.fixture(scope="module")
def head_objects(tmp_path_factory: pytest.TempPathFactory) -> int:
    path = tmp_path_factory.mktemp("head") / "head.db"
    open_db(path).dispose()
    return objects_at(path)


def check_opens_with_everything(path: Path, before: dict[str, object] | None) -> None:
    engine = open_db(path)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
            if before is not None:
                assert fingerprint(conn) == before
                # the search index was filled by the upgrade that finally went through
                found = conn.exec_driver_sql(
                    "SELECT count(*) FROM search_name WHERE search_name MATCH 'Zoé1*'"
                ).scalar()
                assert found == 1 + 10 + 100 + 1000
    finally:
        engine.dispose()


def test_upgrade_killed_at_every_statement_leaves_old_or_new_schema(
    old_store: tuple[Path, dict[str, object]], tmp_path: Path, head_objects: int
) -> None:
    template, before = old_store
    old_objects = objects_at(template)
    probe = tmp_path / "probe.db"
    probe.write_bytes(template.read_bytes())
    total = statements(str(probe))
    assert total > 20  # the whole upgrade (0002's DDL and fill, 0003), not just the checks
    points = [str(n) for n in range(1, total + 1)] + ["commit"]
    outcomes = kill_batch(template, tmp_path, "KILL", points)
    assert set(outcomes.values()) == {"killed"}, outcomes
    for point in points:
        path = tmp_path / f"{point}.db"
        revision, objects, integrity = raw_state(path)
        assert integrity == "ok", point
        assert (revision, objects) in ((FIRST, old_objects), (HEAD_REVISION, head_objects)), (
            point,
            revision,
            objects,
        )
        with sqlite3.connect(path) as raw:  # every row still there, whichever schema
            assert raw.execute("SELECT count(*) FROM customer").fetchone()[0] == CUSTOMERS
        raw.close()
        check_opens_with_everything(path, before)


@pytest.mark.parametrize("signame", ["TERM", "HUP"])
def test_upgrade_terminated_or_hung_up_halfway_is_rolled_back(
    old_store: tuple[Path, dict[str, object]], tmp_path: Path, signame: str
) -> None:
    template, before = old_store
    probe = tmp_path / "probe.db"
    probe.write_bytes(template.read_bytes())
    halfway = str(statements(str(probe)) // 2)
    assert kill_batch(template, tmp_path, signame, [halfway]) == {halfway: "killed"}
    path = tmp_path / f"{halfway}.db"
    assert raw_state(path) == (FIRST, objects_at(template), "ok")
    check_opens_with_everything(path, before)


def test_first_creation_killed_at_every_statement_leaves_empty_or_whole(
    tmp_path: Path, head_objects: int
) -> None:
    template = tmp_path / "new.db"
    template.touch(mode=0o600)  # as the CLI leaves it: an empty file, then the open
    probe = tmp_path / "probe.db"
    probe.touch()
    total = statements(str(probe))
    assert total > 40
    points = [str(n) for n in range(1, total + 1)] + ["commit"]
    outcomes = kill_batch(template, tmp_path, "KILL", points)
    assert set(outcomes.values()) == {"killed"}, outcomes
    for point in points:
        path = tmp_path / f"{point}.db"
        revision, objects, integrity = raw_state(path)
        assert integrity == "ok", point
        assert (revision, objects) in ((None, 0), (HEAD_REVISION, head_objects)), (
            point,
            revision,
            objects,
        )
        check_opens_with_everything(path, None)


# ----------------------------------------------------------------- PostgreSQL


def pg_tables(url: str) -> tuple[int, int]:
    """Relations (tables, indexes, sequences...) and functions in the target schema."""
    engine = create_engine(url)
    with engine.connect() as conn:
        relations = conn.execute(
            text(
                "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
            )
        ).scalar()
        functions = conn.execute(
            text(
                "SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
            )
        ).scalar()
    engine.dispose()
    return int(relations or 0), int(functions or 0)


def pg_revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT to_regclass(quote_ident(current_schema()) || '.alembic_version')")
        ).scalar()
        revision = (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if found
            else None
        )
    engine.dispose()
    return revision


def kill_pg(url: str, point: str, signame: str = "KILL") -> int:
    out = subprocess.run(
        [sys.executable, str(HELPER), url, point, signame], capture_output=True, text=True
    )
    return out.returncode


@pytest.fixture
def pg_old_store(pg_url: str) -> Iterator[tuple[str, dict[str, object]]]:
    engine: Engine = build_engine(pg_url)
    upgrade(engine, FIRST)
    with engine.begin() as conn:
        fill_first_schema(conn)
    with engine.connect() as conn:
        before = fingerprint(conn)
    engine.dispose()
    yield pg_url, before


def test_postgresql_upgrade_killed_midway_is_rolled_back(
    pg_old_store: tuple[str, dict[str, object]],
) -> None:
    url, before = pg_old_store
    tables = pg_tables(url)
    # the checks, the lock, 0002's functions and indexes, 0003, then the COMMIT
    for point, signame in [("4", "KILL"), ("8", "KILL"), ("12", "TERM"), ("14", "HUP")]:
        assert kill_pg(url, point, signame) < 0, point
        assert pg_revision(url) == FIRST, point
        assert pg_tables(url) == tables, point
    assert kill_pg(url, "commit") < 0
    assert pg_revision(url) == FIRST
    engine = open_db(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            HEAD_REVISION
        )
        assert fingerprint(conn) == before
    engine.dispose()


def test_postgresql_first_creation_killed_midway_leaves_the_schema_empty(pg_url: str) -> None:
    for point in ["3", "20", "40", "commit"]:
        assert kill_pg(pg_url, point) == -9, point
        assert pg_tables(pg_url) == (0, 0), point
    open_db(pg_url).dispose()
    assert pg_revision(pg_url) == HEAD_REVISION
