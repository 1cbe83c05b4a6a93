"""The server goes away: restarted, stopped mid-sale, paused (a partition), or its answer
to a COMMIT lost — on a throwaway PostgreSQL server (``pg_cluster``), never the shared one.

Through the domain (:class:`~tillterm.services.till.Till`) and through the register
screen at 80×24. The outages are short (the retry backoff starts at 0.25 s) and the
answer deadline is the default 2 s unless a test says otherwise.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import wait_until, wait_until_blocking
from pg_cluster import PgCluster, throwaway_cluster
from sales_store import Store, build_store
from screens_data import settle, shown_text
from sqlalchemy import text
from sqlalchemy.engine import Engine
from textual.widgets import Static

from tillterm import sales
from tillterm.core.errors import DatabaseError
from tillterm.services.till import LinkState, Till
from tillterm.store import deadline
from tillterm.store.config import PgTimeouts, resolve_pg_timeouts
from tillterm.store.engine import DatabaseUnreachable, open_db, session_scope
from tillterm.ui.app import TilltermApp
from tillterm.ui.screens.receipt import ReceiptScreen
from tillterm.ui.screens.register import RegisterScreen
from tillterm.ui.widgets.sale_lines import SaleLines

REGISTER = "till-1"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    with throwaway_cluster() as made:
        yield made


@pytest.fixture
def engine(cluster: PgCluster) -> Iterator[Engine]:
    cluster.resume()  # whatever a failed test left
    if not (cluster.data / "postmaster.pid").exists():
        cluster.start()
    url = cluster.create_database(f"t_{uuid.uuid4().hex[:10]}")
    eng = open_db(url)
    yield eng
    cluster.resume()
    eng.dispose()


@pytest.fixture
def store(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("TILLTERM_RECEIPTS", str(tmp_path / "receipts"))
    return build_store(engine)


class Watcher:
    """What a till told its watchers, with when."""

    def __init__(self) -> None:
        self.told: list[tuple[float, LinkState]] = []

    def __call__(self, state: LinkState) -> None:
        self.told.append((time.monotonic(), state))

    def first_unreachable(self) -> float | None:
        return next((at for at, state in self.told if not state.reachable), None)

    def back(self) -> bool:
        return bool(self.told) and self.told[-1][1].reachable


def _till(engine: Engine, tmp_path: Path) -> tuple[Till, Watcher]:
    till = Till(lambda: engine, REGISTER, tmp_path / "receipts")
    watcher = Watcher()
    till.watch_link(watcher)
    return till, watcher


def _in_thread(action: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``action`` in a thread, as a register job does; its result or error lands in
    the dict."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = action()
        except BaseException as exc:  # handed to the test to judge
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _descriptions(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        view = sales.find_open_sale(s, REGISTER)
    return [] if view is None else [line.description for line in view.lines]


def _receipts_taken(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT last_no FROM receipt_counter")).scalar_one())


# --------------------------------------------------------------------------- settings


def test_the_timeouts_reach_the_server(engine: Engine) -> None:
    with engine.connect() as conn:
        shown = {
            name: conn.execute(text(f"SHOW {name}")).scalar()
            for name in (
                "statement_timeout",
                "idle_in_transaction_session_timeout",
                "tcp_keepalives_idle",
                "tcp_keepalives_count",
                "tcp_user_timeout",
            )
        }
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        params = raw.info.get_parameters()
    assert shown == {
        "statement_timeout": "2min",
        "idle_in_transaction_session_timeout": "1min",
        "tcp_keepalives_idle": "1",
        "tcp_keepalives_count": "2",
        "tcp_user_timeout": "3000",
    }
    assert params["connect_timeout"] == "2"
    assert params["keepalives"] == "1" and params["tcp_user_timeout"] == "3000"


def test_timeouts_come_from_the_environment_and_bad_ones_are_refused() -> None:
    assert resolve_pg_timeouts({}) == PgTimeouts()
    changed = resolve_pg_timeouts(
        {
            "TILLTERM_PG_ANSWER_TIMEOUT": "5",
            "TILLTERM_PG_STATEMENT_TIMEOUT": "0",
            "TILLTERM_PG_CONNECT_TIMEOUT": "1",
        }
    )
    assert (changed.answer, changed.statement, changed.connect) == (5.0, 0.0, 2)
    with pytest.raises(DatabaseError, match="TILLTERM_PG_ANSWER_TIMEOUT must be a number"):
        resolve_pg_timeouts({"TILLTERM_PG_ANSWER_TIMEOUT": "soon"})
    with pytest.raises(DatabaseError, match="0 or more"):
        resolve_pg_timeouts({"TILLTERM_PG_DEAD_LINK_TIMEOUT": "-1"})


def test_a_url_parameter_wins_over_the_default(cluster: PgCluster) -> None:
    url = cluster.url() + "?connect_timeout=7&options=-cstatement_timeout%3D9000"
    eng = open_db(url)
    try:
        with eng.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "9s"
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, psycopg.Connection)
            assert raw.info.get_parameters()["connect_timeout"] == "7"
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- the domain


def test_a_restart_between_two_scans_goes_unnoticed(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    till, _watcher = _till(engine, tmp_path)
    till.add_product(store.coffee)
    cluster.restart()  # every pooled connection is now dead
    till.add_product(store.pen)
    till.pay(sales.CASH, None)
    done = till.finish()
    assert [line.description for line in done.sale.lines] == ["Café moulu", "Stylo plume"]
    assert done.sale.receipt_no == "R0000001"


def test_stopped_mid_sale_the_actions_queue_and_land_in_order(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    till, watcher = _till(engine, tmp_path)
    till.add_product(store.coffee)
    cluster.stop()
    first, first_out = _in_thread(lambda: till.add_misc_item(D("2.00"), "gift wrap"))
    wait_until_blocking(watcher.first_unreachable, "the till to say the server is unreachable")
    second, second_out = _in_thread(lambda: till.add_product(store.pen))
    wait_until_blocking(lambda: till.waiting == 1, "the second action to queue")
    third, third_out = _in_thread(lambda: till.add_misc_item(D("0.10"), "bag"))
    wait_until_blocking(lambda: till.waiting == 2, "the third action to queue")
    wait_until_blocking(
        lambda: any(state.waiting == 2 for _at, state in watcher.told),
        "the status to count two actions waiting",
    )
    assert first.is_alive() and second.is_alive() and third.is_alive()  # retrying, queued
    cluster.start()
    for thread in (first, second, third):
        thread.join(15)
    assert not any("error" in out for out in (first_out, second_out, third_out)), (
        first_out,
        second_out,
        third_out,
    )
    assert watcher.back()
    assert _descriptions(engine) == ["Café moulu", "gift wrap", "Stylo plume", "bag"]
    notes = [state.note for _at, state in watcher.told if not state.reachable]
    assert notes[0].startswith("Server unreachable — retrying")
    assert any("2 more actions waiting" in note for note in notes)


def test_a_hung_server_is_noticed_within_3_s_and_the_sale_carries_on(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    till, watcher = _till(engine, tmp_path)
    till.add_product(store.coffee)  # a pooled connection, as on a register in use
    cluster.pause()
    try:
        started = time.monotonic()
        thread, out = _in_thread(lambda: till.add_product(store.pen))
        wait_until_blocking(watcher.first_unreachable, "the till to notice the hung server")
        noticed = (watcher.first_unreachable() or 0) - started
        assert noticed < 3.0, f"noticed after {noticed:.1f} s"
        assert thread.is_alive()
    finally:
        cluster.resume()
    thread.join(15)
    assert "error" not in out, out
    assert watcher.back()
    assert _descriptions(engine) == ["Café moulu", "Stylo plume"]


def test_a_read_fails_with_the_projects_error_not_the_drivers(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    till, _watcher = _till(engine, tmp_path)
    till.search_customers("Mar", 5)
    cluster.pause()
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseUnreachable, match="not answering"):
            till.search_customers("Mar", 5)
        assert time.monotonic() - started < 3.0
    finally:
        cluster.resume()
    cluster.stop()
    try:
        with pytest.raises(DatabaseUnreachable, match="cannot be reached"):
            till.search_customers("Mar", 5)
    finally:
        cluster.start()
    assert [c.display_name for c in till.search_customers("Marie", 5)] == ["Marie Dubois"]


def test_claiming_the_register_on_a_stopped_server_says_so_in_words(
    engine: Engine, cluster: PgCluster, tmp_path: Path
) -> None:
    till, _watcher = _till(engine, tmp_path)
    cluster.stop()
    try:
        with pytest.raises(DatabaseUnreachable) as caught:
            till.claim(REGISTER)
    finally:
        cluster.start()
    said = str(caught.value)
    assert said == (
        f"Cannot check whether register {REGISTER} is open elsewhere: "
        "the database server cannot be reached"
    )
    claim = till.claim(REGISTER)
    assert claim is not None
    claim.release()


def _lose_the_next_commit_answer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The next COMMIT reaches the server and commits there; its answer never comes back.

    Killing a server between its commit and its reply cannot be timed from a test, so
    the driver does what the register would see: the real COMMIT runs (the server has
    committed), then the connection is closed and the same error as a dropped link is
    raised, as if the reply had been lost on the way.
    """
    bounded = deadline._connection_class()
    real_commit = bounded.commit
    lost: list[str] = []

    def commit(self: Any) -> None:
        real_commit(self)
        if not lost:
            lost.append("lost")
            self.pgconn.finish()
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(bounded, "commit", commit)
    return lost


def test_a_completion_whose_answer_was_lost_completes_once(
    engine: Engine, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    till, watcher = _till(engine, tmp_path)
    till.attach_customer(store.marie)
    till.add_product(store.pen)
    till.pay(sales.CASH, None)
    lost = _lose_the_next_commit_answer(monkeypatch)
    done = till.finish()
    assert lost == ["lost"]  # the first attempt's answer was lost; the retry found the sale
    assert watcher.first_unreachable() is not None and watcher.back()
    assert done.sale.state == sales.COMPLETED and done.sale.receipt_no == "R0000001"
    assert _receipts_taken(engine) == 1  # a second completion would have taken R0000002
    with engine.connect() as conn:
        earned = conn.execute(
            text("SELECT count(*) FROM loyalty_entry WHERE sale_id = :id"), {"id": done.sale.id}
        ).scalar()
        completed = conn.execute(text("SELECT count(*) FROM sale WHERE state = 'completed'"))
        assert (earned, completed.scalar()) == (1, 1)
    assert till.sale_id is None  # the register moves on to a new sale
    assert (tmp_path / "receipts").rglob("R0000001.txt")


def test_a_completion_cut_off_by_the_server_half_way_is_done_again_once(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    """The server ends the register's session in the middle of a completion (after the
    sale row is locked, as the receipt number is taken): that transaction is rolled
    back, so the retry completes the sale — once, with the first receipt number."""
    from sqlalchemy import event

    till, watcher = _till(engine, tmp_path)
    till.attach_customer(store.marie)
    till.add_product(store.pen)
    till.pay(sales.CASH, None)
    cut: list[int] = []

    def terminate(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if cut or "receipt_counter" not in statement:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        cut.append(pid)
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", autocommit=True
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 2000)", (pid,))

    event.listen(engine, "before_cursor_execute", terminate)
    try:
        done = till.finish()
    finally:
        event.remove(engine, "before_cursor_execute", terminate)
    assert cut  # the session really was cut off half-way
    assert watcher.first_unreachable() is not None and watcher.back()
    assert done.sale.state == sales.COMPLETED and done.sale.receipt_no == "R0000001"
    assert _receipts_taken(engine) == 1
    with engine.connect() as conn:
        earned = conn.execute(text("SELECT count(*) FROM loyalty_entry")).scalar()
    assert earned == 1


def test_a_scan_whose_answer_was_lost_is_added_once(
    engine: Engine, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    till, _watcher = _till(engine, tmp_path)
    till.enter("3000000000017", typed=False)
    _lose_the_next_commit_answer(monkeypatch)
    outcome = till.enter("3000000000024", typed=False)
    assert outcome.view is not None
    assert [(line.description, line.quantity) for line in outcome.view.lines] == [
        ("Café moulu", 1),
        ("Stylo plume", 1),
    ]
    assert _descriptions(engine) == ["Café moulu", "Stylo plume"]


# --------------------------------------------------------------------------- the register


def _status(app: TilltermApp) -> str:
    return str(app.screen.query_one("#register-status", Static).render())


def _rows(app: TilltermApp) -> list[str]:
    table = app.screen.query_one("#sale-lines", SaleLines)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def _scan(pilot: Any, code: str) -> None:
    await pilot.press(*code, "enter")


async def test_the_register_says_so_keeps_the_sale_and_completes_after_the_restart(
    engine: Engine, store: Store, cluster: PgCluster
) -> None:
    app = TilltermApp(engine, register=REGISTER, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        await _scan(pilot, "3000000000017")
        await settle(pilot)
        assert _rows(app) == ["Café moulu"]
        cluster.pause()  # hung: the worst case, nothing refuses, nothing answers
        try:
            started = time.monotonic()
            await _scan(pilot, "3000000000024")
            await wait_until(
                pilot,
                lambda: "server unreachable — retrying" in _status(app).lower(),
                lambda: f"the status line to say so (it says {_status(app)!r})",
            )
            assert time.monotonic() - started < 3.0
            assert _rows(app) == ["Café moulu"]  # the sale stays on screen
        finally:
            cluster.resume()
        cluster.restart()  # and then it restarts: the pooled connections are dead too
        await wait_until(pilot, lambda: _rows(app) == ["Café moulu", "Stylo plume"], "the scan")
        assert "unreachable" not in _status(app)
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("f3")  # card, the amount due
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ReceiptScreen), "the sale to complete"
        )
        assert "R0000001" in shown_text(app, "#receipt-text")
    assert _receipts_taken(engine) == 1


async def test_a_payment_taken_while_the_server_hangs_is_told_and_taken_once(
    engine: Engine, store: Store, cluster: PgCluster
) -> None:
    """The payment window hides the status line: a notification says it instead."""
    from tillterm.ui.screens.payment import PaymentScreen

    app = TilltermApp(engine, register=REGISTER, scanner=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await _scan(pilot, "3000000000024")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        cluster.pause()
        try:
            started = time.monotonic()
            await pilot.press("f3")  # card, the amount due
            await wait_until(
                pilot,
                lambda: any("Server unreachable" in n.message for n in app._notifications),
                "a notification over the payment window",
            )
            assert time.monotonic() - started < 3.0
        finally:
            cluster.resume()
        await wait_until(
            pilot,
            lambda: any("Server back" in n.message for n in app._notifications),
            "the notification that the server is back",
        )
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ReceiptScreen), "the sale to complete"
        )
    with engine.connect() as conn:
        payments = conn.execute(text("SELECT method, amount_cents FROM payment")).all()
    assert [tuple(p) for p in payments] == [("card", 2490)]
    assert _receipts_taken(engine) == 1


def test_closing_the_register_stops_the_retries(
    engine: Engine, store: Store, cluster: PgCluster, tmp_path: Path
) -> None:
    """Quitting while the server is gone ends the retrying thread (it would keep the
    process alive until the server came back), saying the action was not saved."""
    till, watcher = _till(engine, tmp_path)
    till.add_product(store.coffee)
    cluster.pause()
    try:
        thread, out = _in_thread(lambda: till.add_product(store.pen))
        queued, queued_out = _in_thread(lambda: till.add_product(store.pen))
        wait_until_blocking(watcher.first_unreachable, "the till to notice the hung server")
        till.close()
        thread.join(5)
        queued.join(5)
        assert not thread.is_alive() and not queued.is_alive()
    finally:
        cluster.resume()
    for result in (out, queued_out):
        assert isinstance(result.get("error"), DatabaseUnreachable)
        assert "was not saved" in str(result["error"])
    assert _descriptions(engine) == ["Café moulu"]


async def test_quitting_while_the_server_hangs_is_prompt_and_closes_the_till(
    engine: Engine, store: Store, cluster: PgCluster
) -> None:
    """Ctrl+Q with a scan being retried and the register's name held on the hung server:
    the retries stop and letting go of the name waits no longer than an action would."""
    app = TilltermApp(engine, register=REGISTER, scanner=False)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            till = app.services.till
            cluster.pause()
            await _scan(pilot, "3000000000017")
            await wait_until(
                pilot, lambda: "unreachable" in _status(app), "the status line to say so"
            )
            assert not till.closed
            started = time.monotonic()
            await pilot.press("ctrl+q")
        quitting = time.monotonic() - started
    finally:
        cluster.resume()
    assert till.closed
    assert quitting < 4.0, f"quitting took {quitting:.1f} s"


# --------------------------------------------------------------------------- the name


def test_after_a_restart_the_register_holds_its_name_again(
    engine: Engine, cluster: PgCluster, tmp_path: Path
) -> None:
    till, _watcher = _till(engine, tmp_path)
    claim = till.claim(REGISTER)
    assert claim is not None and claim.held()
    assert till.reclaim(claim) is claim  # nothing happened: the same hold
    other = Till(lambda: engine, REGISTER, tmp_path / "other")
    assert other.claim(REGISTER) is None
    cluster.restart()  # every session ends: the name is free for anyone
    assert not claim.held()
    kept = till.reclaim(claim)
    assert kept is not None and kept is not claim and kept.held()
    assert other.claim(REGISTER) is None  # held again: a second register is refused
    kept.release()


def test_a_name_taken_while_the_server_restarted_is_told(
    engine: Engine, cluster: PgCluster, tmp_path: Path
) -> None:
    till, _watcher = _till(engine, tmp_path)
    claim = till.claim(REGISTER)
    assert claim is not None
    cluster.restart()
    other = Till(lambda: engine, REGISTER, tmp_path / "other")
    taken = other.claim(REGISTER)  # another session got in first
    assert taken is not None
    assert till.reclaim(claim) is None
    taken.release()


async def test_the_register_holds_its_name_again_after_a_silent_restart(
    engine: Engine,
    store: Store,
    cluster: PgCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restart between two scans goes unnoticed by the till, but it let the name go:
    the register's regular check takes it again before another session can."""
    from tillterm.ui.screens import register

    monkeypatch.setattr(register, "CLAIM_CHECK_S", 0.2)
    other = Till(lambda: engine, REGISTER, tmp_path / "other")
    app = TilltermApp(engine, register=REGISTER, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RegisterScreen)
        assert other.claim(REGISTER) is None
        screen = app.screen
        before = screen._claim
        assert before is not None
        cluster.restart()
        await wait_until(
            pilot,
            lambda: screen._claim is not before,
            "the register to hold its name again",
            timeout=10,
        )
        assert screen._claim is not None and screen._claim.held()
        assert other.claim(REGISTER) is None  # a second register is refused again
        assert isinstance(app.screen, RegisterScreen)
