"""A screen closed is freed (``tillterm.ui.memory``): a till opens screens all day, and
what a closed screen leaves behind grows every full garbage collection, a pause the
cashier sees (150–480 ms on a store machine before these fixes, issue 17).

Each test keeps a weak reference to what should go and asserts it went after a
collection: the thread pool's contexts, the footer's old keys, the title bars on the
app's title and Textual's per-instance style cache each kept it before."""

from __future__ import annotations

import contextvars
import gc
import subprocess
import sys
import weakref
from typing import Any

from screens_data import settle
from textual._styles_cache import StylesCache
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from tests.conftest import Drive, wait_until
from tillterm.ui.memory import JobThreads
from tillterm.ui.screens.custom_fields import CustomFieldsScreen
from tillterm.ui.screens.tax_rates import TaxRatesScreen
from tillterm.ui.widgets.key_footer import KeyFooter
from tillterm.ui.widgets.title_bar import TitleBar


def _alive(kind: type[object]) -> list[Any]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, kind)]


def _detached(app: Any, kind: type[object]) -> int:
    """How many ``kind`` widgets are alive outside the app's screens (the compositor
    keeps the last frame's own until the next layout: a few, never more; and other
    apps' in this process, until Textual's caches let them go)."""
    attached: set[int] = set()
    for stack in app._screen_stacks.values():
        for screen in stack:
            attached |= {id(w) for w in screen.walk_children()} | {id(screen)}
    return sum(1 for w in _alive(Widget) if isinstance(w, kind) and id(w) not in attached)


async def _tour(app: Any, pilot: Any, closed: list[weakref.ref[Any]]) -> None:
    """F11, Tax rates, back, Custom fields, back, back to the register."""
    await pilot.press("f11")
    for key, kind in (("2", TaxRatesScreen), ("4", CustomFieldsScreen)):
        await pilot.press(key)
        await wait_until(pilot, lambda kind=kind: isinstance(app.screen, kind), kind.__name__)
        await settle(pilot)  # its read ran in a pool thread
        closed.append(weakref.ref(app.screen))
        await pilot.press("escape")
        await settle(pilot)
    await pilot.press("escape")
    await settle(pilot)


async def test_closed_screens_and_what_they_drew_are_freed(drive: Drive) -> None:
    async with drive() as (app, pilot):
        await settle(pilot)
        closed: list[weakref.ref[Any]] = []
        await _tour(app, pilot, closed)
        gc.collect()
        assert [ref() for ref in closed] == [None, None], "a closed screen is kept alive"
        # measured after a first tour, not before: what earlier apps of this process
        # left in Textual's caches is let go as the first screen closes
        keys, bars = _detached(app, FooterKey), _detached(app, TitleBar)
        orphans = _orphan_style_caches()
        for _ in range(3):
            await _tour(app, pilot, closed)
        gc.collect()
        assert [ref() for ref in closed] == [None] * 8
        assert _detached(app, TitleBar) <= bars, "closed screens' title bars are kept"
        assert _detached(app, FooterKey) <= keys, "closed screens' footer keys are kept"
        # the register's footer rebuilt (as its keys change with the sale): the old
        # keys are not kept by the footer's own ``compact`` they watched
        footer = app.screen.query_one(KeyFooter)
        for _ in range(3):
            footer.refresh(recompose=True)
            await settle(pilot)
        assert _detached(app, FooterKey) <= keys
        assert _orphan_style_caches() <= orphans, "style caches of removed widgets kept"


def _orphan_style_caches() -> int:
    owned = {id(w._styles_cache) for w in _alive(Widget)}
    return sum(1 for cache in _alive(StylesCache) if id(cache) not in owned)


def test_each_job_runs_in_a_context_of_its_own() -> None:
    """What a job sets in its context (Textual: the thread's current worker, and with
    it its screen) is gone when the job ends, though the thread stays."""
    mark: contextvars.ContextVar[object] = contextvars.ContextVar("mark", default=None)

    def first() -> None:
        mark.set(object())

    with JobThreads(max_workers=1) as pool:
        pool.submit(first).result()
        assert pool.submit(mark.get).result() is None


def test_start_up_is_frozen_once() -> None:
    """In a process of its own: freezing the test process would keep every later test's
    first app for good."""
    code = (
        "import gc; from tillterm.ui.memory import freeze_start_up\n"
        "freeze_start_up(); first = gc.get_freeze_count(); x = [[] for _ in range(100)]\n"
        "freeze_start_up(); print(first > 1000, gc.get_freeze_count() == first)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["True", "True"]
