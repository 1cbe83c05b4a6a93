"""The CSV stopgap export writes exactly what the Customers screen lists."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from screens_data import Store, seed_store
from sqlalchemy.engine import Engine

from tillterm.customer_export import ExportFailed, export_customers_csv
from tillterm.db import session_scope


def test_export_filtered_view(any_engine: Engine, tmp_path: Path) -> None:
    store: Store = seed_store(any_engine)
    target = tmp_path / "b2b.csv"
    with session_scope(any_engine) as session:
        count = export_customers_csv(session, target, "", {"tags_all": ["b2b"]})
    assert count == 2
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["last_name"] for r in rows) == ["Leroy", "Martin"]
    sophie = next(r for r in rows if r["last_name"] == "Leroy")
    assert sophie["group_name"] == "Wholesale" and sophie["on_account_allowed"] == "yes"
    assert sophie["customer_code"] == "2900000000031"
    assert store.sophie


def test_export_refuses_a_missing_folder(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session, pytest.raises(ExportFailed, match="does not exist"):
        export_customers_csv(session, tmp_path / "nope" / "x.csv")
    assert not (tmp_path / "nope").exists()
