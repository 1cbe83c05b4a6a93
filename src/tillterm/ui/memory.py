"""What keeps the app's memory from growing and its garbage collections short.

Python's full collection walks every object the process holds; on a store machine that
is about a microsecond an object (a fresh app holds some 110,000 after start-up: the
ORM, polars, Textual), and a full collection ran for 150–480 ms in the middle of a
screen's opening, as often as one opening in seven (``bench/bench_screens.py``,
issue 17). Two causes, two cures:

- **Closed screens were kept alive.** Textual runs a thread worker through the event
  loop's default executor and marks it as the thread's current worker in the thread's
  own context, which outlives the job: each pool thread kept the last worker it ran,
  the worker its screen, the screen every widget and row it showed. :class:`JobThreads`
  runs each job in a context of its own, dropped with the job.
- **Widgets removed were kept by what they watched.** Textual keeps a watcher of a
  reactive value (``watch``, ``data_bind``) until that value changes, and forgets the
  removed ones only then: the register's footer, rebuilt as its keys change, kept every
  key it ever showed through its own ``compact`` (which never changes), and each title
  bar stayed on the app's ``title`` after its screen closed. :func:`forget_watchers`
  drops them as they go.
- **Textual's ``StylesCache.get_inner_outer`` is cached per instance** (an
  ``lru_cache`` on a method): it kept the style caches of the last 1,024 widgets drawn,
  removed or not, with every line they had drawn (some 1,700 lines and 12,000 small
  caches for one tour of the back office). :func:`forget_removed_widgets` empties it
  as a screen closes or the footer is rebuilt.
- **Start-up's objects were walked again at every full collection.** They live as long
  as the app: :func:`freeze_start_up` moves them out of the collector's sight, once the
  register is up.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from textual._styles_cache import StylesCache

if TYPE_CHECKING:
    from textual.dom import DOMNode

T = TypeVar("T")

_pools: WeakKeyDictionary[asyncio.AbstractEventLoop, JobThreads] = WeakKeyDictionary()


class JobThreads(ThreadPoolExecutor):
    """A thread pool that runs every job in a fresh context, forgotten when it ends."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(contextvars.Context().run, fn, *args, **kwargs)


def use_job_threads(loop: asyncio.AbstractEventLoop) -> None:
    """Make :class:`JobThreads` the default executor of ``loop`` (once per loop: an app
    started again on the same loop, as tests do, shares it)."""
    if loop not in _pools:
        pool = JobThreads(thread_name_prefix="tillterm-job")
        loop.set_default_executor(pool)
        _pools[loop] = pool


_frozen = False


def freeze_start_up() -> None:
    """Leave what start-up made out of every later full collection (once a process).

    Only for the app run in a terminal: a process that starts apps one after another
    (the tests) would keep the first one's objects, cycles and all, for good."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def forget_removed_widgets() -> None:
    """Widgets were removed (a screen closed, a footer rebuilt): Textual's style cache
    lets go of them and of the lines they drew."""
    clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
    if clear is not None:  # a later Textual may cache it otherwise (tests/test_memory.py)
        clear()


def forget_watchers(owner: DOMNode, gone: Callable[[DOMNode], bool]) -> None:
    """Drop the watchers of ``owner``'s reactive values set up by nodes ``gone`` says
    are removed (Textual keeps them in ``owner``'s ``__watchers``, by attribute, as
    (node, callback) pairs: ``tests/test_memory.py`` fails if that changes)."""
    watchers: dict[str, list[tuple[DOMNode, object]]] = getattr(owner, "__watchers", {})
    for name, entries in watchers.items():
        watchers[name] = [(node, callback) for node, callback in entries if not gone(node)]
