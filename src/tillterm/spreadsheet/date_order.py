"""Day-first or month-first: decided once per column, never guessed row by row.

``03/04/1980`` is 3 April in Europe and March 4 in Outlook's export. Reading each cell on
its own would put some birthdays in the wrong month without a word. So the order is
decided for the whole column: any date whose first part is over 12 settles day-first,
any whose second part is over 12 settles month-first; when no value settles it, the
source's convention (Outlook writes month-first) and then the store's locale decide,
and the summary says so ("dates in ‘Birthday’ read as day/month"). A column where both
kinds occur follows the larger number; the others are flagged row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tillterm.i18n import N_, _
from tillterm.i18n.formats import whole

if TYPE_CHECKING:
    import polars as pl

DMY, MDY = "dmy", "mdy"
#: the store's default when nothing else decides (its customers write dates day first)
LOCALE_DEFAULT = DMY
#: day/month/year with slashes, dots or dashes (a year of 2 or 4 digits)
PARTS = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]0{1,2}:00(?::00)?)?$"
_PARTS = re.compile(PARTS)
#: what systems write for "no date": Outlook's 0/0/00, MySQL's 0000-00-00, dashes, n/a
EMPTY_LIKE = (
    r"^(?:0{1,2}[/.\-]0{1,2}[/.\-]0{2,4}|0{4}-0{2}-0{2}(?:[ T]0{2}:0{2}(?::0{2})?)?"
    r"|-+|n/?a|none|null|nil|\?+)$"
)
_NAMES = {DMY: N_("day/month"), MDY: N_("month/day")}
#: why an order was chosen
VALUES, SOURCE, LOCALE = "values", "source", "locale"


@dataclass(frozen=True)
class DateOrder:
    """The order of one column's dates, and why it was chosen."""

    order: str
    reason: str
    header: str = ""
    #: values that settled day-first / month-first
    day_first: int = 0
    month_first: int = 0
    #: the column holds day/month/year dates at all (an ISO-only column needs no order)
    used: bool = True

    @property
    def words(self) -> str:
        return _(_NAMES[self.order])

    def note(self) -> str | None:
        """The summary's line when the order was not read from the values themselves."""
        if not self.used:
            return None
        if self.reason == VALUES and not (self.day_first and self.month_first):
            return None
        if self.reason == VALUES:
            return _(
                "Dates in ‘{header}’ read as {order}: most of them can only be "
                "read so ({most} against {fewest})."
            ).format(
                header=self.header,
                order=self.words,
                most=whole(max(self.day_first, self.month_first)),
                fewest=whole(min(self.day_first, self.month_first)),
            )
        why = _("the source's order") if self.reason == SOURCE else _("the store's default")
        return _(
            "Dates in ‘{header}’ read as {order}: no date in the column settles "
            "the order ({why}); check a few."
        ).format(header=self.header, order=self.words, why=why)


def decide_order(
    values: Iterable[str],
    *,
    hint: str | None = None,
    default: str = LOCALE_DEFAULT,
    header: str = "",
) -> DateOrder:
    """The order of a column from its values, else ``hint``, else ``default``."""
    day_first = month_first = 0
    used = False
    for value in values:
        match = _PARTS.match(value.strip()) if value else None
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first == 0 and second == 0:
            continue
        used = True
        if first > 12 >= second >= 1:
            day_first += 1
        elif second > 12 >= first >= 1:
            month_first += 1
    if day_first or month_first:
        order = DMY if day_first >= month_first else MDY
        return DateOrder(order, VALUES, header, day_first, month_first, used)
    if hint in (DMY, MDY):
        return DateOrder(hint, SOURCE, header, used=used)
    return DateOrder(default, LOCALE, header, used=used)


def decide_order_of_series(
    series: pl.Series, *, hint: str | None = None, default: str = LOCALE_DEFAULT, header: str = ""
) -> DateOrder:
    """:func:`decide_order` over a polars column, counted by polars (a batch at once)."""
    import polars as pl

    parts = (
        series.str.strip_chars()
        .str.extract_groups(PARTS)
        .struct.unnest()
        .select(
            pl.col("1").cast(pl.Int32, strict=False).alias("a"),
            pl.col("2").cast(pl.Int32, strict=False).alias("b"),
        )
        .drop_nulls()
        .filter((pl.col("a") != 0) | (pl.col("b") != 0))
    )
    if not parts.height:
        order = hint if hint in (DMY, MDY) else default
        return DateOrder(order, SOURCE if hint in (DMY, MDY) else LOCALE, header, used=False)
    counts = parts.select(
        ((pl.col("a") > 12) & pl.col("b").is_between(1, 12)).sum().alias("d"),
        ((pl.col("b") > 12) & pl.col("a").is_between(1, 12)).sum().alias("m"),
    ).row(0)
    day_first, month_first = int(counts[0]), int(counts[1])
    if day_first or month_first:
        order = DMY if day_first >= month_first else MDY
        return DateOrder(order, VALUES, header, day_first, month_first)
    if hint in (DMY, MDY):
        return DateOrder(hint, SOURCE, header)
    return DateOrder(default, LOCALE, header)
