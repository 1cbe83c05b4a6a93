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

An action that reads what a running job will change (F9 reads the sale a scan is still
adding to) waits for it with :meth:`JobRunner.after_jobs`; meanwhile ``keys_wait`` is
true, so the keys typed after it wait too (:mod:`tillterm.ui.typeahead`) and reach the
payment box the action opens, not the field under it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

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

    def _deferred(self) -> list[tuple[str, Callable[[], object]]]:
        deferred: list[tuple[str, Callable[[], object]]] | None = self.__dict__.get("_after_jobs")
        if deferred is None:
            deferred = []
            self._after_jobs = deferred
        return deferred

    #: job groups whose results the keys act on (a list being read: Enter picks its
    #: first row); while one runs, keys typed wait for it (``keys_wait``)
    KEYS_WAIT_FOR: ClassVar[frozenset[str]] = frozenset()

    @property
    def keys_wait(self) -> bool:
        """True while an action waits for jobs (:meth:`after_jobs`), or a job of
        :attr:`KEYS_WAIT_FOR` or run with ``holds_keys`` runs: typed keys wait too
        (:mod:`tillterm.ui.typeahead`)."""
        return (
            bool(self._deferred())
            or bool(self._key_holders())
            or any(self.jobs_running(g) for g in self.KEYS_WAIT_FOR)
        )

    def jobs_running(self, group: str) -> bool:
        """True while a job of ``group`` started here has not finished."""
        return any(
            worker.node is self and worker.group == group and not worker.is_finished
            for worker in self.app.workers
        )

    def after_jobs(self, group: str, action: Callable[[], object]) -> bool:
        """Run ``action`` once this node's jobs of ``group`` have finished and what they
        returned has been handled; True when it had to wait (it runs later).

        The result message of a job is posted before the job's worker ends, so by the
        time the action runs the screen shows what the job did (the line just added).
        """
        if not self.jobs_running(group):
            return False
        self._deferred().append((group, action))
        return True

    def run_job(
        self,
        group: str,
        job: Callable[[], T],
        done: Callable[[T], Message | None] | None = None,
        failed: Callable[[str], Message] | None = None,
        *,
        exclusive: bool = True,
        description: str = "",
        holds_keys: bool = False,
    ) -> Worker[None]:
        """Run ``job`` in a thread of ``group``; post ``done(result)`` or ``failed(text)``.

        ``description`` says in words what the job was doing ("saving the customer"),
        for the line the cashier reads if it fails unexpectedly. ``holds_keys``: what it
        returns opens something (completing a sale shows its receipt), so keys typed
        meanwhile wait for it (``keys_wait``) and go to what it opens. ``done`` may
        return ``None``: nothing is posted (the answer was handed over otherwise).
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
                message = done(result)
                if message is not None:
                    self.post_message(message)

        worker: Worker[None] = self.run_worker(
            body,
            name=description or group,
            group=group,
            thread=True,
            exclusive=exclusive,
            exit_on_error=False,
        )
        if holds_keys:
            self._key_holders().append(worker)
        return worker

    def _key_holders(self) -> list[Worker[None]]:
        holders: list[Worker[None]] | None = self.__dict__.get("_holding_keys")
        if holders is None:
            holders = []
            self._holding_keys = holders
        holders[:] = [worker for worker in holders if not worker.is_finished]
        return holders

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A job ended in ``ERROR``: tell the cashier, log it, reset the busy state.

        Any job ending runs the actions that waited for its group (:meth:`after_jobs`).
        """
        if event.worker.is_finished:
            self.call_later(self._run_deferred)
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        if error is None:
            return
        app = cast("TilltermApp", self.app)  # DOMNode.app is only an App[Any]
        app.report_job_failure(worker.name or worker.group, error)
        self.job_failed(worker.group, error)

    def _run_deferred(self) -> None:
        """Run, in order, the waiting actions whose group has no job left running."""
        deferred = self._deferred()
        while deferred and not self.jobs_running(deferred[0][0]):
            _, action = deferred.pop(0)
            action()

    def job_failed(self, group: str, error: BaseException) -> None:
        """A job of ``group`` failed unexpectedly (already reported and logged).

        Screens with a busy flag, a "Saving…" label or a disabled key override this to
        put the screen back in a usable state. An expected failure never comes here: it
        goes to the job's ``failed`` message.
        """
