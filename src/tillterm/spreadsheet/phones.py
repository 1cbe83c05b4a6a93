"""Phones of an import: their search digits and their warnings, a whole batch at once.

Each phone gives the digit forms :func:`tillterm.customers.phones.phone_forms` gives
it (the form writes the same ``phone_digits``), but a library parse per cell would cost
tens of seconds on a million rows. Nearly every cell of a store's file is a number of
the store's own region written the usual ways ("06 98 76 54 32", "+33 6 98…",
"0033 6 98…"): for a region whose trunk prefix is 0, those cells of a possible length
are read here with polars expressions, which is exactly what the library reads them as
(tests/test_phones.py compares both). A number of another country written with its
calling code ("+44 7911 123456", "+1 (514) 200-1234": a file from a store with foreign
customers holds thousands) is read in Python without the library's parse
(:func:`plus_number`: a tenth of its cost) when the library would read it the plain
way. Only the other cells (odd lengths, national prefixes after the code, a region
without a 0 trunk prefix) go through the library, one by one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import PhoneMetadata

from tillterm.customers.phones import MAX_DIGITS_TEXT, PhoneForms, phone_forms, phone_problem
from tillterm.i18n import _
from tillterm.spreadsheet.checking import WARNING, empty_problems
from tillterm.spreadsheet.reading import ROW

if TYPE_CHECKING:
    import polars as pl

#: what a phone cell may hold to be read without the library (the form's own rule)
_PHONE_TEXT = r"^\+?[\d\s().\-/]+$"


def _fast_nsn(typed: pl.Expr, found: pl.Expr, region: str) -> pl.Expr:
    """The national significant number of a cell read without the library, else null.

    ``typed`` is the stripped cell and ``found`` its digits, both columns already (each
    is read several times here: computed once, the check is three times faster).
    """
    import polars as pl

    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.national_prefix != "0" or meta.general_desc is None:
        return pl.lit(None, dtype=pl.String)
    cc = str(meta.country_code)
    lengths = list(meta.general_desc.possible_length)
    size = found.str.len_bytes().cast(pl.Int64)
    plain = typed.str.contains(_PHONE_TEXT)
    plus = typed.str.starts_with("+")
    national = ~plus & found.str.contains(r"^0[1-9]") & (size - 1).is_in(lengths)
    own = plus & found.str.contains(f"^{cc}[1-9]") & (size - len(cc)).is_in(lengths)
    dialled = ~plus & found.str.contains(f"^00{cc}[1-9]") & (size - 2 - len(cc)).is_in(lengths)
    return (
        pl.when(plain & national)
        .then(found.str.slice(1))
        .when(plain & own)
        .then(found.str.slice(len(cc)))
        .when(plain & dialled)
        .then(found.str.slice(2 + len(cc)))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _read(frame: pl.DataFrame, name: str, region: str) -> pl.DataFrame:
    """``__typed`` (stripped), ``__found`` (its digits) and ``__nsn`` of one column."""
    import polars as pl

    typed = pl.col(name).fill_null("").str.strip_chars()
    return (
        frame.select(typed.alias("__typed"))
        .with_columns(pl.col("__typed").str.replace_all(r"\D", "").alias("__found"))
        .with_columns(_fast_nsn(pl.col("__typed"), pl.col("__found"), region).alias("__nsn"))
    )


#: "+", a calling code and a national number, in ASCII digits and the separators a
#: file uses (no letters: no extension, no vanity number for the library to read)
_PLUS_TEXT = re.compile(r"\+[1-9][0-9 ().\-/]*", re.ASCII)
#: the library's bounds on a national significant number (``_MIN/_MAX_LENGTH_FOR_NSN``)
_NSN_LENGTHS = range(2, 18)


@cache
def _calling_code(cc: int) -> tuple[tuple[int, ...], str, re.Pattern[str] | None] | None:
    """What reading a number of calling code ``cc`` needs: the possible lengths of its
    national numbers, its trunk prefix, and the pattern of a national prefix the library
    would strip after the code (``None``: it strips nothing). ``None`` for a code whose
    numbers are not read the plain way (non-geographic, no lengths)."""
    region = phonenumbers.region_code_for_country_code(cc)
    if region in ("001", phonenumbers.UNKNOWN_REGION):
        return None
    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.general_desc is None or not meta.general_desc.possible_length:
        return None
    prefix = meta.national_prefix_for_parsing
    return (
        tuple(meta.general_desc.possible_length),
        meta.national_prefix or "",
        re.compile(prefix) if prefix else None,
    )


def plus_number(typed: str) -> tuple[int, str, str] | None:
    """(calling code, national significant number, trunk prefix) of a stripped cell the
    library reads as exactly "+code, then the national number as written", of a length
    that number can have; ``None`` for any other cell (the library reads it).

    The library's parse takes the shortest calling code the digits start with, then
    strips a national prefix (``national_prefix_for_parsing``) and keeps a leading zero
    (Italy): a number starting with either goes to the library. A number of a possible
    length is never warned about (:func:`~tillterm.customers.phones.phone_problem`),
    and its forms are the code, the number and the trunk prefix (tests/test_phones.py
    compares this with the library cell by cell).
    """
    if len(typed) > 100 or not _PLUS_TEXT.fullmatch(typed):
        return None
    found = "".join(ch for ch in typed if ch.isdigit())
    for size in (1, 2, 3):
        if int(found[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    cc, nsn = int(found[:size]), found[size:]
    known = _calling_code(cc)
    if known is None or len(nsn) not in _NSN_LENGTHS or nsn[0] == "0":
        return None
    lengths, trunk, strips = known
    if len(nsn) not in lengths or (strips is not None and strips.match(nsn)):
        return None
    return cc, nsn, trunk


def _forms(typed: str, region: str) -> PhoneForms:
    """:func:`~tillterm.customers.phones.phone_forms`, without the library's parse for a
    number written with its calling code (:func:`plus_number`)."""
    plus = plus_number(typed)
    if plus is None:
        return phone_forms(typed, region)
    cc, nsn, trunk = plus
    return PhoneForms((f"{cc}{nsn}", trunk + nsn, f"{cc}{nsn}"), (nsn,))


def _problem(typed: str, region: str) -> str | None:
    """:func:`~tillterm.customers.phones.phone_problem`, without the library for a number
    written with its calling code and of a possible length (never a problem)."""
    if plus_number(typed.strip()) is not None:
        return None
    return phone_problem(typed, region)


def _slow_forms(typed: str, region: str) -> str:
    """One cell not read by polars: main forms, ``|``, extra forms."""
    forms = _forms(typed, region)
    return " ".join(forms.main) + "|" + " ".join(forms.extra)


def _forms_columns(frame: pl.DataFrame, name: str, region: str) -> pl.DataFrame:
    """``__main``/``__extra`` (space-separated forms) of one phone column, row for row."""
    import polars as pl

    meta = PhoneMetadata.metadata_for_region(region)
    cc = str(meta.country_code) if meta is not None else ""
    parts = _read(frame, name, region).with_columns(
        pl.when(pl.col("__nsn").is_not_null())
        .then(pl.concat_str(pl.col("__found"), pl.lit(" 0"), "__nsn", pl.lit(" " + cc), "__nsn"))
        .alias("__main"),
        pl.col("__nsn").alias("__extra"),
    )
    slow = parts.select(
        (pl.col("__nsn").is_null() & (pl.col("__found") != "")).arg_true()
    ).to_series()
    slow_rows = parts.get_column("__typed").gather(slow).to_list()
    if slow_rows:
        done = pl.Series([_slow_forms(t, region) for t in slow_rows], dtype=pl.String)
        main, extra = done.str.split_exact("|", 1).struct.unnest().get_columns()
        parts = parts.with_columns(
            parts.get_column("__main").scatter(slow, main),
            parts.get_column("__extra").scatter(slow, extra),
        )
    return parts.select(pl.col("__main").fill_null(""), pl.col("__extra").fill_null(""))


def phone_digits_series(frame: pl.DataFrame, phones: Sequence[str], region: str) -> pl.Series:
    """``phone_digits`` for every row of ``frame`` from its ``phones`` columns, as
    :func:`tillterm.customers.phones.digits_text` writes it (main forms first, each once,
    cut at a whole form)."""
    import polars as pl

    present = [p for p in phones if p in frame.columns]
    if not present:
        return pl.Series("phone_digits", [""] * frame.height, dtype=pl.String)
    forms = pl.concat(
        [
            _forms_columns(frame, p, region).rename({"__main": f"m{i}", "__extra": f"e{i}"})
            for i, p in enumerate(present)
        ],
        how="horizontal",
    )
    joined = forms.select(
        pl.concat_str([f"m{i}" for i in range(len(present))], separator=" ").alias("main"),
        pl.concat_str([f"e{i}" for i in range(len(present))], separator=" ").alias("extra"),
    )
    words = (
        pl.concat_str("main", "extra", separator=" ")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique(maintain_order=True)
        .list.join(" ")
    )
    cut = words.str.slice(0, MAX_DIGITS_TEXT + 1).str.replace(r" [^ ]*$", "")
    return (
        joined.select(pl.when(words.str.len_chars() > MAX_DIGITS_TEXT).then(cut).otherwise(words))
        .to_series()
        .alias("phone_digits")
    )


def phone_problems(
    values: pl.DataFrame, columns: Sequence[tuple[str, str]], region: str
) -> pl.DataFrame:
    """Warnings (row, column, level, message) for phones that cannot be real numbers.

    ``columns`` pairs a phone field of ``values`` with the file's header for it. A cell
    read without the library has a possible length: only the others are judged.
    """
    import polars as pl

    parts = []
    for name, header in columns:
        if name not in values.columns:
            continue
        judged = (
            _read(values, name, region)
            .with_columns(values.get_column(ROW).alias(ROW))
            .filter(pl.col("__nsn").is_null() & (pl.col("__found") != ""))
            .select(ROW, "__typed")
        )
        kept = _("{problem}: kept as written")
        found = [
            (row, header, WARNING, kept.format(problem=problem))
            for row, typed in judged.iter_rows()
            if (problem := _problem(typed, region))
        ]
        if found:
            parts.append(pl.DataFrame(found, schema=empty_problems().schema, orient="row"))
    return pl.concat(parts) if parts else empty_problems()
