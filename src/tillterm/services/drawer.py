"""A register's cash drawer and its day's reports (issue 17), for the screen and the CLI.

Each call is one transaction of its own (:func:`~tillterm.store.engine.session_scope`);
the domain (:mod:`tillterm.sales.drawer`) takes the register's lock inside it, so the
register's Drawer screen and ``tillterm report z`` on the same register queue instead
of both closing the day. Errors come out as :class:`~tillterm.core.errors.TilltermError`
with words a cashier can act on.

Imported when first asked for (``Services.drawer``), in a worker: it loads the ORM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from tillterm.catalog.settings import load_settings
from tillterm.i18n import _
from tillterm.sales import drawer as domain
from tillterm.sales.day_reports import render_day_report
from tillterm.sales.drawer import DrawerError, DrawerState, ZReport, ZSummary
from tillterm.sales.receipts import WIDTH
from tillterm.sales.registers import clean_name
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["Drawer", "DrawerError", "DrawerState", "ZReport", "ZSummary"]


class Drawer:
    """One register's drawer: open, cash in/out, X report, Z report, past Zs."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        register: str,
        paper_width: Callable[[], int] = lambda: WIDTH,
    ) -> None:
        self._engine = engine
        self.register = clean_name(register)
        #: the register's paper, in columns (its printer's, else 40), asked at each
        #: report: the X shown is the X printed, a Z is kept as it was printed
        self._paper_width = paper_width

    def state(self) -> DrawerState:
        with session_scope(self._engine()) as session:
            return domain.drawer_state(session, self.register)

    def open(self, float_cents: int) -> DrawerState:
        with session_scope(self._engine()) as session:
            return domain.open_drawer(session, self.register, float_cents)

    def move(self, kind: str, amount_cents: int, reason: str) -> DrawerState:
        with session_scope(self._engine()) as session:
            domain.move_cash(session, self.register, kind, amount_cents, reason)
        return self.state()

    def x_report(self) -> str:
        with session_scope(self._engine()) as session:
            return domain.x_report(session, self.register, width=self._paper_width())

    def overview(self) -> tuple[DrawerState, str]:
        """The drawer and its X report's text, from one reading of the figures."""
        with session_scope(self._engine()) as session:
            settings = load_settings(session)
            state = domain.drawer_state(session, self.register, settings=settings)
            return state, render_day_report(state.x, settings, width=self._paper_width())

    def take_z(self, counted_cents: int | None, *, after: int) -> ZReport:
        """Close the day (see :func:`tillterm.sales.drawer.take_z` for ``after``)."""
        with session_scope(self._engine()) as session:
            return domain.take_z(
                session, self.register, counted_cents, after=after, width=self._paper_width()
            )

    def z_report(self, z_no: int) -> ZReport:
        with session_scope(self._engine()) as session:
            return domain.z_report(session, self.register, z_no)

    def z_reports(self) -> list[ZSummary]:
        with session_scope(self._engine()) as session:
            return domain.list_z_reports(session, self.register)

    def z_for_date(self, day: dt.date, *, today: dt.date | None = None) -> list[ZReport]:
        """The Z reports taken on local date ``day``; if none and ``day`` is today, the
        register's day is closed now (uncounted) and its Z handed back, as the register's
        end-of-day key does. A past date without a Z is an error that says so."""
        today = today or dt.date.today()
        if day > today:
            raise DrawerError(_("{day} has not come yet.").format(day=day.isoformat()))
        with session_scope(self._engine()) as session:
            found = domain.z_reports_on(session, self.register, day)
            last = domain.drawer_state(session, self.register).last_z
        if found:
            return found
        if day != today:
            raise DrawerError(
                _(
                    "Register {register} took no Z report on {day}; "
                    "a day still open is closed with --date {today}."
                ).format(register=self.register, day=day.isoformat(), today=today.isoformat())
            )
        return [self.take_z(None, after=last)]
