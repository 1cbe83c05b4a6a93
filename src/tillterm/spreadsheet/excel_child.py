"""Read an Excel workbook's first sheet in a child process with a memory ceiling.

The Excel engine (fastexcel over calamine, in Rust) trusts the file: a hostile or damaged
workbook can make it allocate gigabytes, panic (pyo3's ``PanicException`` derives from
``BaseException``) or abort the whole process. ``tillterm.spreadsheet.reading`` checks
the file's declared sizes before this runs; this is the wall behind those checks. The
child gets an address-space limit (``RLIMIT_AS``), writes the sheet as Arrow IPC into a
private folder the parent made, and prints the sheet's name. Whatever goes wrong, the
register's own process keeps its memory, and a person can cancel the read (the parent
kills the child).

Run as ``python -m tillterm.spreadsheet.excel_child FILE OUT.arrow LIMIT_BYTES``.
Exit status: 0 read (sheet name on stdout), 3 no sheet, 4 out of memory, 1 the engine
refused the file (its first line on stderr).
"""

from __future__ import annotations

import sys

EXIT_READ, EXIT_ENGINE, EXIT_NO_SHEET, EXIT_MEMORY = 0, 1, 3, 4


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def main(argv: list[str]) -> int:
    import resource

    path, out, limit = argv[0], argv[1], int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        import fastexcel

        reader = fastexcel.read_excel(path)
        names = reader.sheet_names
        if not names:
            return EXIT_NO_SHEET
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        columns = sheet.available_columns()
        first_column = columns[0].absolute_index if columns else 0
        frame = sheet.to_polars()
        frame.write_ipc(out)
    except MemoryError:
        return EXIT_MEMORY
    except BaseException as exc:  # the engine's panics are BaseExceptions
        if "memory" in str(exc).lower() and "alloc" in str(exc).lower():
            return EXIT_MEMORY
        print(_first_line(exc), file=sys.stderr)
        return EXIT_ENGINE
    print(names[0])
    print(first_column)
    return EXIT_READ


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
