"""A small, fixed store for the customer screens' Pilot and snapshot tests.

Everything a screen shows is pinned: creation dates and sales are set to fixed moments
(in 2024–2025, so "year to date" stays 0.00 from 2026 on), so SVG snapshots do not move
with the clock. Customers go in through the core API, as a person would create them;
only the dates and sales (owned by other parts of the app) are written directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conftest import POLL_S, WAIT_TIMEOUT_S, app_state
from sqlalchemy import update
from sqlalchemy.engine import Engine
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerCancelled

from tillterm.catalog.settings import ensure_tax_rate, update_settings
from tillterm.customers.consents import CONSENTS
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import create_customer
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, LoyaltyEntry, Sale


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Store:
    marie: int
    jean: int
    sophie: int
    elodie: int
    paul: int
    vip: int
    wholesale: int
    student: int


CUSTOMERS = [
    (
        "marie",
        "2025-03-14",
        {
            "first_name": "Marie",
            "last_name": "Dubois",
            "email": "marie.dubois@example.org",
            "phone": "06 12 34 56 78",
            "group": "VIP",
            "customer_code": "2900000000017",
            "address1": "12 rue de la République",
            "postal_code": "75011",
            "city": "Paris",
            "country": "France",
            "loyalty_enabled": True,
            "marketing_opt_in": True,
            "tags": "bio, newsletter",
        },
    ),
    (
        "jean",
        "2025-06-01",
        {
            "first_name": "Jean",
            "last_name": "Martin",
            "email": "jean.martin@example.org",
            "phone": "01 23 45 67 89",
            "customer_code": "2900000000024",
            "city": "Lyon",
            "tags": "b2b",
        },
    ),
    (
        "sophie",
        "2025-09-10",
        {
            "first_name": "Sophie",
            "last_name": "Leroy",
            "company": "Boulangerie Leroy",
            "email": "contact@boulangerie-leroy.example",
            "phone": "04 11 22 33 44",
            "group": "Wholesale",
            "customer_code": "2900000000031",
            "on_account_allowed": True,
            "balance_limit": "500",
            "tags": "b2b, bio",
        },
    ),
    (
        "elodie",
        "2026-01-05",
        {
            "first_name": "Élodie",
            "last_name": "Bernard",
            "email": "elodie.bernard@example.org",
            "phone": "07 98 76 54 32",
            "group": "Student",
            "customer_code": "2900000000048",
            "discount_percent": "5",
        },
    ),
    (
        "paul",
        "2024-11-20",
        {
            "first_name": "Paul",
            "last_name": "Durand",
            "phone": "05 55 44 33 22",
            "customer_code": "2900000000055",
        },
    ),
]


def seed_store(engine: Engine) -> Store:
    """Three groups, five customers, two past sales and some loyalty points for Marie."""
    with session_scope(engine) as session:
        standard = ensure_tax_rate(session, "Standard 20 %", Decimal(20))
        exempt = ensure_tax_rate(session, "Tax exempt", Decimal(0))
        update_settings(session, name="Test shop", currency="EUR", default_tax_rate_id=standard.id)
        vip = create_group(session, "VIP", "Best customers", discount_percent=Decimal(10))
        wholesale = create_group(
            session, "Wholesale", "Trade accounts", Decimal(15), tax_rate_id=exempt.id
        )
        student = create_group(session, "Student", "Students with a card", Decimal(5))
    ids: dict[str, int] = {}
    for key, day, data in CUSTOMERS:
        with session_scope(engine) as session:
            record = create_customer(session, data)
            # the consents given on the form are dated the day they joined, like the rest
            given = {
                f"{name}_at": at(day)
                for name in CONSENTS
                if getattr(record, f"{name}_at") is not None
            }
            session.execute(
                update(Customer)
                .where(Customer.id == record.id)  # type: ignore[arg-type]
                .values(created_at=at(day), updated_at=at(day), **given)
            )
            ids[key] = record.id
    with session_scope(engine) as session:
        for n, (day, cents) in enumerate([("2025-04-02", 4250), ("2025-07-19", 1890)], start=1):
            sale = Sale(
                register_name="till-1",
                state="completed",
                customer_id=ids["marie"],
                receipt_no=f"R-{n:05d}",
                subtotal_cents=cents,
                total_cents=cents,
                created_at=at(day),
                updated_at=at(day),
                completed_at=at(day),
            )
            session.add(sale)
            session.flush()
            session.add(
                LoyaltyEntry(
                    customer_id=ids["marie"],
                    sale_id=sale.id,
                    points=cents // 100,
                    reason="sale",
                    created_at=at(day),
                )
            )
    return Store(vip=vip.id, wholesale=wholesale.id, student=student.id, **ids)


#: rounds of "wait for the workers, handle their messages" before settle gives up loudly
SETTLE_ROUNDS = 20


async def settle(pilot: Pilot[object]) -> None:
    """Let every worker finish and every message they post be handled."""
    app = pilot.app
    for _ in range(SETTLE_ROUNDS):
        # an exclusive worker replaced by a newer one (a list reloaded twice) is finished
        # too, and the loop waits for the one that replaced it
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await _keys_handed_on(pilot)
        await pilot.pause()
        # A worker started by a handler during the pause is still PENDING, not running:
        # only stop once every worker has finished and every key typed has been handed on.
        if all(worker.is_finished for worker in app.workers) and not _keys_waiting(app):
            break
    else:
        busy = [worker.name or repr(worker) for worker in app.workers if not worker.is_finished]
        raise AssertionError(
            f"timed out waiting for the app to settle: after {SETTLE_ROUNDS} rounds "
            f"workers still start or run: {busy}"
        )
    await pilot.pause()
    await _tables_measured(pilot)


def _keys_waiting(app: App[Any]) -> bool:
    """True while a key typed is still in the app's type-ahead line or held for the
    scan gap (:mod:`tillterm.ui.typeahead`, :mod:`tillterm.ui.widgets.scan_input`).
    Never once the app is quitting: the key that quit it settles nowhere."""
    if app.return_code is not None:
        return False
    return bool(getattr(app, "keys_in_line", False) or getattr(app, "keys_held", False))


async def _keys_handed_on(pilot: Pilot[object]) -> None:
    """Wait until every key pressed has been handed on and has taken effect.

    Pilot's idle wait can end while a key still waits its turn: the type-ahead sends a
    lost settle again only after a quarter of a second, with nothing else to do
    meanwhile. An Enter pressed on a receipt that opened just then was still in line
    when a test read the screen (CI, once: the receipt still shown)."""
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while _keys_waiting(pilot.app):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"keys typed still not handed on after {WAIT_TIMEOUT_S:g} s\n"
                + app_state(pilot.app)
            )
        await asyncio.sleep(POLL_S)


async def _tables_measured(pilot: Pilot[object]) -> None:
    """Wait (a few frames at most) until every table on the screen has measured what it
    was given: a ``DataTable`` sizes its auto-width columns when it is next idle, so a
    picture taken before that showed the import mapping's columns cut to their labels'
    width (a French snapshot failed so, once, in a full run)."""
    for _ in range(SETTLE_ROUNDS):
        pending = [
            table
            for table in pilot.app.screen.query(DataTable)
            if getattr(table, "_require_update_dimensions", False)
            or getattr(table, "_updated_cells", None)
        ]
        if not pending:
            return
        await pilot.pause()


def snapshot_keys(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A snapshot's ``run_before``: the keys pressed one by one, each let settle, then the
    picture made steady (no blinking cursor, the sub-title without a temporary path)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.sub_title = "till-1 · snap.db"  # the real one names a temporary path
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            if key.isdigit():  # a digit is held a moment (a scan starts alike)
                await pilot.pause(0.3)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor makes flaky pictures
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def shown_text(app: App[object], selector: str) -> str:
    """What the ``Static`` or the :class:`TextView` (a report, a receipt) at
    ``selector`` on the current screen shows."""
    from tillterm.ui.widgets.text_view import TextView

    widget = app.screen.query_one(selector)
    if isinstance(widget, TextView):
        return widget.text
    if isinstance(widget, Static):
        return str(widget.render())
    raise TypeError(f"{selector} shows no text: {widget!r}")


def screen_text(app: App[object]) -> str:
    """The text of every visible Static/Label on the current screen (notices excluded),
    the labels of the form rows shown (drawn by the rows themselves) and the lines of
    the field sheets and text views shown."""
    from tillterm.ui.widgets.field_sheet import FieldSheet
    from tillterm.ui.widgets.form_row import FormRow
    from tillterm.ui.widgets.text_view import TextView

    texts = [
        str(widget.content)
        for widget in app.screen.query(Static)
        if widget.display and widget.is_on_screen
    ]
    texts.extend(row.label for row in app.screen.query(FormRow) if row.is_on_screen)
    texts.extend(sheet.text for sheet in app.screen.query(FieldSheet) if sheet.is_on_screen)
    texts.extend(view.text for view in app.screen.query(TextView) if view.is_on_screen)
    return "\n".join(texts)
