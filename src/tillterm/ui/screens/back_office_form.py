"""What the back office's small forms (a tax rate, a custom field) share.

Ctrl+S saves in a worker that is never cancelled (a write's answer always comes); a
refusal from the domain lands under its field and what was typed stays; an unexpected
failure leaves the form as typed and says so; Esc asks before throwing typing away.
Each form says how it reads its fields and what saving calls; the rest is here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, Static

from tillterm.i18n import _
from tillterm.services.back_office import Refused
from tillterm.ui.plain import plain
from tillterm.ui.screens.base import TillModal
from tillterm.ui.screens.confirm import ask_to_discard
from tillterm.ui.widgets.form_row import show_errors

R = TypeVar("R")


class BackOfficeForm(TillModal[R | None], Generic[R]):
    """Dismisses with the saved record, or ``None`` on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), priority=True),
        Binding("escape", "cancel", _("Cancel")),
    ]
    #: the id prefix of the form's box and status line ("tax-form")
    FORM: ClassVar[str] = ""
    #: what a save does, for the line read if it fails unexpectedly ("saving the tax rate")
    WHAT: ClassVar[str] = ""

    @dataclass
    class Saved(Message):
        record: Any

    @dataclass
    class Invalid(Message):
        errors: Mapping[str, str]

    def __init__(self) -> None:
        super().__init__()
        self._saving = False
        self._initial: object = None

    def _values(self) -> object:
        """What is typed now (compared with what was there, for Esc)."""
        raise NotImplementedError

    def _saver(self) -> Callable[[], R | Refused]:
        """The save, with the values read now (it runs in a worker: no widgets there)."""
        raise NotImplementedError

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True

        def answered(outcome: R | Refused) -> Message:
            if isinstance(outcome, Refused):
                return self.Invalid(outcome.errors)
            return self.Saved(outcome)

        self.run_job(
            f"{self.FORM}-save",
            self._saver(),
            answered,
            lambda error: self.Invalid({"": _("Not saved: {error}").format(error=error)}),
            exclusive=False,  # a write is never cancelled: its answer always comes
            description=self.WHAT,
        )

    def job_failed(self, group: str, error: BaseException) -> None:
        """An unexpected failure (told and logged by the app): the form stays as typed."""
        if group == f"{self.FORM}-save":
            self._saving = False
            self._status(_("Not saved: an unexpected error (see the log). Ctrl+S tries again."))

    @on(Invalid)
    def _invalid(self, message: Invalid) -> None:
        self._saving = False
        unplaced = show_errors(self.query_one(f"#{self.FORM}-box"), message.errors)
        self._status(" ".join(unplaced) or _("Not saved: correct what is marked."))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.dismiss(message.record)

    def action_cancel(self) -> None:
        ask_to_discard(self, self._values() != self._initial, lambda: self.dismiss(None))

    def _status(self, text: str) -> None:
        self.query_one(f"#{self.FORM}-status", Static).update(plain(text))
