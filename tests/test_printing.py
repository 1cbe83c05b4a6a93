"""Issue 17, receipts on paper: the printer's configuration, the ESC/POS bytes of a
receipt (python-escpos's Dummy and File printers), a printer that is not there, copies
and ``tillterm printer``. Bytes are asserted as the printer receives them."""

from __future__ import annotations

import contextlib
import os
import socket
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import run_cli, wait_until_blocking
from escpos.printer import Dummy
from sales_store import Store, build_store
from sqlalchemy.engine import Engine

from tillterm import printing, sales
from tillterm.printing import PrinterConfig, PrinterConfigError, load_printer_config
from tillterm.services.printing import ReceiptPrinter
from tillterm.store.engine import session_scope

INIT = b"\x1b@"  # ESC @
CP858 = b"\x1bt\x13"  # ESC t 19
CUT = b"\x1dV\x00"  # GS V 0: full cut
KICK_2 = b"\x1bp\x00"  # ESC p 0 ...: drawer, pin 2
KICK_5 = b"\x1bp\x01"  # ESC p 1 ...: drawer, pin 5
REG = "till-1"


def _config(**values: object) -> PrinterConfig:
    return PrinterConfig(**values)  # type: ignore[arg-type]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "printer.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --------------------------------------------------------------------- configuration


def test_no_file_is_no_printer(tmp_path: Path) -> None:
    config = load_printer_config(tmp_path / "missing.toml")
    assert config == PrinterConfig() and not config.configured


def test_config_reads_each_connection(tmp_path: Path) -> None:
    usb = load_printer_config(
        _write(
            tmp_path, '[printer]\nconnection = "USB"\nusb_vendor = 0x04b8\nusb_product = "0x202"\n'
        )
    )
    assert (usb.connection, usb.usb_vendor, usb.usb_product) == ("usb", "04b8", "0202")
    assert usb.where == "USB 04b8:0202"
    net = load_printer_config(
        _write(tmp_path, '[printer]\nconnection = "network"\nhost = "10.0.0.9"\n')
    )
    assert net.where == "10.0.0.9:9100" and net.timeout == 5
    dev = load_printer_config(
        _write(
            tmp_path,
            '[printer]\nconnection = "file"\ndevice = "/dev/usb/lp0"\ncode_page = "cp850"\n'
            "width = 32\ncut = false\ndrawer_kick = true\ndrawer_pin = 5\n",
        )
    )
    assert dev.where == "/dev/usb/lp0" and dev.code_page == "CP850"
    assert (dev.width, dev.cut, dev.drawer_pin) == (32, False, 5)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ('connection = "bluetooth"', "connection must be one of usb, serial, network, file"),
        ('connection = "usb"\nusb_vendor = "epson"', "usb_vendor must be a USB id in hex"),
        ('connection = "file"', "a file printer needs device"),
        ('connection = "network"', "a network printer needs host"),
        ('connection = "file"\ndevice = "/x"\ndrawer_pin = 3', "drawer_pin must be 2 or 5"),
        ('connection = "file"\ndevice = "/x"\nwidth = 8', "width must be between 24 and 80"),
        ("cut = 1", "cut must be a bool"),
        ("port = true", "port must be a int"),
        ("connection = [", "is not valid TOML"),
    ],
)
def test_config_refuses_wrong_values(tmp_path: Path, body: str, said: str) -> None:
    with pytest.raises(PrinterConfigError, match=said):
        load_printer_config(_write(tmp_path, f"[printer]\n{body}\n"))


# --------------------------------------------------------------------- bytes


def test_receipt_bytes_init_code_page_text_cut_kick() -> None:
    config = _config(connection="file", device="/x")
    data = printing.receipt_bytes("Café 4.50\nTOTAL EUR 4.50\n", config, kick=True)
    assert data.startswith(INIT + CP858)
    # é is 0x82 in CP858; each line ends with LF
    assert b"Caf\x82 4.50\nTOTAL EUR 4.50\n" in data
    assert data.index(CUT) < data.index(KICK_2)  # the drawer opens once the paper is cut
    assert data.endswith(KICK_2 + b"22")  # ESC p m t1 t2


def test_no_cut_no_kick_when_not_wanted() -> None:
    text = "Receipt\n"
    no_cut = printing.receipt_bytes(text, _config(connection="file", cut=False), kick=True)
    assert CUT not in no_cut and KICK_2 in no_cut
    no_cash = printing.receipt_bytes(text, _config(connection="file"), kick=False)
    assert CUT in no_cash and b"\x1bp" not in no_cash
    drawer_off = printing.receipt_bytes(
        text, _config(connection="file", drawer_kick=False), kick=True
    )
    assert b"\x1bp" not in drawer_off
    pin_5 = printing.receipt_bytes(text, _config(connection="file", drawer_pin=5), kick=True)
    assert KICK_5 in pin_5 and KICK_2 not in pin_5


def test_characters_kept_folded_or_replaced_never_a_crash() -> None:
    """CP858 has é, ü and €; not Ł, ő or a snowman; an ESC in a name is never sent."""
    text = "Crème brûlée 3€\nŁódź Győr ☃ \x1b[2J\x07 “quoted” – ok\n"
    data = printing.receipt_bytes(text, _config(connection="file"), kick=False)
    body = data[len(INIT + CP858) :]
    assert b"Cr\x8ame br\x96l\x82e 3\xd5\n" in body  # è ê... as the code page has them
    assert b'L\xa2dz Gyor ? ?[2J? "quoted" - ok\n' in body  # ó kept; Ł ź ő folded; ☃ "?"
    assert b"\x1b[" not in body and b"\x07" not in body


def test_other_code_page_selected_and_used() -> None:
    """CP437 has no €: it is folded to EUR; é is still 0x82 there."""
    data = printing.receipt_bytes(
        "é 3€\n", _config(connection="file", code_page="CP437"), kick=False
    )
    assert data.startswith(INIT + b"\x1bt\x00") and b"\x82 3EUR\n" in data


def test_unknown_code_page_or_profile_is_refused_in_words() -> None:
    with pytest.raises(PrinterConfigError, match="code_page KOI8 is not one this printer knows"):
        printing.receipt_bytes("x\n", _config(connection="file", code_page="KOI8"), kick=False)
    with pytest.raises(PrinterConfigError, match="profile 'NOPE-1' is not"):
        printing.receipt_bytes("x\n", _config(connection="file", profile="NOPE-1"), kick=False)


def test_narrow_paper_wraps_long_lines() -> None:
    line = "Subtotal" + " " * 27 + "24.90"  # 40 columns
    data = printing.receipt_bytes(line + "\n", _config(connection="file", width=32), kick=False)
    assert b"Subtotal" in data and b"24.90\n" in data
    assert all(len(row) <= 32 for row in data.split(b"\n")[1:-1])


def test_compose_on_a_dummy_is_what_is_sent() -> None:
    """The Dummy printer of the tests and the real device get the same calls."""
    dummy = Dummy()
    printing.compose(dummy, "Café\n", _config(connection="file"), kick=True)
    assert dummy.output == printing.receipt_bytes("Café\n", _config(connection="file"), kick=True)
    dummy.close()


def test_file_printer_gets_the_bytes(tmp_path: Path) -> None:
    lp0 = tmp_path / "lp0"
    config = _config(connection="file", device=str(lp0))
    printing.send(config, "Café 4.50\n", kick=True)
    assert lp0.read_bytes() == printing.receipt_bytes("Café 4.50\n", config, kick=True)


def test_printers_not_there_say_so(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "lp0"
    with pytest.raises(printing.PrinterUnavailable, match=f"printer not found at {missing}$"):
        printing.send(_config(connection="file", device=str(missing)), "x\n", kick=True)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    net = _config(connection="network", host="127.0.0.1", port=port, timeout=2)
    with pytest.raises(printing.PrinterUnavailable, match=f"printer not found at 127.0.0.1:{port}"):
        printing.send(net, "x\n", kick=False)
    serial = _config(connection="serial", device=str(missing))
    with pytest.raises(printing.PrinterUnavailable, match="printer not found at"):
        printing.send(serial, "x\n", kick=False)
    usb = _config(connection="usb", usb_vendor="04b8", usb_product="0202")
    with pytest.raises(printing.PrinterUnavailable, match="USB 04b8:0202"):
        printing.send(usb, "x\n", kick=False)


def test_a_printer_failing_halfway_is_said(tmp_path: Path) -> None:
    """/dev/full: opens, then every write fails (a printer gone or out of paper)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    config = _config(connection="file", device="/dev/full")
    with pytest.raises(printing.PrinterUnavailable, match="printer at /dev/full stopped"):
        printing.send(config, "x\n", kick=False)


# --------------------------------------------------------------------- the service


@pytest.fixture
def store(engine: Engine) -> Store:
    return build_store(engine)


def _cash_sale(engine: Engine, code: str = "3000000000024") -> sales.SaleView:
    with session_scope(engine) as s:
        view = sales.scan_code(s, REG, code).view
        assert view is not None
        sales.add_payment(s, view.id, "cash", tendered=D(50))
        return sales.complete_sale(s, view.id)


def _card_sale(engine: Engine) -> sales.SaleView:
    with session_scope(engine) as s:
        view = sales.scan_code(s, REG, "3000000000017").view
        assert view is not None
        sales.add_payment(s, view.id, "card")
        return sales.complete_sale(s, view.id)


def test_service_prints_kicks_on_cash_and_copies(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    lp0 = tmp_path / "lp0"
    cfg = _write(tmp_path, f'[printer]\nconnection = "file"\ndevice = "{lp0}"\n')
    printer = ReceiptPrinter(lambda: engine, cfg)
    cash = _cash_sale(engine)
    done = printer.print_sale(cash)
    assert done is not None and done.ok and done.note == f"Receipt {cash.receipt_no} printed."
    config = load_printer_config(cfg)
    assert lp0.read_bytes() == printing.receipt_bytes(cash.receipt_text or "", config, kick=True)
    card = _card_sale(engine)
    printer.print_sale(card)
    assert b"\x1bp" not in lp0.read_bytes() and b"Caf\x82 moulu" in lp0.read_bytes()
    # the last receipt of this register, as kept, marked COPY, no drawer
    copy = printer.reprint(REG)
    assert copy.ok and copy.receipt_no == card.receipt_no
    data = lp0.read_bytes()
    assert data.count(b"*** COPY ***") == 2 and b"\x1bp" not in data
    assert printing.mark_copy(card.receipt_text or "").encode("cp858") in data
    # by number, any register's
    assert printer.reprint("other", cash.receipt_no or "").ok
    assert b"\x1bp" not in lp0.read_bytes() and b"Stylo plume" in lp0.read_bytes()


def test_service_says_what_is_missing(engine: Engine, store: Store, tmp_path: Path) -> None:
    none = ReceiptPrinter(lambda: engine, tmp_path / "none.toml")
    sale = _cash_sale(engine)
    assert none.print_sale(sale) is None  # no printer: nothing printed, nothing said
    said = none.reprint(REG)
    assert not said.ok and "no printer is configured" in said.note and not said.retry
    gone = tmp_path / "unplugged" / "lp0"
    cfg = _write(tmp_path, f'[printer]\nconnection = "file"\ndevice = "{gone}"\n')
    printer = ReceiptPrinter(lambda: engine, cfg)
    failed = printer.print_sale(sale)
    assert failed is not None and not failed.ok and failed.retry
    assert failed.note == f"Receipt {sale.receipt_no} not printed: printer not found at {gone}"
    nothing = printer.reprint("empty-till")
    assert not nothing.ok and "has no completed sale yet" in nothing.note
    unknown = printer.reprint(REG, "R9999999")
    assert not unknown.ok and "No completed sale with receipt number" in unknown.note
    with session_scope(engine) as s:  # the sale is complete whatever the paper did
        assert sales.get_sale(s, sale.id).state == "completed"


def test_a_printer_that_never_answers_is_given_up(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    """A device node nobody reads (a FIFO here; a printer out of paper) blocks for ever:
    the cashier hears of it after the deadline, and nothing prints unannounced later."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    cfg = _write(tmp_path, f'[printer]\nconnection = "file"\ndevice = "{fifo}"\ntimeout = 1\n')
    printer = ReceiptPrinter(lambda: engine, cfg)
    sale = _cash_sale(engine)
    stuck = printer.print_sale(sale)
    assert stuck is not None and not stuck.ok and stuck.retry
    assert stuck.note == (
        f"Receipt {sale.receipt_no} not printed: printer at {fifo} did not take the receipt "
        "within 3 s (out of paper, or jammed?)"
    )
    busy = printer.reprint(REG)
    assert not busy.ok and busy.note.endswith("is still busy with an earlier receipt")
    # the printer takes paper again: the stuck receipt comes out whole, then a copy
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    received = bytearray()

    def read_until(expected: bytes) -> bool:
        with contextlib.suppress(BlockingIOError):  # nothing written yet
            received.extend(os.read(reader, 65536))
        return received.endswith(expected)

    try:
        config = load_printer_config(cfg)
        whole = printing.receipt_bytes(sale.receipt_text or "", config, kick=True)
        wait_until_blocking(lambda: read_until(whole), "the stuck receipt")
        assert bytes(received) == whole
        assert printer.reprint(REG).ok
        copy = printing.receipt_bytes(
            printing.mark_copy(sale.receipt_text or ""), config, kick=False
        )
        wait_until_blocking(lambda: read_until(copy), "the copy")
    finally:
        os.close(reader)


# --------------------------------------------------------------------- CLI


def test_cli_test_page_and_reprint(
    engine: Engine,
    db_path: Path,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(tmp_path / "none.toml"))
    assert run_cli(["printer", "test"]) == 1
    assert "no printer is configured" in capsys.readouterr().err
    lp0 = tmp_path / "lp0"
    _write(tmp_path, f'[printer]\nconnection = "file"\ndevice = "{lp0}"\nwidth = 32\n')
    monkeypatch.setenv("TILLTERM_PRINTER_CONFIG", str(tmp_path / "printer.toml"))
    assert run_cli(["printer", "test"]) == 0
    assert "Test page printed." in capsys.readouterr().out
    page = lp0.read_bytes()
    assert page.startswith(INIT + CP858) and b"12345678901234567890123456789012\n" in page
    assert CUT in page and b"\x1bp" not in page
    sale = _cash_sale(engine)
    assert run_cli(["printer", "reprint", "--db", str(db_path), "--register", REG]) == 0
    assert f"Copy of receipt {sale.receipt_no} printed." in capsys.readouterr().out
    assert lp0.read_bytes().count(b"*** COPY ***") == 2
    assert run_cli(["printer", "reprint", "R0000404", "--db", str(db_path)]) == 1
    assert "No completed sale with receipt number" in capsys.readouterr().err
    _write(tmp_path, f'[printer]\nconnection = "file"\ndevice = "{tmp_path}/no/lp0"\n')
    assert run_cli(["printer", "test"]) == 1
    assert f"printer not found at {tmp_path}/no/lp0" in capsys.readouterr().err


def test_escpos_capabilities_cached_in_tillterms_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a new temporary folder per run (python-escpos's default): tillterm's cache."""
    from tillterm.printing import paper

    monkeypatch.delenv(paper.PICKLE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    paper._prepare_escpos()
    assert Path(os.environ[paper.PICKLE_DIR_ENV]) == tmp_path / "cache" / "tillterm" / "escpos"
    assert (tmp_path / "cache" / "tillterm" / "escpos").is_dir()
    monkeypatch.setenv(paper.PICKLE_DIR_ENV, "/chosen")
    paper._prepare_escpos()  # an installer's own choice is kept
    assert os.environ[paper.PICKLE_DIR_ENV] == "/chosen"
