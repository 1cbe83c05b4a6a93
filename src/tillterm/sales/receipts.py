"""Plain-text receipts: the same text on screen and in a file.

A receipt is 40 columns (a till roll), or as wide as the register's printer's paper
(``printer.toml``'s ``width``: 32 on 58 mm paper, 42 or 48 on 80 mm), plain
ASCII-friendly text, with the customer's name and loyalty balance when a customer is
attached. It is rendered once, when the sale
completes, and kept with the sale (``sale.receipt_text``): showing it again or writing a
lost file uses that text, so a receipt never changes after it was printed.

Files go to ``<receipts folder>/<database>/<receipt_no>.txt``: the receipts folder
(:func:`tillterm.store.config.resolve_receipts_dir`) may be shared by two stores' databases,
and each database numbers its receipts from R0000001, so each gets a folder of its own
(:func:`database_folder`). Files hold customer data: written through
:mod:`tillterm.store.private_files` (0600, whole or not at all).
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session

from tillterm.catalog.settings import StoreInfo
from tillterm.catalog.tax_rates import rate_text
from tillterm.core.errors import TilltermError
from tillterm.core.typed_text import visible_text
from tillterm.i18n import _, language, pgettext
from tillterm.i18n.formats import decimal_text, moment, money
from tillterm.sales.views import REFUND, SaleView
from tillterm.store.engine import session_scope
from tillterm.store.models import Sale, table_of, utcnow
from tillterm.store.private_files import OutputExists, write_private

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

WIDTH = 40
#: the lines a long product name may take on the receipt before it is cut
NAME_LINES = 2


def _row(left: str, right: str, width: int = WIDTH) -> str:
    space = max(width - len(left) - len(right), 1)
    return f"{left}{' ' * space}{right}"


def _amount(value: Decimal) -> str:
    return decimal_text(value)


def _total_row(total: Decimal, currency: str, width: int) -> str:
    """The TOTAL line. An English till names the currency in the label (``TOTAL EUR
    9.00``), as its receipts always read; a French one writes the amount as French money
    is written (``TOTAL  9,00 €``)."""
    if language() == "en":
        return _row(_("TOTAL") + " " + currency, _amount(total), width)
    return _row(_("TOTAL"), money(total, currency), width)


def _price_change(list_price: Decimal, reason: str, width: int) -> list[str]:
    """A changed price, under its line: what it was listed at, and why it changed."""
    note = "  " + _("listed {price}: {reason}").format(
        price=_amount(list_price), reason=visible_text(reason)
    )
    return [note[:width]]


def _sale_discount_note(percent: Decimal, reason: str, width: int) -> list[str]:
    """The whole-sale discount (its cents are already in the line discounts above)."""
    note = "  " + _("incl. {percent} % off the sale").format(percent=rate_text(percent))
    if reason:
        note += f": {visible_text(reason)}"
    return [note[:width]]


def _name_lines(name: str, width: int) -> list[str]:
    """A product's name on the paper: wrapped between words over ``NAME_LINES`` lines
    at most (a 32-column roll cuts "Café moulu pur arabica 1 kg" in mid-word), the end
    of a longer one cut; a word longer than a line is cut where the line ends."""
    if len(name) <= width:
        return [name]
    lines = textwrap.wrap(name, width, break_on_hyphens=False) or [name[:width]]
    if len(lines) > NAME_LINES:
        rest = " ".join(lines[NAME_LINES - 1 :])
        lines = [*lines[: NAME_LINES - 1], rest[:width]]
    return lines


def render_receipt(sale: SaleView, store: StoreInfo, *, width: int = WIDTH) -> str:
    """The receipt of a completed sale (or refund) as text.

    Names, codes and descriptions are data: each goes through ``visible_text``, so a
    control character stored by an older version is printed as its picture (never
    obeyed by the terminal that shows the receipt or the printer that prints it) and a
    line break in a name cannot add a line to the receipt.
    """
    rule = "-" * width
    out = legal_header(store, width)
    title = _("REFUND {number}") if sale.kind == REFUND else _("RECEIPT {number}")
    out.append(title.format(number=sale.receipt_no or "-").center(width).rstrip())
    if sale.kind == REFUND and sale.original_receipt_no:
        return_of = sale.note.startswith("Return of")
        of_sale = _("Return of sale {number}") if return_of else _("Refund of sale {number}")
        out.append(of_sale.format(number=sale.original_receipt_no).center(width).rstrip())
    elif sale.kind == REFUND:  # no original: the reason is the cashier's, printed
        out.append(_("Return without receipt").center(width).rstrip())
        out.extend(
            textwrap.wrap(_("Reason: {reason}").format(reason=visible_text(sale.note)), width)
        )
    when = moment((sale.completed_at or sale.created_at).astimezone())
    register = _("Register {register}").format(register=visible_text(sale.register_name))
    out.append(_row(register[: width - len(when) - 1], when, width))
    out.append(rule)
    for line in sale.lines:
        out.extend(_name_lines(visible_text(line.description), width))
        out.append(
            _row(f"  {line.quantity} x {_amount(line.unit_price)}", _amount(line.gross), width)
        )
        if line.list_price is not None:
            out.extend(_price_change(line.list_price, line.price_reason, width))
        if line.discount:
            out.append(_row("  " + _("discount"), _amount(-line.discount), width))
    out.append(rule)
    out.append(_row(_("Subtotal"), _amount(sale.subtotal), width))
    if sale.discount:
        out.append(_row(_("Discount"), _amount(-sale.discount), width))
    if sale.sale_discount_percent:
        out.extend(_sale_discount_note(sale.sale_discount_percent, sale.discount_reason, width))
    # a tax-exempt customer's sale carries no tax (a sale with tax on file was not
    # sold exempt, whatever the customer is now)
    exempt = sale.customer is not None and sale.customer.tax_exempt and not sale.tax
    if exempt and sale.prices_include_tax:
        # the tax part the prices held was taken off: subtotal - discount - it = total
        taken = sale.subtotal - sale.discount - sale.total
        out.append(_row(pgettext("receipt", "Tax exempt"), _amount(-taken), width))
        out.append(_total_row(sale.total, store.currency, width))
    elif exempt:
        out.append(_row(pgettext("receipt", "Tax exempt"), _amount(sale.tax), width))
        out.append(_total_row(sale.total, store.currency, width))
    elif sale.prices_include_tax:
        out.append(_total_row(sale.total, store.currency, width))
        out.append(_row("  " + _("incl. tax"), _amount(sale.tax), width))
    else:
        out.append(_row(_("Tax"), _amount(sale.tax), width))
        out.append(_total_row(sale.total, store.currency, width))
    for payment in sale.payments:
        label = _(payment.label)  # the method's name: "Cash", "Card"
        if payment.loyalty_points:
            label += " " + _("({points} pts)").format(points=abs(payment.loyalty_points))
        if payment.tendered is not None and payment.change:
            out.append(
                _row(_("{method} tendered").format(method=label), _amount(payment.tendered), width)
            )
        else:
            out.append(_row(label, _amount(payment.amount), width))
    if sale.change:
        out.append(_row(_("Change"), _amount(sale.change), width))
    out += vat_table(sale, width)
    if sale.customer is not None:
        out.append(rule)
        customer = visible_text(sale.customer.display_name)
        out.append(_("Customer: {name}").format(name=customer)[:width])
        card = visible_text(sale.customer.customer_code)
        out.append(_("Card: {code}").format(code=card)[:width])
        if sale.customer.loyalty_enabled or sale.customer.loyalty_balance:
            if sale.loyalty_earned and sale.kind == REFUND:
                out.append(_row(_("Points reversed"), f"{sale.loyalty_earned:+d}", width))
            elif sale.loyalty_earned:
                out.append(_row(_("Points earned"), str(sale.loyalty_earned), width))
            balance = _("{points} pts").format(points=sale.customer.loyalty_balance)
            out.append(_row(_("Loyalty balance"), balance, width))
        if sale.customer.account_balance:
            out.append(_row(_("Account balance"), _amount(sale.customer.account_balance), width))
    if store.receipt_footer:
        out.append(rule)
        out.append(visible_text(store.receipt_footer).center(width).rstrip())
    return "\n".join(out) + "\n"


def legal_header(store: StoreInfo, width: int = WIDTH) -> list[str]:
    """The seller's identity, centred, one detail a line: what the law asks a receipt to
    name (name, address, registration and VAT numbers). A detail longer than the paper
    is cut, never wrapped into the next one; an empty store name still gives a line so
    the receipt keeps its shape."""
    lines = [visible_text(line)[:width].center(width).rstrip() for line in store.legal_lines()]
    return lines or [""]


@dataclass(frozen=True)
class VatRow:
    """One tax rate's share of a sale: ``net + tax = gross``, in currency units."""

    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


def vat_breakdown(sale: SaleView) -> list[VatRow]:
    """The sale's amounts per tax rate, lowest rate first.

    Sums of the lines as they were rounded and kept (never tax worked out again on a
    rate's total): the rows' tax adds up to the sale's tax and their gross to its total,
    to the cent. A tax-exempt sale's lines carry no tax whatever their product's rate,
    so they are shown at 0 %; a line without a rate (an open-price item) too.
    """
    exempt = sale.customer is not None and sale.customer.tax_exempt and not sale.tax
    zero = Decimal("0.00")
    #: by rate (20 and 20.00 are one rate): the rate as stored, its tax and its gross
    rows: dict[Decimal, tuple[Decimal, Decimal, Decimal]] = {}
    for line in sale.lines:
        rate = Decimal(0) if exempt or line.tax_rate is None else line.tax_rate
        stored, tax, gross = rows.get(rate.normalize(), (rate, zero, zero))
        rows[rate.normalize()] = (stored, tax + line.tax, gross + line.total)
    return [VatRow(rate, gross - tax, tax, gross) for _, (rate, tax, gross) in sorted(rows.items())]


def _rate(rate: Decimal) -> str:
    """``20%``, ``5.5%`` (``5,5%`` in French), ``0%``: a rate as printed, without
    trailing zeros."""
    return f"{rate_text(rate)}%" if rate else "0%"


def vat_table(sale: SaleView, width: int = WIDTH) -> list[str]:
    """The VAT breakdown block of a receipt: a rule, a header, one row per rate."""
    rows = vat_breakdown(sale)
    if not rows:
        return []
    cell = max((width - 7) // 3, 7)

    def line(rate: str, net: str, tax: str, gross: str) -> str:
        return f"{rate:<7}{net:>{cell}}{tax:>{cell}}{gross:>{cell}}"[:width]

    out = ["-" * width, line(_("VAT"), _("Net"), _("VAT"), _("Gross"))]
    for row in rows:
        out.append(line(_rate(row.rate), _amount(row.net), _amount(row.tax), _amount(row.gross)))
    return out


def receipt_as_shown(sale: SaleView, store: StoreInfo, *, width: int = WIDTH) -> str:
    """A completed sale's receipt to show again: the text as printed, and, when the sale
    was refunded since, which receipt refunded it."""
    printed = sale.receipt_text or render_receipt(sale, store, width=width)
    if sale.refunded_by:
        printed += "-" * width + "\n"
        refunded = _("REFUNDED by {number}").format(number=sale.refunded_by)
        printed += refunded.center(width).rstrip() + "\n"
    return printed


def database_folder(engine: Engine) -> str:
    """The receipts sub-folder of this database: a readable name and a short hash of
    where it lives (the file's full path; the server, database and options of a URL)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        where = str(Path(url.database or "").resolve())
        name = Path(where).stem
    else:
        where = url.render_as_string(hide_password=True)
        name = url.database or "postgresql"
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:40] or "db"
    return f"{slug}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"


def receipts_folder(base: Path, engine: Engine) -> Path:
    return base / database_folder(engine)


def write_receipt(text: str, directory: Path, receipt_no: str) -> Path:
    """Write ``<directory>/<receipt_no>.txt`` (0600, atomically); a readable error otherwise.

    A receipt number is printed once per database, so an existing file is that same
    receipt (written by a repair at start-up in another session): it is left alone.
    """
    target = directory / f"{receipt_no}.txt"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(target, text, overwrite=False)
    except OutputExists:
        return target
    except OSError as exc:
        raise TilltermError(
            _(
                "The sale is complete but its receipt could not be saved in {folder}: {reason}."
            ).format(folder=directory, reason=exc.strerror or exc)
        ) from exc
    return target


def file_receipt(engine: Engine, folder: Path, sale_id: int, receipt_no: str, text: str) -> Path:
    """Write a completed sale's receipt file, then record that it is written.

    Two steps on purpose: the sale is committed before its file exists, so a crash in
    between leaves the sale marked unfiled and :func:`tillterm.sales.listings.receipts_to_file`
    finds it at the next start. Raises :class:`TilltermError` when the file cannot be
    written (the mark is then not set, and the next start tries again).
    """
    path = write_receipt(text, folder, receipt_no)
    with session_scope(engine) as session:
        mark_receipt_filed(session, sale_id)
    return path


def mark_receipt_filed(session: Session, sale_id: int) -> None:
    """The sale's receipt file is written: nothing to repair at the next start."""
    sales = table_of(Sale)
    session.execute(update(sales).where(sales.c.id == sale_id).values(receipt_filed_at=utcnow()))
