"""Export the Customers screen's current view (search text + filters) to a CSV file.

A stopgap until the spreadsheet exporter (``tillterm.spreadsheet``) lands: it writes
every field of :class:`~tillterm.customers.CustomerRecord` that a person can type, with
the matching customers found by the core's own search, so what is exported is exactly
what the screen lists. The file is written next to its destination and renamed into
place, so a failed export never leaves half a file where the person expects one.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sqlmodel import Session

from tillterm.customers import CustomerRecord, get_customer, search_customers
from tillterm.errors import TilltermError

PAGE = 1000

#: CustomerRecord fields that are internal ids or derived (not useful in a file)
_SKIP = {"id", "group_id", "tax_rate_id", "updated_at", "archived_at"}


class ExportFailed(TilltermError):
    """The export file could not be written."""


def export_columns() -> list[str]:
    names = [f.name for f in dataclasses.fields(CustomerRecord) if f.name not in _SKIP]
    return names


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def _matching_ids(session: Session, text: str, filters: Mapping[str, object]) -> Iterator[int]:
    offset = 0
    while True:
        page = search_customers(session, text, limit=PAGE, offset=offset, **filters)
        yield from (row.id for row in page)
        if len(page) < PAGE:
            return
        offset += PAGE


def check_destination(path: Path) -> Path:
    """The absolute destination, or :class:`ExportFailed` saying why it cannot be used."""
    target = path.expanduser()
    if not target.is_absolute():
        target = Path.cwd() / target
    if target.is_dir():
        raise ExportFailed(f"{target} is a folder; give a file name such as customers.csv.")
    if not target.parent.is_dir():
        raise ExportFailed(f"Cannot export to {target}: the folder {target.parent} does not exist.")
    if not os.access(target.parent, os.W_OK):
        raise ExportFailed(f"Cannot export to {target}: the folder is not writable.")
    return target


def export_customers_csv(
    session: Session,
    path: Path,
    text: str = "",
    filters: Mapping[str, object] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the customers matching ``text`` and ``filters`` to ``path``; return how many."""
    target = check_destination(path)
    columns = export_columns()
    count = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".tillterm-export-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for customer_id in _matching_ids(session, text, filters or {}):
                record = get_customer(session, customer_id)
                writer.writerow([_cell(getattr(record, name)) for name in columns])
                count += 1
                if progress and count % PAGE == 0:
                    progress(count)
        os.replace(tmp_name, target)
    except OSError as exc:
        raise ExportFailed(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return count
