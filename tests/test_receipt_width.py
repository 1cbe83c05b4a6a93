"""Issue 17, receipts on paper: a receipt and a Z report are rendered at the register's
paper width (``printer.toml``'s ``width``: 32 on 58 mm paper, 42 or 48 on 80 mm) as they
are made, kept as rendered, and printed as kept: the printer never has to wrap a line,
and a copy printed later is byte for byte the same text. No printer: 40 columns.

Bytes are those python-escpos's Dummy printer is sent (the calls the real device gets).
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from escpos.printer import Dummy
from sales_store import Store, build_store
from sqlalchemy.engine import Engine

from tillterm import printing, sales
from tillterm.catalog.settings import load_settings
from tillterm.printing import PrinterConfig
from tillterm.printing.paper import paper_lines
from tillterm.services.context import Services
from tillterm.store.engine import session_scope
from tillterm.store.models import Product

REG = "till-1"
LONG_NAME = "Café moulu pur arabica Éthiopie Sidamo 1 kg"
LONG_BARCODE = "3000000000031"


@pytest.fixture
def store(engine: Engine) -> Store:
    built = build_store(engine)
    with session_scope(engine) as s:
        s.add(
            Product(
                sku="COF-2",
                barcode=LONG_BARCODE,
                name=LONG_NAME,
                price_cents=1290,
                tax_rate_id=built.reduced,
            )
        )
    return built


def _printer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int | None) -> Path:
    """This register's printer: a file device, ``width`` columns (``None``: no printer)."""
    config = tmp_path / "printer.toml"
    if width is not None:
        config.write_text(
            f'[printer]\nconnection = "file"\ndevice = "{tmp_path / "lp0"}"\nwidth = {width}\n',
            encoding="utf-8",
        )
    monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(config))
    return config


def _sale(services: Services) -> sales.SaleView:
    """Two rates (the VAT table has two rows), a long name, cash with change."""
    till = services.till
    for code in ("3000000000024", LONG_BARCODE, "3000000000017"):
        till.enter(code, typed=False)
    till.pay(sales.CASH, D(100))
    return till.finish().sale


def _dummy_bytes(text: str, width: int) -> bytes:
    dummy = Dummy()
    printing.compose(dummy, text, PrinterConfig(connection="file", width=width), kick=False)
    data: bytes = dummy.output
    dummy.close()
    return data


@pytest.mark.parametrize("width", [32, 40, 48])
def test_a_receipt_is_rendered_kept_and_printed_at_the_paper_width(
    engine: Engine,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    _printer(tmp_path, monkeypatch, width)
    services = Services(lambda: engine, register=REG, receipts_dir=tmp_path / "receipts")
    assert services.paper_width() == width
    sale = _sale(services)
    text = sale.receipt_text or ""
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), "no line wider than the paper"
    assert lines.count("-" * width) >= 3  # the rules span the paper
    # amounts end at the paper's edge: totals, payments and change aligned on the right
    for label, amount in (("Subtotal", "42.30"), ("TOTAL EUR", "42.30"), ("Change", "57.70")):
        row = next(line for line in lines if line.startswith(label))
        assert row.endswith(amount) and len(row) == width, row
    # the VAT table: a header and a row per rate, every column ending where it does above
    header = lines.index(next(line for line in lines if line.startswith("VAT ")))
    table = lines[header : header + 3]
    assert [row.split()[0] for row in table] == ["VAT", "5.5%", "20%"]
    assert len({len(row) for row in table}) == 1, table
    for column in range(1, 4):
        ends = {row.rindex(row.split()[column]) + len(row.split()[column]) for row in table}
        assert len(ends) == 1, (column, table)
    # the long name: whole, between words, on as few lines as the paper needs
    start = next(n for n, line in enumerate(lines) if LONG_NAME.startswith(line) and line)
    if len(LONG_NAME) <= width:
        assert lines[start] == LONG_NAME
    else:
        assert f"{lines[start]} {lines[start + 1]}" == LONG_NAME
    assert lines[start + 2 if len(LONG_NAME) > width else start + 1].startswith("  1 x 12.90")
    # on paper: the kept text, line for line, nothing wrapped by the printer
    assert paper_lines(text, width) == lines
    body = _dummy_bytes(text, width)
    assert ("\n".join(lines) + "\n").encode("cp858") in body
    # kept as rendered: the stored receipt, and a copy printed later, are that text
    with session_scope(engine) as s:
        assert sales.get_sale(s, sale.id).receipt_text == text
    _printer(tmp_path, monkeypatch, 64)  # a wider roll since: the copy is not rewrapped
    copy = services.printer.reprint(REG)
    assert copy.ok, copy.note
    sent = (tmp_path / "lp0").read_bytes()
    assert printing.mark_copy(text).encode("cp858") in sent
    assert printing.mark_copy(text).splitlines()[0] == "*** COPY ***".center(width).rstrip()


def test_without_a_printer_receipts_stay_40_columns(
    engine: Engine, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _printer(tmp_path, monkeypatch, None)
    services = Services(lambda: engine, register=REG, receipts_dir=tmp_path / "receipts")
    assert services.paper_width() == 40
    text = _sale(services).receipt_text or ""
    assert max(len(line) for line in text.splitlines()) == 40
    with session_scope(engine) as s:  # as before: the same text the default renders
        assert text == sales.render_receipt(sales.get_sale(s, 1), load_settings(s))


def test_a_broken_printer_file_leaves_receipts_at_40_columns(
    engine: Engine, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sale completes; the printing says what is wrong with the file, not the sale."""
    config = _printer(tmp_path, monkeypatch, 32)
    config.write_text('[printer]\nconnection = "usb"\nwidth = 10\n', encoding="utf-8")
    services = Services(lambda: engine, register=REG, receipts_dir=tmp_path / "receipts")
    assert services.paper_width() == 40
    text = _sale(services).receipt_text or ""
    assert max(len(line) for line in text.splitlines()) == 40


@pytest.mark.parametrize("width", [32, 48])
def test_the_day_reports_are_rendered_at_the_paper_width_and_kept(
    engine: Engine,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    _printer(tmp_path, monkeypatch, width)
    services = Services(lambda: engine, register=REG, receipts_dir=tmp_path / "receipts")
    drawer = services.drawer
    drawer.open(10000)
    _sale(services)
    for text in (drawer.x_report(), drawer.overview()[1]):
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines) and "-" * width in lines
        assert paper_lines(text, width) == lines
    z = drawer.take_z(14230, after=0)
    lines = z.text.splitlines()
    assert all(len(line) <= width for line in lines) and "-" * width in lines
    net = next(line for line in lines if line.startswith("NET SALES"))
    assert len(net) == width and net.endswith("42.30")
    _printer(tmp_path, monkeypatch, 64)  # the paper changed: the Z taken does not
    again = services.drawer.z_report(z.z_no)
    assert again.text == z.text
    printed = services.printer.print_text(again.text, again.label, copy=True)
    assert printed.ok, printed.note
    assert printing.mark_copy(z.text).encode("cp858") in (tmp_path / "lp0").read_bytes()
