"""Customer spreadsheets in and out: the use cases the Import screen (F5) and the
``tillterm import`` / ``tillterm export`` commands share.

Check a file (a dry run: read, check, report; nothing written), apply a checked file
(one transaction, all or nothing), save the annotated copy, export customers. Each call
owns its transactions and whatever child process it spawns (a workbook's reader, the
export's native reader), and ends them, whether it returns, fails or is cancelled.

What the person can act on is a :class:`~tillterm.core.errors.TilltermError` (a file that
cannot be read, an import cancelled, a copy that would replace a file, a locked
database). A native engine's panic (pyo3's ``PanicException``) derives from
``BaseException``: it is raised again as :class:`EngineFailure`, an ordinary
``Exception``, so that the screen's worker and the command report it like any other
unexpected error instead of letting it escape the worker. Nothing here imports polars or
SQLAlchemy before a call needs them: the CLI's ``--help`` and the app's start stay light.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tillterm.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.spreadsheet.import_report import ImportReport, ImportResult, ProgressCallback
    from tillterm.spreadsheet.mapping import Override
    from tillterm.spreadsheet.opening import Reversal


class EngineFailure(RuntimeError):
    """A native engine panicked while reading or writing a spreadsheet (a bug, not the
    person's doing): reported and logged as an unexpected error, never swallowed."""


@contextmanager
def _panics_raised_as_errors() -> Iterator[None]:
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception:
        raise
    except BaseException as exc:  # pyo3's PanicException is no Exception
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise EngineFailure(f"{type(exc).__name__}: {line}") from exc


@dataclass(frozen=True)
class ExportFilter:
    """Which customers an export holds: the Customers screen's filters, by name."""

    query: str = ""
    #: a group's name; ``""`` means customers in no group, ``None`` any group
    group: str | None = None
    tags_all: Sequence[str] = ()
    tags_none: Sequence[str] = ()
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    include_archived: bool = False


@dataclass(frozen=True)
class Imports:
    """Import and export on one database (``engine`` is waited for, as in ``Services``)."""

    engine: Callable[[], Engine]

    def check(
        self,
        path: str | os.PathLike[str],
        *,
        overrides: Sequence[Override] = (),
        create_groups: bool = False,
        opening_balances: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Read and check the whole file; write nothing.

        ``overrides`` are the person's choice of field for some columns (``-``: not
        imported), laid over the mapping guessed from the headers; a column or field
        they name that does not exist is a ``MappingError``. With ``create_groups``, a
        group the store lacks is created by the apply instead of being an error. With
        ``opening_balances`` the old system's loyalty and account balances (read-only
        columns otherwise) become dated opening ledger entries of this import, which
        :meth:`reverse_opening_balances` takes back. ``progress`` is told how far the
        check is and may raise (``ImportCancelled``) to stop it: a workbook's reader
        process is killed, the checked rows deleted.
        """
        from tillterm.spreadsheet.importing import check_import

        with _panics_raised_as_errors():
            return check_import(
                self.engine(),
                path,
                overrides=overrides,
                create_groups=create_groups,
                opening_balances=opening_balances,
                progress=progress,
            )

    def reverse_opening_balances(self, number: int) -> Reversal:
        """Take back the opening balances of opening-balance import ``number``: one
        opposite entry, dated now, for each of its entries, in one transaction.

        Balances are sums of entries and what was printed is never rewritten, so the
        import's entries stay and the reversal stands beside them. Refused
        (``ReversalRefused``) when there is no such import or it was reversed already.
        """
        from tillterm.spreadsheet.opening import reverse_opening_entries
        from tillterm.store.engine import begin_write, session_scope

        with session_scope(self.engine()) as session:
            conn = session.connection()
            begin_write(conn)
            return reverse_opening_entries(conn, number)

    @staticmethod
    def parse_override(text: str) -> Override:
        """``"Header=field"`` or ``"Header=-"`` as typed after ``--map``."""
        from tillterm.spreadsheet.mapping import parse_override

        return parse_override(text)

    def apply(
        self,
        report: ImportReport,
        *,
        allow_warnings: bool = False,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Write a checked file in one transaction; any failure or cancel rolls it all back.

        Refused (``ImportBlocked``) while the report has errors, or warnings that
        ``allow_warnings`` does not accept.
        """
        from tillterm.spreadsheet.importing import apply_import

        with _panics_raised_as_errors():
            return apply_import(
                self.engine(), report, allow_warnings=allow_warnings, progress=progress
            )

    @staticmethod
    def annotated_target(report: ImportReport, out: str | os.PathLike[str] | None = None) -> Path:
        """Where :meth:`save_annotated` writes (beside the file unless ``out``)."""
        from tillterm.spreadsheet.annotate import annotated_target

        return annotated_target(report, out)

    @staticmethod
    def refuse_existing_annotated(
        file: str | os.PathLike[str], out: str | os.PathLike[str]
    ) -> None:
        """Raise ``OutputExists`` if the annotated copy of ``file`` named ``out`` would
        replace a file: said before a long check, not after it."""
        from tillterm.store.private_files import OutputExists

        target = Path(out)
        named = [target]
        if Path(file).suffix.lower() != ".csv" and target.suffix.lower() != ".xlsx":
            named.append(target.with_suffix(".xlsx"))
        for path in named:
            if path.exists() or path.is_symlink():
                raise OutputExists(
                    _("{path} already exists; choose another name or replace it.").format(path=path)
                )

    def save_annotated(
        self,
        report: ImportReport,
        out: str | os.PathLike[str] | None = None,
        *,
        overwrite: bool = False,
        poll: Callable[[], None] | None = None,
    ) -> Path:
        """Write the checked file with a column saying what to fix (private, 0600).

        An existing file is replaced only with ``overwrite``; ``poll`` may raise to stop.
        """
        from tillterm.spreadsheet.annotate import write_annotated

        with _panics_raised_as_errors():
            return write_annotated(report, out, overwrite=overwrite, poll=poll)

    def export(
        self,
        path: str | os.PathLike[str],
        selection: ExportFilter | None = None,
        *,
        overwrite: bool = False,
    ) -> int:
        """Write the customers ``selection`` names to ``.csv`` or ``.xlsx``; their count.

        The selection is resolved in its own read transaction; the file is written
        whole or not at all, and replaces one only with ``overwrite``.
        """
        from tillterm.spreadsheet.export import export_customers, filtered_ids
        from tillterm.store.engine import session_scope

        chosen = selection or ExportFilter()
        engine = self.engine()
        with _panics_raised_as_errors():
            with session_scope(engine) as session:
                ids = filtered_ids(
                    session,
                    chosen.query,
                    group=chosen.group,
                    tags_all=chosen.tags_all,
                    tags_none=chosen.tags_none,
                    created_from=chosen.created_from,
                    created_to=chosen.created_to,
                    include_archived=chosen.include_archived,
                )
            return export_customers(
                engine,
                Path(path).expanduser(),
                ids=ids,
                include_archived=chosen.include_archived,
                overwrite=overwrite,
            )


__all__ = ["EngineFailure", "ExportFilter", "Imports"]
