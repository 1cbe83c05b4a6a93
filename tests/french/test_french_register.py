"""The register side in French, at 80×24: a whole sale, the help, a void, the footers,
and pictures of the screens a cashier sees most (``TILLTERM_LANG=fr pytest tests/french``).

The keys are the English run's (F9, F10, F12, N): only the words change. Amounts read
``22,41 €`` in the panels and ``22,41`` in the columns; the sale is checked in the
database, not only on screen.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Drive, wait_until
from sales_store import Store, build_store
from screens_data import settle
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static
from textual.widgets._footer import FooterKey

from tillterm import sales
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale
from tillterm.ui.app import TilltermApp
from tillterm.ui.messages import ScanReceived
from tillterm.ui.screens.confirm import KeyConfirmScreen
from tillterm.ui.screens.drawer import DrawerScreen
from tillterm.ui.screens.help import HelpScreen
from tillterm.ui.screens.payment import PaymentScreen
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.recent_sales import RecentSalesScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.customer_panel import CustomerPanel
from tillterm.ui.widgets.sale_lines import SaleLines
from tillterm.ui.widgets.sale_totals import SaleTotals

NBSP = "\u00a0"
SnapCompare = Callable[..., bool]


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


def _text(app: TilltermApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _status(app: TilltermApp) -> str:
    return _text(app, "#register-status")


def _rows(app: TilltermApp) -> list[list[str]]:
    table = app.screen.query_one("#sale-lines", SaleLines)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def test_a_whole_sale_in_french(engine: Engine, store: Store, drive: Drive) -> None:
    """Type a code, attach a customer by name, pay cash, complete: French all the way."""
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        scan = app.screen.query_one("#scan-input", Input)
        assert scan.placeholder.startswith("Scanner ou saisir code, réf., nom")
        assert "Scannez un article pour commencer." in str(
            app.screen.query_one(SaleTotals).render()
        )
        assert app.screen.query_one("#sale-lines", SaleLines).border_title == "Nouvelle vente"

        await _type(pilot, "PEN-1")
        await pilot.press("enter")
        await settle(pilot)
        assert _rows(app) == [["Stylo plume", "1", "24,90", "", "24,90"]]
        totals = str(app.screen.query_one(SaleTotals).render())
        assert "Sous-total" in totals and f"24,90{NBSP}€" in totals

        await pilot.press("f7")
        await _type(pilot, "Dubois")
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: "Marie Dubois" in str(app.screen.query_one(CustomerPanel).render()),
            "Marie Dubois on the sale",
        )
        panel = str(app.screen.query_one(CustomerPanel).render())
        assert f"Groupe{NBSP}: VIP" in panel
        assert f"Remise{NBSP}: 10{NBSP}% (groupe)" in panel
        assert "Fidélité" in panel
        assert "Client associé à la vente." in _status(app)
        totals = str(app.screen.query_one(SaleTotals).render())
        assert re.search(f"TOTAL +22,41{NBSP}€", totals), totals
        assert "Remise" in totals and "-2,49" in totals

        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert _text(app, "#payment-title") == "Paiement"
        assert re.search(f"Total +22,41{NBSP}€", _text(app, "#payment-summary"))
        assert "Reste dû" in _text(app, "#payment-summary")
        assert "F3 carte" in _text(app, "#payment-keys")
        await _type(pilot, "30")
        await pilot.press("enter")
        await settle(pilot)
        summary = _text(app, "#payment-summary")
        assert "(reçu 30,00)" in summary and "RENDU" in summary and "7,59" in summary
        assert "Payé en totalité — F10 pour valider." in _text(app, "#payment-note")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        status = _status(app)
        assert status.startswith("Vente ") and "validée. Rendu 7,59." in status, status

    with session_scope(engine) as s:
        done = s.exec(select(Sale).where(Sale.state == "completed")).one()
        assert done.customer_id == store.marie
        assert done.receipt_no and done.receipt_no in status


async def test_the_help_is_in_french(engine: Engine, store: Store, drive: Drive) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(str(w.render()) for w in app.screen.query(Static))
        for words in (
            "Touches",
            "Partout",
            "Aide",
            "Quitter",
            "Caisse",
            "Payer",
            "Valider",
            "Annuler la vente",
            "Réimprimer le dernier ticket",
            "Saisi dans le champ de scan, puis Enter",
            f"remise de 10{NBSP}% sur la vente",
        ):
            assert words in shown, words
        assert str(app.screen.query_one("#help-close", Button).label) == "Fermer (Esc)"
        # the keys are the English run's
        assert "F9" in shown and "Ctrl+D" in shown and "F12" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)


async def test_a_void_is_asked_in_french_and_answered_with_the_same_keys(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        sale_id = app.screen.sale.id  # type: ignore[attr-defined]
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, KeyConfirmScreen)
        assert _text(app, "#confirm-title") == f"Annuler cette vente{NBSP}?"
        question = _text(app, "#confirm-message")
        assert f"Annuler la vente {sale_id} (1 article, 24,90{NBSP}€){NBSP}?" in question
        assert f"F12 l’annule{NBSP}; N ou Échap la garde." in question
        buttons = [str(b.label) for b in app.screen.query("Button")]
        assert buttons == ["Annuler la vente (F12)", "Garder (N/Esc)"]
        await pilot.press("n")  # N keeps it, as in English
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert _status(app) == f"Vente {sale_id} conservée."
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, KeyConfirmScreen)
        await pilot.press("f12")  # F12 voids, as in English
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert _rows(app) == []
        assert app.screen.query_one("#sale-lines", SaleLines).border_title == "Nouvelle vente"

    with session_scope(engine) as s:
        assert s.get(Sale, sale_id).state == "voided"  # type: ignore[union-attr]
        assert sales.find_open_sale(s, "till-1") is None


# ----------------------------------------------------------------- footers


def _footer(app: TilltermApp) -> list[tuple[str, int, int]]:
    return [
        (key.key, key.region.x, key.region.right)
        for key in app.screen.query(FooterKey)
        if key.display and key.region.width
    ]


def _whole(app: TilltermApp) -> list[str]:
    """The keys the footer shows whole (none may be cut at the edge)."""
    shown = _footer(app)
    assert shown, "no footer"
    cut = [k for k, left, right in shown if left < 80 < right]
    assert cut == [], f"cut off at 80 columns: {cut}"
    return [k for k, left, _right in shown if left < 80]


@pytest.mark.parametrize(
    ("key", "other_screens"),
    [
        ("f3", ["f2", "f4", "f5"]),
        ("f4", ["f2", "f3", "f5"]),
        ("f5", ["f2", "f3", "f4"]),
        ("f11", ["f2", "f3"]),
        ("f2", []),
    ],
)
async def test_every_footer_key_is_whole_at_80_columns_in_french(
    engine: Engine, drive: Drive, key: str, other_screens: list[str]
) -> None:
    """The French twin of ``tests/test_footer_fits.py``."""
    async with drive() as (app, pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        keys = _whole(app)
        assert key not in keys
        assert all(other in keys for other in other_screens), keys
        assert "f1" in keys


async def test_the_register_and_its_windows_show_their_keys_whole_in_french(
    engine: Engine, store: Store, drive: Drive
) -> None:
    async with drive(register="till-1") as (app, pilot):
        await settle(pilot)
        keys = _whole(app)
        for own in ("f6", "f7", "f8", "f9", "f10", "ctrl+d", "f1"):
            assert own in keys, keys
        app.post_message(ScanReceived("3000000000024"))
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        keys = _whole(app)
        for own in ("f2", "f3", "f4", "f5", "ctrl+d", "f10", "escape"):
            assert own in keys, keys
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, DrawerScreen)
        keys = _whole(app)
        for own in ("f6", "f7", "f8", "f9", "f10", "ctrl+l", "escape"):
            assert own in keys, keys
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, RecentSalesScreen)
        keys = _whole(app)
        for own in ("f6", "f7", "f10", "escape"):
            assert own in keys, keys


# ----------------------------------------------------------------- pictures


def _prepared_app(engine: Engine) -> TilltermApp:
    with session_scope(engine) as s:
        for code in ("3000000000024", "3000000000017", "3000000000017", "2900000000017"):
            sales.scan_code(s, "till-1", code)
    return TilltermApp(engine, register="till-1", scanner=False)


def _before(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.sub_title = "till-1 · till.db"
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor makes flaky pictures
            field.cursor_blink = False
        await pilot.pause()

    return before


def test_snapshot_register_with_a_sale_in_french(
    engine: Engine, store: Store, snap_compare: SnapCompare
) -> None:
    app = _prepared_app(engine)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before())


def test_snapshot_payment_in_french(
    engine: Engine, store: Store, snap_compare: SnapCompare
) -> None:
    app = _prepared_app(engine)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before("f9", "2", "0", "f3"))


def test_snapshot_help_in_french(engine: Engine, store: Store, snap_compare: SnapCompare) -> None:
    app = _prepared_app(engine)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before("f1"))


def test_snapshot_drawer_in_french(
    engine: Engine, store: Store, snap_compare: SnapCompare, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The X report on show says when it was read: the picture keeps one fixed moment."""
    show = DrawerScreen._show_report

    def at_a_fixed_moment(screen: DrawerScreen, text: str) -> None:
        text = re.sub(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", "30/11/2026", text)
        show(screen, re.sub(r"\b\d{2}:\d{2}\b", "09:00", text))

    monkeypatch.setattr(DrawerScreen, "_show_report", at_a_fixed_moment)
    app = _prepared_app(engine)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before("ctrl+g"))
