"""Formula neutralising: an exported cell never runs as a formula, yet reads back.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, in some,
tab or carriage return) as a formula: a customer named ``=HYPERLINK(...)`` must not
become a link in the manager's Excel. Export puts a single quote in front of such a
cell; import takes exactly one off. Cells that already start with quotes followed by one
of those characters get one more quote on export, so the mapping is reversible for
every text ("'=x" exports as "''=x" and imports back as "'=x").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

TRIGGERS = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")
NEEDS_QUOTE_PATTERN = r"^'*[=+\-@\t\r]"
QUOTED_PATTERN = r"^'+[=+\-@\t\r]"


def neutralise(value: str) -> str:
    """The cell as exported."""
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore(value: str) -> str:
    """The cell as imported (inverse of :func:`neutralise`)."""
    return value[1:] if _QUOTED.match(value) else value


def neutralise_expr(column: pl.Expr) -> pl.Expr:
    """:func:`neutralise` for a whole polars string column."""
    import polars as pl

    return (
        pl.when(column.str.contains(NEEDS_QUOTE_PATTERN))
        .then(pl.lit("'") + column)
        .otherwise(column)
    )


def restore_expr(column: pl.Expr) -> pl.Expr:
    """:func:`restore` for a whole polars string column."""
    import polars as pl

    return pl.when(column.str.contains(QUOTED_PATTERN)).then(column.str.slice(1)).otherwise(column)
