"""The one way a screen runs blocking work: a job off the UI thread, its result or its
failure delivered back as a message, and nothing ever failing silently.

Every screen used to write the same worker by hand ("run in a thread, post Loaded or
Failed"), 33 times. With ``exit_on_error=False`` an exception nobody expected was
swallowed by Textual: the screen's busy flag stayed set and the cashier saw nothing.
Here a job is a plain callable (usually a service call) and two message factories:

- what it returns goes to ``done(result)``, posted to the screen;
- a :class:`~tillterm.core.errors.TilltermError` (a refused email, a locked database)
  goes to ``failed(message)`` when given: the screen says it its own way;
- anything else is a bug: the worker ends in ``ERROR``, the app logs the traceback to
  its log file and tells the cashier in one line (:meth:`TilltermApp.report_job_failure`),
  and the screen's :meth:`JobRunner.job_failed` hook resets its busy state.

Jobs run with ``thread=True, exclusive=True, exit_on_error=False`` and a ``group``:
a newer job of a group cancels the older one's delivery (searches), unless
``exclusive=False`` (changes to a sale queue, they are never cancelled).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

from tillterm.core.errors import TilltermError

if TYPE_CHECKING:
    from tillterm.ui.app import TilltermApp

T = TypeVar("T")


# the mixin is only ever used on DOM nodes (screens, widgets): typed as one, built on none
if TYPE_CHECKING:
    _Node = DOMNode
else:
    _Node = object


class JobRunner(_Node):
    """Mixed into the app's screens (full and modal) and the widgets that load data."""

    def run_job(
        self,
        group: str,
        job: Callable[[], T],
        done: Callable[[T], Message] | None = None,
        failed: Callable[[str], Message] | None = None,
        *,
        exclusive: bool = True,
        description: str = "",
    ) -> Worker[None]:
        """Run ``job`` in a thread of ``group``; post ``done(result)`` or ``failed(text)``.

        ``description`` says in words what the job was doing ("saving the customer"),
        for the line the cashier reads if it fails unexpectedly.
        """

        def body() -> None:
            try:
                result = job()
            except TilltermError as exc:
                if failed is None:
                    raise
                if not get_current_worker().is_cancelled:
                    self.post_message(failed(str(exc)))
                return
            if done is not None and not get_current_worker().is_cancelled:
                self.post_message(done(result))

        worker: Worker[None] = self.run_worker(
            body,
            name=description or group,
            group=group,
            thread=True,
            exclusive=exclusive,
            exit_on_error=False,
        )
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A job ended in ``ERROR``: tell the cashier, log it, reset the busy state."""
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        if error is None:
            return
        app = cast("TilltermApp", self.app)  # DOMNode.app is only an App[Any]
        app.report_job_failure(worker.name or worker.group, error)
        self.job_failed(worker.group, error)

    def job_failed(self, group: str, error: BaseException) -> None:
        """A job of ``group`` failed unexpectedly (already reported and logged).

        Screens with a busy flag, a "Saving…" label or a disabled key override this to
        put the screen back in a usable state. An expected failure never comes here: it
        goes to the job's ``failed`` message.
        """
