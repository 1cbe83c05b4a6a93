"""The register's sale lifecycle at 80×24 (issue 11 §4–§6): a register name held by
another session, receipts repaired and the last sale named after a restart, and a void
that asks first and says what to give back."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Drive
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy import select
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import sales
from tillterm.sales import claim_register
from tillterm.store.engine import session_scope
from tillterm.store.models import Payment, Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import KeyConfirmScreen, KeyPromptScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.sale_lines import SaleLines

PEN = "PEN-1"


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#register-status", Static).render())


def _row_count(app: TilltermApp) -> int:
    return app.screen.query_one("#sale-lines", SaleLines).row_count


async def test_void_asks_and_says_what_to_give_back(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived(PEN))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("1", "0", "enter")  # 10.00 in cash, 14.90 still due
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        with session_scope(engine) as s:
            sale_id = sales.ensure_open_sale(s, "till-1")
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, KeyConfirmScreen)
        assert "give back 10.00 EUR in cash" in app.screen.message
        # a scanner's keys (characters, Tab, Enter) never confirm: Enter keeps the sale
        await pilot.press("y", "tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen) and _row_count(app) == 1
        assert f"Sale {sale_id} kept" in _status(app)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, KeyConfirmScreen)
        app.post_message(ScanReceived(PEN))  # a scan while the question is up: ignored
        await settle(pilot)
        assert isinstance(app.screen, KeyConfirmScreen)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen) and _row_count(app) == 0
        assert "Give back 10.00 EUR in cash" in _status(app)
    with session_scope(engine) as s:
        assert s.get(Sale, sale_id).state == "voided"  # type: ignore[union-attr]
        kept = s.execute(select(Payment.amount_cents).where(Payment.sale_id == sale_id)).all()
    assert [k[0] for k in kept] == [1000]  # the day's payments still count it


async def test_a_register_name_in_use_is_refused_at_start(
    engine: Engine, store: Store, drive: Drive
) -> None:
    other_session = claim_register(engine, "till-1")
    assert other_session is not None
    try:
        async with drive(register="till-1") as (app, pilot):
            await settle(pilot)
            assert isinstance(app.screen, KeyPromptScreen)
            assert "already open in another session" in app.screen.message
            field = app.screen.query_one("#prompt-input")
            field.value = ""  # type: ignore[attr-defined]
            await pilot.press(*"till-9", "enter")  # Enter (a scanner's) answers nothing
            await settle(pilot)
            assert isinstance(app.screen, KeyPromptScreen)
            await pilot.press("f10")
            await settle(pilot)
            assert isinstance(app.screen, RegisterScreen)
            assert app.register_name == "till-9" and "till-9" in app.sub_title
            assert "register till-9" in _status(app)
            app.post_message(ScanReceived(PEN))
            await settle(pilot)
        with session_scope(engine) as s:
            names = s.execute(select(Sale.register_name)).scalars().all()
        assert names == ["till-9"]
        # the app let till-9 go when it closed
        again = claim_register(engine, "till-9")
        assert again is not None
        again.release()
    finally:
        other_session.release()


async def test_esc_on_a_register_name_in_use_quits(
    engine: Engine, store: Store, drive: Drive
) -> None:
    other_session = claim_register(engine, "till-1")
    try:
        async with drive(register="till-1") as (app, pilot):
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
        assert app.return_code == 1 and "--register" in (app.startup_error or "")
    finally:
        assert other_session is not None
        other_session.release()


async def test_restart_writes_a_lost_receipt_and_names_the_last_sale(
    engine: Engine, store: Store, drive: Drive, tmp_path: Path
) -> None:
    # the sale committed, then the till died before the receipt file was written
    with session_scope(engine) as s:
        sales.scan_code(s, "till-1", PEN)
        sale_id = sales.ensure_open_sale(s, "till-1")
        sales.add_payment(s, sale_id, "card")
    with session_scope(engine) as s:
        done = sales.complete_sale(s, sale_id)
    assert not list((tmp_path / "receipts").glob("*/*.txt"))
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        status = _status(app)
        assert "Last sale R0000001 completed" in status and "saved again" in status
    files = list((tmp_path / "receipts").glob("*/R0000001.txt"))
    assert len(files) == 1 and files[0].read_text(encoding="utf-8") == done.receipt_text
    async with drive(register="till-1") as (app, pilot):  # once only
        await settle(pilot)
        assert "Last sale R0000001 completed" in _status(app)
        assert "saved again" not in _status(app)
