"""X and Z reports: their figures (:class:`DayFigures`, stored with a Z as JSON) and
their printed text: 40 columns, a till roll, the same on screen.

A Z report is rendered once, when it is taken, and kept with its day
(:func:`tillterm.sales.drawer.take_z`): reprinting uses that text, so a report never
changes after it was printed (a store renamed, a tax rate retired, a sale completed
later change nothing on it). An X report is rendered each time it is asked for.

Times are printed in the machine's local time (the cashier's clock), stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from tillterm.catalog.settings import StoreInfo
from tillterm.catalog.tax_rates import rate_text
from tillterm.core.money import from_cents
from tillterm.core.typed_text import visible_text
from tillterm.i18n import _, pgettext
from tillterm.i18n.formats import decimal_text, moment
from tillterm.sales.receipts import WIDTH, _row  # the same till roll as the receipts
from tillterm.sales.views import METHOD_LABELS

CASH_IN, CASH_OUT = "in", "out"


@dataclass(frozen=True)
class TaxTotal:
    """One tax rate's share of the day: net of tax, the tax, in cents."""

    rate: str | None  # the exact rate ("20", "5.5"); None: lines sold without a rate
    net_cents: int
    tax_cents: int


@dataclass(frozen=True)
class MethodTotal:
    method: str
    count: int
    amount_cents: int


@dataclass(frozen=True)
class MoveView:
    kind: str
    amount_cents: int
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class DayFigures:
    """Everything an X or Z report says about a register's day (cents; times UTC)."""

    register_name: str
    currency: str
    started_at: dt.datetime
    #: when the figures were read (X) or the Z was taken
    ended_at: dt.datetime
    opened_at: dt.datetime | None
    float_cents: int
    sales_count: int
    sales_cents: int
    refunds_count: int
    refunds_cents: int
    voids_count: int
    voids_cents: int
    discount_cents: int
    taxes: tuple[TaxTotal, ...]
    payments: tuple[MethodTotal, ...]
    moves: tuple[MoveView, ...]
    first_receipt: str | None
    last_receipt: str | None
    z_no: int | None = None
    counted_cents: int | None = None

    @property
    def net_sales_cents(self) -> int:
        return self.sales_cents + self.refunds_cents

    @property
    def cash_payments_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments if p.method == "cash")

    @property
    def cash_in_cents(self) -> int:
        return sum(m.amount_cents for m in self.moves if m.kind == CASH_IN)

    @property
    def cash_out_cents(self) -> int:
        return sum(m.amount_cents for m in self.moves if m.kind == CASH_OUT)

    @property
    def expected_cash_cents(self) -> int:
        """What the drawer should hold: float + cash taken (refunds paid out taken off)
        + cash in - cash out."""
        return (
            self.float_cents + self.cash_payments_cents + self.cash_in_cents - self.cash_out_cents
        )

    @property
    def over_short_cents(self) -> int | None:
        """Counted minus expected: positive over, negative short (``None``: not counted)."""
        if self.counted_cents is None:
            return None
        return self.counted_cents - self.expected_cash_cents

    def to_json(self) -> str:
        """The figures as stored with a Z (sorted keys: the same figures, the same text)."""
        return json.dumps(asdict(self), default=_json_default, sort_keys=True)

    @classmethod
    def from_json(cls, stored: str) -> DayFigures:
        raw: dict[str, Any] = json.loads(stored)
        for key in ("started_at", "ended_at", "opened_at"):
            if raw[key] is not None:
                raw[key] = dt.datetime.fromisoformat(raw[key])
        raw["taxes"] = tuple(TaxTotal(**t) for t in raw["taxes"])
        raw["payments"] = tuple(MethodTotal(**p) for p in raw["payments"])
        raw["moves"] = tuple(
            MoveView(m["kind"], m["amount_cents"], m["reason"], dt.datetime.fromisoformat(m["at"]))
            for m in raw["moves"]
        )
        return cls(**raw)


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a Z report's figures")


def z_label(number: int) -> str:
    """How Z number ``number`` is printed: ``Z0042``."""
    return f"Z{number:04d}"


def _amount(cents: int) -> str:
    return decimal_text(from_cents(cents))


def _when(when: dt.datetime) -> str:
    return moment(when.astimezone())


def _rate(rate: str | None) -> str:
    if rate is None:
        return _("No rate")
    return f"{rate_text(Decimal(rate))} %"


def over_short_words(cents: int) -> str:
    """``2.00 over`` / ``1.50 short`` / ``exact``: said in words (no sign to misread, no
    colour needed)."""
    if cents > 0:
        return _("{amount} over").format(amount=_amount(cents))
    if cents < 0:
        return _("{amount} short").format(amount=_amount(-cents))
    return _("exact")


def render_day_report(figures: DayFigures, store: StoreInfo, *, width: int = WIDTH) -> str:
    """The X report (``figures.z_no`` is ``None``) or the Z report of a register's day."""
    rule = "-" * width
    out = [visible_text(line)[:width].center(width).rstrip() for line in store.legal_lines()]
    out.append(rule)
    if figures.z_no is None:
        out.append(_("X REPORT (running totals)").center(width).rstrip())
    else:
        z_title = _("Z REPORT {label}").format(label=z_label(figures.z_no))
        out.append(z_title.center(width).rstrip())
    out.append(_row(_("Register"), visible_text(figures.register_name)[: width - 10], width))
    out.append(_row(_("From"), _when(figures.started_at), width))
    label = _("Printed") if figures.z_no is None else _("Closed")
    out.append(_row(label, _when(figures.ended_at), width))
    if figures.opened_at is not None:
        out.append(_row(_("Drawer opened"), _when(figures.opened_at), width))
    else:
        out.append(_row(_("Drawer"), _("not opened"), width))
    out.append(_row(_("Amounts in"), figures.currency, width))
    out.append(rule)
    sales = _("Sales ({count})").format(count=figures.sales_count)
    out.append(_row(sales, _amount(figures.sales_cents), width))
    refunds = _("Refunds ({count})").format(count=figures.refunds_count)
    out.append(_row(refunds, _amount(figures.refunds_cents), width))
    out.append(_row(_("NET SALES"), _amount(figures.net_sales_cents), width))
    out.append(_row(_("Discounts given"), _amount(figures.discount_cents), width))
    voids = _("Voids ({count})").format(count=figures.voids_count)
    out.append(_row(voids, _amount(figures.voids_cents), width))
    out.append(rule)
    rate = pgettext("tax table", "Tax rate") if width >= 40 else pgettext("tax table", "Rate")
    heads = (rate, _("Net"), _("Tax"), pgettext("tax table", "Total"))
    out.append(_tax_row(*heads, width))
    for tax in figures.taxes:
        out.append(
            _tax_row(
                _rate(tax.rate),
                _amount(tax.net_cents),
                _amount(tax.tax_cents),
                _amount(tax.net_cents + tax.tax_cents),
                width,
            )
        )
    net = sum(t.net_cents for t in figures.taxes)
    taxed = sum(t.tax_cents for t in figures.taxes)
    out.append(_tax_row(_("All"), _amount(net), _amount(taxed), _amount(net + taxed), width))
    out.append(rule)
    out.append(_("Payments"))
    for method in figures.payments:
        name = _(METHOD_LABELS.get(method.method, method.method))
        out.append(_row(f"  {name} ({method.count})", _amount(method.amount_cents), width))
    if not figures.payments:
        out.append(_row("  " + _("none"), _amount(0), width))
    out.append(rule)
    out.append(_("Cash drawer"))
    out.append(_row("  " + _("Opening float"), _amount(figures.float_cents), width))
    out.append(_row("  " + _("Cash payments"), _amount(figures.cash_payments_cents), width))
    for move in figures.moves:
        sign = 1 if move.kind == CASH_IN else -1
        what = _("In") if move.kind == CASH_IN else _("Out")
        left = f"  {what} {move.at.astimezone():%H:%M} {visible_text(move.reason)}"
        right = _amount(sign * move.amount_cents)
        out.append(_row(left[: width - len(right) - 1], right, width))
    out.append(_row("  " + _("Cash in"), _amount(figures.cash_in_cents), width))
    out.append(_row("  " + _("Cash out"), _amount(-figures.cash_out_cents), width))
    out.append(_row("  " + _("EXPECTED IN DRAWER"), _amount(figures.expected_cash_cents), width))
    if figures.counted_cents is not None:
        out.append(_row("  " + _("Counted"), _amount(figures.counted_cents), width))
        over_short = over_short_words(figures.over_short_cents or 0)
        out.append(_row("  " + _("Over/short"), over_short, width))
    elif figures.z_no is not None:
        out.append(_row("  " + _("Counted"), _("not counted"), width))
    out.append(rule)
    if figures.first_receipt is None:
        out.append(_row(_("Receipts"), _("none"), width))
    else:
        out.append(_row(_("First receipt"), figures.first_receipt, width))
        out.append(_row(_("Last receipt"), figures.last_receipt or "", width))
    if figures.z_no is None:
        out.append(rule)
        for line in textwrap.wrap(_("Not a Z report: the day stays open."), width):
            out.append(line.center(width).rstrip())
    return "\n".join(out) + "\n"


def _tax_row(rate: str, net: str, tax: str, total: str, width: int) -> str:
    # 40 columns: rate 10, then three right-aligned amounts of 10; narrower paper (32
    # columns) gives the amounts the room (rate 6, amounts of 8: 1234.56 keeps a space)
    label = 10 if width >= 40 else 6
    column = (width - label) // 3
    return f"{rate[:label]:<{label}}{net:>{column}}{tax:>{column}}{total:>{column}}"
