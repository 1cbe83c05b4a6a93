"""Bad input never breaks the importer: a clear message or a clean report, nothing partial."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tillterm.core.errors import TilltermError
from tillterm.spreadsheet.importing import apply_import, check_import
from tillterm.store.engine import open_db
from tillterm.store.models import Customer

GOOD = (
    b"customer_code,first_name,last_name,email,birth_date,notes\r\n"
    b'A-1,Marie,Dubois,marie@example.org,25/12/1980,"deux\r\nlignes"\r\n'
    b"A-2,Jean,Martin,jean@example.org,1975-03-04,\r\n"
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def _attempt(engine: Engine, path: Path, data: bytes) -> None:
    path.write_bytes(data)
    before = _count(engine)
    try:
        report = check_import(engine, path)
    except TilltermError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        assert _count(engine) == before
        return
    assert report.rows >= 0
    try:
        result = apply_import(engine, report, allow_warnings=True)
    except TilltermError:
        assert _count(engine) == before  # blocked: nothing partial
        return
    assert _count(engine) == before + result.created


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    engine = open_db(tmp_path / "fuzz.db")
    _attempt(engine, tmp_path / "random.csv", data)
    _attempt(engine, tmp_path / "random.xlsx", data)
    engine.dispose()


@SETTINGS
@given(cut=st.integers(0, len(GOOD)), encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_truncated_and_wrongly_encoded(tmp_path: Path, cut: int, encoding: str) -> None:
    engine = open_db(tmp_path / "fuzz.db")
    data = GOOD.decode().encode(encoding)[:cut] if encoding != "utf-8" else GOOD[:cut]
    _attempt(engine, tmp_path / "cut.csv", data)
    engine.dispose()


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_cells(tmp_path: Path, text: str) -> None:
    engine = open_db(tmp_path / "fuzz.db")
    quoted = '"' + text.replace('"', '""') + '"'
    header = "customer_code,first_name,email,birth_date,discount_percent,tags"
    data = f"{header}\nX," + ",".join([quoted] * 5) + "\n"
    _attempt(engine, tmp_path / "cells.csv", data.encode("utf-8", errors="surrogatepass"))
    engine.dispose()


def test_huge_cell_and_ten_thousand_columns(engine: Engine, tmp_path: Path) -> None:
    _attempt(engine, tmp_path / "huge.csv", b"first_name,notes\nA," + b"x" * 3_000_000 + b"\n")
    header = ",".join(["first_name", *(f"col{i}" for i in range(10_000))])
    row = ",".join(["Ann", *("v" for _ in range(10_000))])
    _attempt(engine, tmp_path / "wide.csv", f"{header}\n{row}\n".encode())
    assert _count(engine) == 1  # the huge notes were an error; the wide file imported


def test_empty_and_header_only(engine: Engine, tmp_path: Path) -> None:
    for data in (b"", b"\n", b"first_name,email\n", b"\xef\xbb\xbf", b"first_name"):
        _attempt(engine, tmp_path / "e.csv", data)
    assert _count(engine) == 0
