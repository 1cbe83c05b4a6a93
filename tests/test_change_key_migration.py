"""``0006_completion_key``: a store at ``0004_sale_history`` keeps its sales, its open
sale and its receipt numbers, and its changes carry their idempotency key afterwards."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.services.till import Till
from tillterm.store.engine import build_engine, open_db, upgrade
from tillterm.store.migrations import HEAD_REVISION

WHEN = "2025-03-01 10:00:00.000000"


def _store_at_0004(engine: Engine) -> None:
    """Sales as tillterm 0004 left them: a completed one (R0000007) and an open one."""
    upgrade(engine, "0004_sale_history")
    with engine.begin() as conn:
        conn.execute(text("UPDATE receipt_counter SET last_no = 7"))
        conn.execute(
            text(
                "INSERT INTO sale (id, register_name, state, kind, receipt_no, subtotal_cents,"
                " discount_cents, tax_cents, total_cents, note, created_at, updated_at,"
                " completed_at, receipt_text, receipt_filed_at) VALUES"
                " (1, 'till-1', 'completed', 'sale', 'R0000007', 450, 0, 0, 450, '',"
                " :at, :at, :at, 'the receipt', :at),"
                " (2, 'till-1', 'open', 'sale', NULL, 450, 0, 0, 450, '', :at, :at, NULL,"
                " NULL, NULL)"
            ),
            {"at": WHEN},
        )
        for sale_id in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO sale_line (sale_id, position, description, quantity,"
                    " unit_price_cents, discount_cents, tax_cents, total_cents) VALUES"
                    " (:sale, 1, 'Old coffee', 1, 450, 0, 0, 450)"
                ),
                {"sale": sale_id},
            )
        conn.execute(
            text(
                "INSERT INTO payment (sale_id, method, amount_cents, tendered_cents, change_cents,"
                " loyalty_points, created_at) VALUES (1, 'cash', 450, 500, 50, 0, :at)"
            ),
            {"at": WHEN},
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "till.db")
    url: str = request.getfixturevalue("pg_url")
    return url


def test_a_store_at_0004_keeps_its_sales_and_carries_on(
    old_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    old = build_engine(old_store)
    _store_at_0004(old)
    old.dispose()

    engine = open_db(old_store)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
            rows = conn.execute(
                text("SELECT id, state, receipt_no, change_key FROM sale ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, "completed", "R0000007", None),
            (2, "open", None, None),
        ]
        till = Till(lambda: engine, "till-1", tmp_path / "receipts")
        started = till.start_up("till-1")
        assert started.sale is not None and started.sale.id == 2
        assert [line.description for line in started.sale.lines] == ["Old coffee"]
        till.add_misc_item(D("1.50"), "bag")
        till.pay(sales.CARD, None)
        done = till.finish()
        assert done.sale.id == 2 and done.sale.receipt_no == "R0000008"
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT id, change_key FROM sale ORDER BY id")).all()
            old_receipt = conn.execute(text("SELECT receipt_text FROM sale WHERE id = 1"))
            assert old_receipt.scalar() == "the receipt"
        assert keys[0][1] is None  # the old sale was not touched
        assert keys[1][1] is not None and len(keys[1][1]) == 32  # its completion's key
    finally:
        engine.dispose()
