"""SVG snapshots of the back office at 80×24, on the fixed store of screens_data.

Regenerate after a deliberate change with ``pytest --snapshot-update`` and look at the
result (``tests/__snapshots__``) before committing it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from screens_data import seed_store, snapshot_keys

from tillterm.store.engine import open_db
from tillterm.ui.app import TilltermApp

SnapCompare = Callable[..., bool]


def _snap(snap_compare: SnapCompare, tmp_path: Path, *keys: str) -> bool:
    engine = open_db(tmp_path / "snap.db")
    seed_store(engine)
    app = TilltermApp(engine, register="till-1", scanner=False)
    try:
        return snap_compare(app, terminal_size=(80, 24), run_before=snapshot_keys(*keys))
    finally:
        engine.dispose()


def test_back_office_hub(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11")


def test_store_form(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "1")


def test_tax_rates_list(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert _snap(snap_compare, tmp_path, "f11", "2")
