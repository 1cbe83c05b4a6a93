"""A register's cash drawer and its days: float, cash in/out, X and Z reports.

What a day is
-------------
A register's *day* runs from its drawer's opening (or its previous Z report) to its
next Z report. Its sales are the register's completed sales, refunds and voids that no
Z has counted yet (``sale.drawer_day_id`` is ``NULL``): taking the Z stamps them with
the day, in the same transaction, so each sale is in exactly one Z and a sale completed
after the Z (even one whose transaction started before it, on PostgreSQL) belongs to
the next day. Only a register's first day has a lower bound: the local midnight of the
day it began (sales from before tillterm kept drawers are history, not a day's sales;
those rung up that morning before the drawer was opened still count).

Selling is never refused for want of an open drawer: a sale after a Z simply starts
the next day, and a Z taken without opening the drawer says "Drawer not opened" with a
float of zero. A till must keep selling; the report tells the manager what happened.

The Z report
------------
Taken once per day, numbered per register (Z0001...), and stored as printed (text and
figures, :class:`~tillterm.store.models.DrawerDay`): printed again it is the same
bytes. Taking a Z says which Z the caller last saw (``after``): two sessions pressing
the key at once (the register and ``tillterm report z``) both asked to close the day
after Z0004; the second, queued behind the first on the register's lock, finds Z0005
already taken and gets it back instead of an empty Z0006.

Every change takes the register's lock first: a transaction-scoped advisory lock on
PostgreSQL, the database's write lock on SQLite (its first statement is a write), so
two sessions on one register queue and each sees what the other committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.core.errors import TilltermError
from tillterm.i18n import N_, _
from tillterm.sales.day_reports import (
    CASH_IN,
    CASH_OUT,
    DayFigures,
    MethodTotal,
    MoveView,
    TaxTotal,
    render_day_report,
    z_label,
)
from tillterm.sales.receipts import WIDTH
from tillterm.sales.views import COMPLETED, REFUND, SALE, VOIDED
from tillterm.store.models import (
    DrawerDay,
    DrawerMove,
    Payment,
    Sale,
    SaleLine,
    table_of,
    utcnow,
)

MAX_REASON = 120
#: a float, a move or a count beyond this is a typing slip, not cash in a drawer
MAX_DRAWER_CENTS = 100_000_000


class DrawerError(TilltermError):
    """The drawer cannot do what was asked (not open, no reason...); nothing changed."""


# --------------------------------------------------------------------------- read models


@dataclass(frozen=True)
class DrawerState:
    """What the drawer screen shows: the open day (if any) and the last Z seen."""

    register_name: str
    #: the open day's drawer: opened with a float, or not opened (``None``)
    opened_at: dt.datetime | None
    float_cents: int
    #: the register's last Z number (0: none yet); a Z taken "after" it closes this day
    last_z: int
    x: DayFigures


@dataclass(frozen=True)
class ZReport:
    """A Z report as stored: its number, its figures and its text, exactly as printed."""

    register_name: str
    z_no: int
    taken_at: dt.datetime
    figures: DayFigures
    text: str
    #: taken by this call (``False``: another session had already taken it)
    taken_now: bool = True

    @property
    def label(self) -> str:
        return z_label(self.z_no)


@dataclass(frozen=True)
class ZSummary:
    """A past Z in the list to reprint."""

    z_no: int
    taken_at: dt.datetime
    net_sales_cents: int
    over_short_cents: int | None

    @property
    def label(self) -> str:
        return z_label(self.z_no)


# --------------------------------------------------------------------------- locking


def _lock_register(session: Session, register: str) -> None:
    """Queue behind any other session changing this register's drawer (see module doc).

    PostgreSQL: an advisory lock for this transaction, keyed by schema and register.
    SQLite: a write as the first statement takes the database's write lock (waiting up to
    the busy timeout), so every read after it sees the latest rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtextextended("
                "'tillterm-drawer:' || current_schema() || ':' || :name, 0))"
            ),
            {"name": register},
        )
        return
    days = table_of(DrawerDay)
    session.execute(
        update(days)
        .where(days.c.register_name == register, days.c.closed_at.is_(None))
        .values(register_name=days.c.register_name)
    )


def _open_day(session: Session, register: str) -> DrawerDay | None:
    return session.exec(
        select(DrawerDay)
        .where(DrawerDay.register_name == register, col(DrawerDay.closed_at).is_(None))
        .execution_options(populate_existing=True)
    ).first()


def _local_midnight(moment: dt.datetime) -> dt.datetime:
    """The local midnight that begins ``moment``'s local date, in UTC."""
    local_day = moment.astimezone().date()
    return dt.datetime.combine(local_day, dt.time.min).astimezone().astimezone(dt.UTC)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """A timestamp read by an aggregate (no column type applied) as aware UTC."""
    if isinstance(value, str):  # SQLite hands an aggregate back as its stored text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- changes


#: (not above zero, too large) for each amount a drawer is given, as whole sentences
_AMOUNT_PROBLEMS = {
    "float": (
        N_("The float must be more than zero."),
        N_("The float is too large for a cash drawer."),
    ),
    "amount": (
        N_("The amount must be more than zero."),
        N_("The amount is too large for a cash drawer."),
    ),
    "count": (
        N_("The count must be more than zero."),
        N_("The count is too large for a cash drawer."),
    ),
}


def _cents(value: int, what: str, *, allow_zero: bool) -> int:
    not_above_zero, too_large = _AMOUNT_PROBLEMS[what]
    if value < 0 or (value == 0 and not allow_zero):
        raise DrawerError(_(not_above_zero))
    if value > MAX_DRAWER_CENTS:
        raise DrawerError(_(too_large))
    return value


def open_drawer(session: Session, register: str, float_cents: int) -> DrawerState:
    """Open the register's drawer with its float (cash put in to give change)."""
    float_cents = _cents(float_cents, "float", allow_zero=True)
    _lock_register(session, register)
    now = utcnow()
    day = _open_day(session, register)
    if day is not None and day.opened_at is not None:
        raise DrawerError(_("The drawer is already open; take the Z report to close the day."))
    if day is None:
        day = DrawerDay(
            register_name=register, started_at=_history(session, register).next_start(now)
        )
    day.opened_at = now
    day.float_cents = float_cents
    session.add(day)
    session.flush()
    return drawer_state(session, register)


def move_cash(session: Session, register: str, kind: str, amount_cents: int, reason: str) -> None:
    """Cash put into (``in``) or taken out of (``out``) the open drawer, with why."""
    if kind not in (CASH_IN, CASH_OUT):
        raise ValueError(f"unknown drawer move {kind!r}")
    amount_cents = _cents(amount_cents, "amount", allow_zero=False)
    reason = " ".join(reason.split())
    if not reason:
        raise DrawerError(
            _("Say why the cash goes in.") if kind == CASH_IN else _("Say why the cash goes out.")
        )
    _lock_register(session, register)
    day = _open_day(session, register)
    if day is None or day.opened_at is None:
        raise DrawerError(_("The drawer is not open: open it with its float first."))
    session.add(
        DrawerMove(
            day_id=day.id or 0,
            kind=kind,
            amount_cents=amount_cents,
            reason=reason[:MAX_REASON],
            created_at=utcnow(),
        )
    )
    session.flush()


def take_z(
    session: Session,
    register: str,
    counted_cents: int | None,
    *,
    after: int,
    width: int = WIDTH,
) -> ZReport:
    """Close the register's day with the cash counted: the Z report, taken and stored
    as printed, ``width`` columns wide (the register's paper): printed again, that text.

    ``after`` is the last Z number the caller saw (:attr:`DrawerState.last_z`): if a Z
    was taken since, that one is handed back (``taken_now`` False) and nothing changes.
    ``counted_cents`` ``None`` means the drawer was not counted (no over/short).
    """
    if counted_cents is not None:
        counted_cents = _cents(counted_cents, "count", allow_zero=True)
    _lock_register(session, register)
    history = _history(session, register)
    last = history.last_z
    if last != after:
        return replace(z_report(session, register, last), taken_now=False)
    now = utcnow()
    day = _open_day(session, register)
    if day is None:  # a Z without opening the drawer: the day is still a day
        day = DrawerDay(register_name=register, started_at=history.next_start(now))
        session.add(day)
        session.flush()
    settings = load_settings(session)
    # stamp first, then count what was stamped: on PostgreSQL a sale committing between
    # two statements would otherwise be in this day without being in its figures
    sales = table_of(Sale)
    every, _done = _day_sales(register, history.epoch(_aware(day.started_at)))
    session.execute(update(sales).where(sales.c.id.in_(every)).values(drawer_day_id=day.id))
    stamped = sa.select(sales.c.id).where(
        sales.c.register_name == register, sales.c.drawer_day_id == day.id
    )
    counted = (stamped, stamped.where(sales.c.state == COMPLETED.value))
    figures = replace(
        _figures(session, register, day, settings, now, counted),
        z_no=last + 1,
        counted_cents=counted_cents,
    )
    printed = render_day_report(figures, settings, width=width)
    day.closed_at = now
    day.z_no = last + 1
    day.counted_cents = counted_cents
    day.report_text = printed
    day.figures = figures.to_json()
    session.add(day)
    session.flush()
    return ZReport(register, last + 1, now, figures, printed)


# --------------------------------------------------------------------------- reads


def _day_sales(register: str, epoch: dt.datetime) -> tuple[Any, Any]:
    """The register's sales, refunds and voids no Z has counted yet, since its first day
    (a day's sales are what no Z took, not a time window: module doc).

    Two ranges of ``ix_sale_register_day_completed`` (completed since the epoch; never
    completed, i.e. voided, whose moment is their last change), so a register's years of
    history are skipped, not scanned: one condition with an OR made SQLite walk them all.
    The ids of all of them, and of the completed ones only (the payments and taxes).
    """
    sales = table_of(Sale)
    waiting = sa.and_(sales.c.register_name == register, sales.c.drawer_day_id.is_(None))
    completed = sa.select(sales.c.id).where(
        waiting, sales.c.completed_at >= epoch, sales.c.state == COMPLETED.value
    )
    voided = sa.select(sales.c.id).where(
        waiting,
        sales.c.completed_at.is_(None),
        sales.c.state == VOIDED.value,
        sales.c.updated_at >= epoch,
    )
    return completed.union_all(voided), completed


def _figures(
    session: Session,
    register: str,
    day: DrawerDay,
    settings: StoreInfo,
    now: dt.datetime,
    picked: tuple[Any, Any],
) -> DayFigures:
    """The day's figures: of the sales ``picked`` (ids of all, ids of the completed:
    :func:`_day_sales`, those no Z took yet)."""
    started = _aware(day.started_at)
    # only ``id IN (…)`` on the outer sale: a condition on its state made the planner
    # walk every completed sale of the store by ix_sale_state_completed
    every, done = picked
    sales = table_of(Sale)
    where = sales.c.id.in_(every)
    lines = table_of(SaleLine)
    payments = table_of(Payment)
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    discount = 0
    first = last = None
    for state, kind, count, total, disc, low, high in session.execute(
        sa.select(
            sales.c.state,
            sales.c.kind,
            func.count(),
            func.coalesce(func.sum(sales.c.total_cents), 0),
            func.coalesce(func.sum(sales.c.discount_cents), 0),
            func.min(sales.c.receipt_no),
            func.max(sales.c.receipt_no),
        )
        .where(where)
        .where(
            sa.or_(
                sales.c.state == COMPLETED.value,
                sa.exists().where(lines.c.sale_id == sales.c.id),  # an empty void is no void
            )
        )
        .group_by(sales.c.state, sales.c.kind)
    ).all():
        counts[(state, kind)] = (int(count), int(total))
        if state == COMPLETED:
            discount += int(disc)
            first = low if first is None or (low is not None and low < first) else first
            last = high if last is None or (high is not None and high > last) else last
    completed = sales.c.id.in_(done)
    taxes = tuple(
        TaxTotal(None if rate is None else str(Decimal(rate)), int(total - tax), int(tax))
        for rate, total, tax in session.execute(
            sa.select(
                lines.c.tax_rate,
                func.coalesce(func.sum(lines.c.total_cents), 0),
                func.coalesce(func.sum(lines.c.tax_cents), 0),
            )
            .select_from(lines.join(sales, lines.c.sale_id == sales.c.id))
            .where(completed)
            .group_by(lines.c.tax_rate)
            .order_by(lines.c.tax_rate.desc())
        ).all()
    )
    order = {"cash": 0, "card": 1, "account": 2, "loyalty": 3}
    paid = sorted(
        (
            MethodTotal(method, int(count), int(amount))
            for method, count, amount in session.execute(
                sa.select(
                    payments.c.method,
                    func.count(),
                    func.coalesce(func.sum(payments.c.amount_cents), 0),
                )
                .select_from(payments.join(sales, payments.c.sale_id == sales.c.id))
                .where(completed)
                .group_by(payments.c.method)
            ).all()
        ),
        key=lambda m: (order.get(m.method, 9), m.method),
    )
    moves = (
        tuple(
            MoveView(m.kind, m.amount_cents, m.reason, _aware(m.created_at))
            for m in session.exec(
                select(DrawerMove)
                .where(DrawerMove.day_id == (day.id or 0))
                .order_by(col(DrawerMove.created_at), col(DrawerMove.id))
            ).all()
        )
        if day.id is not None
        else ()
    )
    sold = counts.get((COMPLETED.value, SALE.value), (0, 0))
    refunded = counts.get((COMPLETED.value, REFUND.value), (0, 0))
    voided = [v for (state, _kind), v in counts.items() if state == VOIDED]
    return DayFigures(
        register_name=register,
        currency=settings.currency,
        started_at=started,
        ended_at=now,
        opened_at=None if day.opened_at is None else _aware(day.opened_at),
        float_cents=day.float_cents,
        sales_count=sold[0],
        sales_cents=sold[1],
        refunds_count=refunded[0],
        refunds_cents=refunded[1],
        voids_count=sum(v[0] for v in voided),
        voids_cents=sum(v[1] for v in voided),
        discount_cents=discount,
        taxes=taxes,
        payments=tuple(paid),
        moves=moves,
        first_receipt=first,
        last_receipt=last,
    )


def drawer_state(
    session: Session, register: str, *, settings: StoreInfo | None = None
) -> DrawerState:
    """The register's drawer now, with its running X figures (nothing is written).

    ``settings``: the store's, when the caller has read them already (the X report
    shown with the drawer). Six statements: each is a round trip to a PostgreSQL
    server, and this read is waited for as the drawer opens (issue 17).
    """
    now = utcnow()
    history = _history(session, register)
    day = _open_day(session, register)
    if day is None:  # nothing since the last Z (or ever): the day that would begin now
        day = DrawerDay(register_name=register, started_at=history.next_start(now))
    if settings is None:
        settings = load_settings(session)
    epoch = history.epoch(_aware(day.started_at))
    x = _figures(session, register, day, settings, now, _day_sales(register, epoch))
    return DrawerState(
        register_name=register,
        opened_at=x.opened_at,
        float_cents=day.float_cents,
        last_z=history.last_z,
        x=x,
    )


@dataclass(frozen=True)
class _History:
    """What a register's past days say about its next: read in one statement."""

    #: its last Z's moment: where a new day begins (none yet: local midnight)
    last_closed: dt.datetime | None
    #: its first day's start: the lower bound of the sales no Z took (module doc)
    first_started: dt.datetime | None
    last_z: int

    def next_start(self, now: dt.datetime) -> dt.datetime:
        """Where a new day begins: the last Z, or (first day) local midnight."""
        return self.last_closed or _local_midnight(now)

    def epoch(self, day_start: dt.datetime) -> dt.datetime:
        """The lower bound of the register's days' sales: its first day's start."""
        return day_start if self.first_started is None else min(self.first_started, day_start)


def _history(session: Session, register: str) -> _History:
    """:func:`_next_start`, :func:`_epoch` and :func:`_last_z`'s facts in one read."""
    days = table_of(DrawerDay)
    closed, started, z_no = session.execute(
        sa.select(
            func.max(days.c.closed_at), func.min(days.c.started_at), func.max(days.c.z_no)
        ).where(days.c.register_name == register)
    ).one()
    return _History(
        None if closed is None else _aware(closed),
        None if started is None else _aware(started),
        int(z_no or 0),
    )


def x_report(session: Session, register: str, *, width: int = WIDTH) -> str:
    """The X report: the open day's running totals, printed now, stored nowhere."""
    return render_day_report(drawer_state(session, register).x, load_settings(session), width=width)


def z_report(session: Session, register: str, z_no: int) -> ZReport:
    """Z report ``z_no`` of ``register`` as it was taken (never recomputed)."""
    day = session.exec(
        select(DrawerDay).where(DrawerDay.register_name == register, DrawerDay.z_no == z_no)
    ).first()
    if day is None or day.report_text is None or day.figures is None or day.closed_at is None:
        raise DrawerError(
            _("Register {register} has no Z report {z}.").format(register=register, z=z_label(z_no))
        )
    return ZReport(
        register,
        z_no,
        _aware(day.closed_at),
        DayFigures.from_json(day.figures),
        day.report_text,
        taken_now=False,
    )


def list_z_reports(session: Session, register: str, limit: int = 200) -> list[ZSummary]:
    """The register's Z reports, newest first."""
    days = session.exec(
        select(DrawerDay)
        .where(DrawerDay.register_name == register, col(DrawerDay.z_no).is_not(None))
        .order_by(col(DrawerDay.z_no).desc())
        .limit(limit)
    ).all()
    out = []
    for day in days:
        figures = DayFigures.from_json(day.figures or "")
        out.append(
            ZSummary(
                day.z_no or 0,
                _aware(day.closed_at or day.started_at),
                figures.net_sales_cents,
                figures.over_short_cents,
            )
        )
    return out


def z_reports_on(session: Session, register: str, day: dt.date) -> list[ZReport]:
    """The register's Z reports taken on local date ``day``, oldest first."""
    start = dt.datetime.combine(day, dt.time.min).astimezone().astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min).astimezone()
    numbers = session.exec(
        select(DrawerDay.z_no)
        .where(
            DrawerDay.register_name == register,
            col(DrawerDay.z_no).is_not(None),
            col(DrawerDay.closed_at) >= start,
            col(DrawerDay.closed_at) < end.astimezone(dt.UTC),
        )
        .order_by(col(DrawerDay.z_no))
    ).all()
    return [z_report(session, register, n or 0) for n in numbers]
