"""Phones and postcodes that Excel stored as numbers and so lost their leading zero.

Typed into a General cell, ``0612345678`` becomes the number 612,345,678 and ``01000``
the number 1000: the workbook no longer holds the zero, and no format brings it back (a
``00000`` format does, and the reader applies it). Such a value is one digit short of
the store country's length and would land as a wrong phone or postcode, so it is a
warning that names the fix ("write it 0612345678"), never silently padded: a number
one digit short can also be a typing mistake.

Only columns the workbook stores as numbers (``SheetSource.numeric_columns``) are
judged: in a CSV or a text cell the zero is still there when it was typed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tillterm.i18n import _, pgettext
from tillterm.spreadsheet.checking import WARNING, empty_problems, formatted
from tillterm.spreadsheet.columns import FIELD_BY_NAME, PHONE, ColumnMap
from tillterm.spreadsheet.reading import ROW

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Lengths:
    """A country's national lengths for numbers that start with a zero."""

    name: str
    #: digits of a national phone number written with its leading 0 (trunk prefix)
    phone: tuple[int, ...] = ()
    #: digits of a postcode, when postcodes can start with 0
    postcode: int | None = None


#: countries whose phones or postcodes start with 0 (a country absent here: no check)
LENGTHS = {
    # the adjective of "French phone numbers", "French postcodes" (plural in French)
    "FR": Lengths(pgettext("phone numbers, postcodes", "French"), (10,), 5),
    "BE": Lengths(pgettext("phone numbers, postcodes", "Belgian"), (9, 10)),
    "NL": Lengths(pgettext("phone numbers, postcodes", "Dutch"), (10,)),
    "DE": Lengths(pgettext("phone numbers, postcodes", "German"), (10, 11), 5),
    "AT": Lengths(pgettext("phone numbers, postcodes", "Austrian"), (10, 11, 12, 13)),
    "CH": Lengths(pgettext("phone numbers, postcodes", "Swiss"), (10,)),
    "GB": Lengths(pgettext("phone numbers, postcodes", "British"), (11,)),
    "IE": Lengths(pgettext("phone numbers, postcodes", "Irish"), (9, 10)),
    "IT": Lengths(pgettext("phone numbers, postcodes", "Italian"), (), 5),
    "ES": Lengths(pgettext("phone numbers, postcodes", "Spanish"), (), 5),
    "US": Lengths(pgettext("phone numbers, postcodes", "US"), (), 5),
    "AU": Lengths(pgettext("phone numbers, postcodes", "Australian"), (10,), 4),
}


def lost_zero_problems(
    frame: pl.DataFrame,
    cmap: ColumnMap,
    numeric_columns: Collection[int],
    country: str = "FR",
) -> pl.DataFrame:
    """Warnings (row, column, level, message) for a batch as read (``c0``… and ``__row``).

    A digits-only cell of a phone or postcode column stored as numbers, one digit
    shorter than the country's length, says how to write it with its zero.
    """
    import polars as pl

    rules = LENGTHS.get(country.upper())
    if rules is None or not numeric_columns:
        return empty_problems()
    parts = []
    for index, name in cmap.fields.items():
        if index not in numeric_columns:
            continue
        spec = FIELD_BY_NAME.get(name)
        if spec is not None and spec.kind == PHONE and rules.phone:
            lengths = rules.phone
            what = _("{country} phone numbers have").format(country=rules.name)
        elif name == "postal_code" and rules.postcode:
            lengths = (rules.postcode,)
            what = _("{country} postcodes have").format(country=rules.name)
        else:
            continue
        cell = pl.col(f"c{index}").str.strip_chars()
        short = cell.str.contains(r"^[1-9]\d*$") & cell.str.len_chars().is_in(
            [n - 1 for n in lengths]
        )
        digits = _(" or ").join(str(n) for n in lengths)
        found = frame.filter(short).select(
            pl.col(ROW).alias("row"),
            pl.lit(cmap.headers[index]).alias("column"),
            pl.lit(WARNING).alias("level"),
            formatted(
                _(
                    "“{value}” was stored as a number and lost its leading zero ({rule} "
                    "{digits} digits): write it 0{value} (format the column as Text in Excel)"
                ),
                value=cell,
                rule=what,
                digits=digits,
            ).alias("message"),
        )
        if found.height:
            parts.append(found)
    return pl.concat(parts) if parts else empty_problems()
