"""Checking and converting a batch of rows, a whole column at a time.

A row-by-row check in Python runs at a few thousand rows a second; a store's million
customers must be checked in seconds. So each field is checked and converted with polars
expressions over the whole batch: a column of text in, a column of typed values and a
column of messages (null where the cell is fine) out.

Two levels, as the help centre describes (seed 003): an **error** blocks the import (an
invalid email, an unknown group, a discount of 150 %); a **warning** does not (a birth
date that cannot be read is left empty). Checks that need the database or the whole file
(existing codes, duplicates) are the importer's.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tillterm.core.typed_text import import_clean_expr, import_problem_expr, import_untidy_expr
from tillterm.customers.custom_fields import NO, YES
from tillterm.customers.fields import CUSTOM_PREFIX
from tillterm.customers.profiles import EMAIL_PATTERN
from tillterm.i18n import N_, _
from tillterm.spreadsheet.cells import restore_expr
from tillterm.spreadsheet.columns import (
    BOOL,
    CODE,
    DATE,
    EMAIL,
    FIELD_BY_NAME,
    GROUP,
    MONEY,
    PERCENT,
    PHONE,
    TAGS,
    TAX,
    ColumnMap,
    multiline_field,
)
from tillterm.spreadsheet.consent import bool_words
from tillterm.spreadsheet.date_order import (
    DMY,
    EMPTY_LIKE,
    LOCALE_DEFAULT,
    PARTS,
    DateOrder,
    decide_order_of_series,
)
from tillterm.spreadsheet.reading import ROW
from tillterm.spreadsheet.sources import PHONE_LABELS

if TYPE_CHECKING:
    import polars as pl

ERROR, WARNING = "error", "warning"
PROBLEM_SCHEMA = {"row": "Int64", "column": "String", "level": "String", "message": "String"}
#: the customer core's rule, anchored: a column is checked at once, by the same rule
EMAIL_COLUMN_PATTERN = f"^(?:{EMAIL_PATTERN})$"
TAG_MAX = 60
CUSTOM_MAX = 500
#: the spreadsheet epoch: Excel's day 0 (with its 1900 leap-year bug folded in)
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: the error of a group the store does not have (the summary counts them by its start)
UNKNOWN_GROUP = N_("unknown group “{value}” (create it first in the Groups screen (F4))")
UNKNOWN_TAX = N_("unknown sales tax “{value}” (create it first in Back office (F11) > Tax rates)")


@dataclass(frozen=True)
class CustomDef:
    """A store-defined field as the importer needs it."""

    id: int
    name: str
    field_type: str
    choices: tuple[str, ...] = ()


@dataclass
class Context:
    """What checking needs from the database, read once per import."""

    groups: Mapping[str, int] = field(default_factory=dict)
    taxes: Mapping[str, int] = field(default_factory=dict)
    customs: Mapping[str, CustomDef] = field(default_factory=dict)
    excel: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    #: the source's date order when the file's system is known ("mdy" for Outlook)
    date_hint: str | None = None
    #: the store's locale order, used when neither the values nor the source decide
    date_default: str = LOCALE_DEFAULT
    #: field → its column's date order, decided on the first batch holding the column
    date_orders: dict[str, DateOrder] = field(default_factory=dict)

    def date_order(self, name: str) -> str:
        decided = self.date_orders.get(name)
        return decided.order if decided else self.date_default

    def date_notes(self) -> tuple[str, ...]:
        """The summary's lines on date orders that the values did not settle."""
        return tuple(n for o in self.date_orders.values() if (n := o.note()))

    #: the source's customer ids seen so far in this check (``__id_key``, ``__first``
    #: row): an id given again gets a generated code and a warning, not an error
    source_ids: pl.DataFrame | None = None


@dataclass(frozen=True)
class ColumnWay:
    """How one column's cells are read: its source's conventions
    (:mod:`tillterm.spreadsheet.sources`)."""

    #: a consent asked the other way round ("do not email"): yes means no consent
    inverted: bool = False
    #: a leading ``'`` (a spreadsheet's keep-as-text mark) is dropped
    quoted_numbers: bool = False
    tag_separator: str = ","
    #: labels of the source system itself, not tags of the store
    system_labels: tuple[str, ...] = ()
    #: what separates several values in one email or phone cell
    value_separator: str | None = None


PLAIN = ColumnWay()


def column_way(cmap: ColumnMap, index: int) -> ColumnWay:
    """The conventions column ``index`` is read with."""
    source = cmap.source
    inverted = index in cmap.inverted
    if source is None:
        return ColumnWay(inverted=True) if inverted else PLAIN
    return ColumnWay(
        inverted,
        source.quoted_numbers,
        source.tag_separator,
        source.system_labels,
        source.value_separator,
    )


def key_expr(column: pl.Expr) -> pl.Expr:
    """A name's comparison key (trimmed, lower case), like the database's ``name_key``."""
    return column.str.strip_chars().str.to_lowercase()


def _short(column: pl.Expr) -> pl.Expr:
    import polars as pl

    return (
        pl.when(column.str.len_chars() > 40)
        .then(column.str.slice(0, 37) + pl.lit("..."))
        .otherwise(column)
    )


def formatted(template: str, **parts: pl.Expr | str | int) -> pl.Expr:
    """``pl.format`` with named placeholders: a message is translated once per batch, as
    a template, and a translation may put its ``{value}`` and ``{row}`` in another order.
    A part that is no expression is written into the template as text."""
    import polars as pl

    pieces: list[str] = []
    columns: list[pl.Expr] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        pieces.append(literal)
        if name is None:
            continue
        part = parts[name]
        if isinstance(part, pl.Expr):
            pieces.append("{}")
            columns.append(part)
        else:
            pieces.append(str(part))
    return pl.format("".join(pieces), *columns)


def _quoted(template: str, column: pl.Expr) -> pl.Expr:
    """``template`` (translated) with the cell, shortened, as its ``{value}``."""
    return formatted(_(template), value=_short(column))


def _too_long(column: pl.Expr, limit: int) -> pl.Expr:
    import polars as pl

    length = column.str.len_chars()
    return pl.when(length > limit).then(
        formatted(_("too long: {length} characters, at most {limit}"), length=length, limit=limit)
    )


def _parse_date(column: pl.Expr, excel: bool, order: str = DMY) -> pl.Expr:
    """The column's dates, day/month/year read in the column's ``order``."""
    import polars as pl

    iso = column.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$", 1)
    slash = column.str.replace_all(r"[.\-]", "/")
    parsed = pl.coalesce(
        iso.str.to_date("%Y-%m-%d", strict=False),
        slash.str.to_date("%d/%m/%Y" if order == DMY else "%m/%d/%Y", strict=False),
    )
    if excel:
        serial = column.str.extract(r"^(\d{1,5})(?:\.0+)?$", 1).cast(pl.Int32, strict=False)
        from_serial = (
            pl.when(serial.is_between(1, 73050))
            .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
            .cast(pl.Date)
        )
        parsed = pl.coalesce(parsed, from_serial)
    return parsed


_ORDER_WORDS = {DMY: N_("day/month"), "mdy": N_("month/day")}


def _other(order: str) -> str:
    return "mdy" if order == DMY else DMY


def _empty_date(column: pl.Expr) -> pl.Expr:
    """``0/0/00`` (Outlook's "no birthday"), ``0000-00-00``, ``n/a``...: a blank cell."""
    return column.str.to_lowercase().str.contains(EMPTY_LIKE)


def _date_shaped(column: pl.Expr, order: str) -> pl.Expr:
    """A day/month/year (in ``order``) or ISO date whose parts are in range: if it does
    not parse, it is a day that does not exist (30/02/1988)."""
    import polars as pl

    parts = column.str.extract_groups(PARTS)
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    day, month = (first, second) if order == DMY else (second, first)
    iso = column.str.extract_groups(r"^\d{4}-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
    iso_month = iso.struct.field("1").cast(pl.Int32, strict=False)
    iso_day = iso.struct.field("2").cast(pl.Int32, strict=False)
    return (day.is_between(1, 31) & month.is_between(1, 12)).fill_null(False) | (
        iso_day.is_between(1, 31) & iso_month.is_between(1, 12)
    ).fill_null(False)


def _decimal_parts(column: pl.Expr, max_int: int, places: int) -> tuple[pl.Expr, pl.Expr]:
    """(valid, value in units of 10**-places) for "12", "12.5", "12,50"; exact, no float."""
    import polars as pl

    cleaned = column.str.replace_all(r"[\s\u00a0€$£%]", "").str.replace(",", ".")
    valid = cleaned.str.contains(rf"^\d{{1,{max_int}}}(\.\d{{0,{places}}})?$")
    whole = cleaned.str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False)
    frac = (
        cleaned.str.extract(r"\.(\d*)$", 1)
        .fill_null("")
        .str.pad_end(places, "0")
        .cast(pl.Int64, strict=False)
    )
    value = pl.when(valid).then(whole * 10**places + frac)
    return valid, value


@dataclass
class FieldCheck:
    """One field's typed value and its messages (null where the cell is fine)."""

    value: pl.Expr
    errors: list[pl.Expr]
    warnings: list[pl.Expr]


def check_field(name: str, ctx: Context, way: ColumnWay = PLAIN) -> FieldCheck:
    """The value and messages of one present field, over the column ``name`` (clean text)."""
    import polars as pl

    s = pl.col(name)
    if name.startswith(CUSTOM_PREFIX):
        return _check_custom(ctx.customs[name[len(CUSTOM_PREFIX) :]], s, ctx.date_order(name))
    spec = FIELD_BY_NAME[name]
    errors: list[pl.Expr] = []
    warnings: list[pl.Expr] = []
    if way.quoted_numbers and (spec.kind in (CODE, PHONE) or name == "postal_code"):
        s = s.str.strip_prefix("'")
    if way.value_separator and spec.kind in (EMAIL, PHONE):
        several = s.str.contains(way.value_separator, literal=True)
        warnings.append(
            pl.when(several).then(
                _quoted(N_("“{value}” holds several values: only the first is imported"), s)
            )
        )
        s = pl.when(several).then(s.str.split(way.value_separator).list.first()).otherwise(s)
        s = s.str.strip_chars()
    blank = s == ""
    value: pl.Expr = s
    if spec.max_length and spec.kind not in (GROUP, TAX):
        errors.append(_too_long(s, spec.max_length))
    if spec.kind == EMAIL:
        errors.append(
            pl.when(~blank & ~s.str.contains(EMAIL_COLUMN_PATTERN)).then(
                _quoted(N_("“{value}” is not a valid email address"), s)
            )
        )
    elif spec.kind == BOOL:
        words = bool_words(name)
        value = s.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Boolean)
        errors.append(pl.when(value.is_null()).then(_quoted(N_("“{value}”: write yes or no"), s)))
        if way.inverted:
            # "do not email" = yes is no consent; a blank is no consent either way
            value = pl.when(blank).then(pl.lit(False)).otherwise(value.not_())
    elif spec.kind == DATE:
        order = ctx.date_order(name)
        parsed = _parse_date(s, ctx.excel, order)
        bad = ~blank & ~_empty_date(s) & parsed.is_null()
        odd = parsed.is_not_null() & ~parsed.is_between(dt.date(1900, 1, 1), ctx.today)
        value = pl.when(odd).then(None).otherwise(parsed)
        warnings.append(
            pl.when(bad & _date_shaped(s, order))
            .then(_quoted(N_("“{value}” does not exist; left empty"), s))
            .when(bad & _date_shaped(s, _other(order)))
            .then(
                formatted(
                    _(
                        "“{value}” cannot be read as {order} like the rest of the "
                        "column; left empty"
                    ),
                    value=_short(s),
                    order=_(_ORDER_WORDS[order]),
                )
            )
            .when(bad)
            .then(
                _quoted(
                    N_("“{value}” is not a date (write 1980-12-25 or 25/12/1980); left empty"), s
                )
            )
            .when(odd)
            .then(_quoted(N_("“{value}” is not a believable birth date; left empty"), s))
        )
    elif spec.kind == PERCENT:
        valid, thousandths = _decimal_parts(s, 6, 3)
        value = thousandths
        errors.append(
            pl.when(~blank & ~valid)
            .then(_quoted(N_("“{value}” is not a percentage"), s))
            .when(thousandths > 100_000)
            .then(_quoted(N_("{value} %: a discount is between 0 and 100 %"), s))
        )
    elif spec.kind == MONEY:
        valid, cents = _decimal_parts(s, 12, 2)
        value = cents
        errors.append(pl.when(~blank & ~valid).then(_quoted(N_("“{value}” is not an amount"), s)))
    elif spec.kind in (GROUP, TAX):
        names = ctx.groups if spec.kind == GROUP else ctx.taxes
        value = key_expr(s).replace_strict(dict(names), default=None, return_dtype=pl.Int64)
        unknown = UNKNOWN_GROUP if spec.kind == GROUP else UNKNOWN_TAX
        errors.append(pl.when(~blank & value.is_null()).then(_quoted(unknown, s)))
    elif spec.kind == TAGS:
        tag = pl.element().str.strip_chars()
        if way.system_labels:
            system = [label.casefold() for label in way.system_labels]
            tag = pl.when(tag.str.to_lowercase().is_in(system)).then(pl.lit("")).otherwise(tag)
        # Google marks its own groups with "* " ("* starred"): the name is the tag
        tag = tag.str.strip_prefix("* ") if way.system_labels else tag
        value = (
            s.str.split(way.tag_separator.strip() or way.tag_separator)
            .list.eval(tag)
            .list.eval(pl.element().filter(pl.element() != ""))
        )
        # the first tag over the limit is named, with its length
        too_long = value.list.eval(
            pl.element().filter(pl.element().str.len_chars() > TAG_MAX)
        ).list.first()
        errors.append(
            pl.when(too_long.is_not_null()).then(
                formatted(
                    _("tag “{tag}” is {length} characters (at most {limit})"),
                    tag=_short(too_long),
                    length=too_long.str.len_chars(),
                    limit=TAG_MAX,
                )
            )
        )
    elif spec.kind == CODE:
        value = s
    elif name == "notes":
        value = s.str.replace_all("\r\n", "\n")
    return FieldCheck(value, errors, warnings)


def _check_custom(defn: CustomDef, s: pl.Expr, order: str = DMY) -> FieldCheck:
    import polars as pl

    blank = s == ""
    errors = [_too_long(s, CUSTOM_MAX)]
    value = s
    if defn.field_type == "number":
        cleaned = s.str.replace(",", ".")
        ok = cleaned.str.contains(r"^-?\d{1,15}(\.\d{1,6})?$")
        value = pl.when(blank).then(pl.lit("")).otherwise(cleaned)
        errors.append(pl.when(~blank & ~ok).then(_quoted(N_("“{value}” is not a number"), s)))
    elif defn.field_type == "date":
        parsed = _parse_date(s, False, order)
        blank = blank | _empty_date(s)
        value = pl.when(blank).then(pl.lit("")).otherwise(parsed.cast(pl.String))
        errors.append(
            pl.when(~blank & parsed.is_null()).then(_quoted(N_("“{value}” is not a date"), s))
        )
    elif defn.field_type == "bool":
        words = {w: YES if v else NO for w, v in bool_words(CUSTOM_PREFIX).items()}
        value = key_expr(s).replace_strict(words, default=None, return_dtype=pl.String)
        errors.append(
            pl.when(~blank & value.is_null()).then(_quoted(N_("“{value}” is not yes or no"), s))
        )
        value = pl.when(blank).then(pl.lit("")).otherwise(value)
    elif defn.field_type == "choice" and defn.choices:
        by_key = {c.casefold(): c for c in defn.choices}
        value = key_expr(s).replace_strict(by_key, default=None, return_dtype=pl.String)
        allowed = ", ".join(defn.choices)
        errors.append(
            pl.when(~blank & value.is_null()).then(
                formatted(_("“{value}” is not one of: {choices}"), value=_short(s), choices=allowed)
            )
        )
        value = pl.when(blank).then(pl.lit("")).otherwise(value)
    return FieldCheck(value, errors, [])


@dataclass
class CheckedBatch:
    """A batch's typed values (one column per present field, plus ``__row``) and problems."""

    values: pl.DataFrame
    problems: pl.DataFrame


def empty_problems() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema={k: getattr(pl, v) for k, v in PROBLEM_SCHEMA.items()})


def _decide_date_orders(clean: pl.DataFrame, cmap: ColumnMap, ctx: Context) -> None:
    """Decide each date column's order on the first batch that holds it, once per file.

    The first batch is the first 50,000 rows: the whole file for most stores, and a
    later value that only fits the other order is flagged on its row, never re-read.
    """
    for index, name in cmap.fields.items():
        if name in ctx.date_orders:
            continue
        if name.startswith(CUSTOM_PREFIX):
            defn = ctx.customs.get(name[len(CUSTOM_PREFIX) :])
            is_date = defn is not None and defn.field_type == "date"
        else:
            is_date = FIELD_BY_NAME[name].kind == DATE
        if is_date:
            ctx.date_orders[name] = decide_order_of_series(
                clean.get_column(name),
                hint=ctx.date_hint,
                default=ctx.date_default,
                header=cmap.headers[index],
            )


def check_batch(frame: pl.DataFrame, cmap: ColumnMap, ctx: Context) -> CheckedBatch:
    """Restore neutralised cells, clean, trim, convert and check every present field.

    Cleaning is the typed-text rule (:mod:`tillterm.core.typed_text`): a character that is
    not text is removed with a warning, whitespace is tidied as the form tidies it. Only
    the columns with such a cell pay for it (one quick scan of the batch finds them).
    """
    import polars as pl

    sources = {index: restore_expr(pl.col(f"c{index}")) for index in cmap.fields}
    if cmap.backups:
        # the primary address (Outlook's home) lands whole, else the backup (business)
        primary_blank = pl.all_horizontal(
            [sources[i].str.strip_chars() == "" for i in cmap.primary_block]
        )
        for backup, index in cmap.backups.items():
            sources[index] = (
                pl.when(primary_blank)
                .then(restore_expr(pl.col(f"c{backup}")))
                .otherwise(sources[index])
            )
    lines = {index: multiline_field(name) for index, name in cmap.fields.items()}
    untidy = frame.select(
        *(
            import_untidy_expr(sources[index], multiline=lines[index]).any().alias(f"c{index}")
            for index in cmap.fields
        )
    ).row(0, named=True)
    dirty = [index for index in cmap.fields if untidy[f"c{index}"]]
    clean = frame.select(
        pl.col(ROW),
        *(
            (
                import_clean_expr(sources[index], multiline=lines[index])
                if index in dirty
                else sources[index]
            )
            .str.strip_chars()
            .alias(name)
            for index, name in cmap.fields.items()
        ),
        *(
            import_problem_expr(sources[index], multiline=lines[index]).alias(f"__text{index}")
            for index in dirty
        ),
        *(
            restore_expr(pl.col(f"c{label}")).alias(f"__label{label}")
            for _, label in cmap.phone_pairs
            if label is not None
        ),
    )
    _decide_date_orders(clean, cmap, ctx)
    leftovers: list[tuple[str, str]] = []
    if cmap.phone_pairs:
        routed, leftovers = _route_phones(cmap)
        clean = clean.with_columns(routed)
    value_exprs: list[pl.Expr] = [pl.col(ROW)]
    message_exprs: list[pl.Expr] = []
    labels: list[tuple[str, str, str]] = []
    for index in dirty:
        alias = f"__text{index}"
        message_exprs.append(pl.col(alias))
        labels.append((alias, cmap.headers[index], WARNING))
    for alias, header in leftovers:
        message_exprs.append(pl.col(alias))
        labels.append((alias, header, WARNING))
    for index, name in cmap.fields.items():
        check = check_field(name, ctx, column_way(cmap, index))
        value_exprs.append(check.value.alias(name))
        for level, exprs in ((ERROR, check.errors), (WARNING, check.warnings)):
            for n, expr in enumerate(exprs):
                alias = f"__m{len(labels)}_{n}"
                message_exprs.append(expr.cast(pl.String).alias(alias))
                labels.append((alias, cmap.headers[index], level))
    if "birth_date" in cmap.present:
        born = pl.col("birth_date")
        parsed = _parse_date(born, ctx.excel, ctx.date_order("birth_date"))
        value_exprs.append(
            ((born != "") & ~_empty_date(born) & parsed.is_null()).alias("__birth_bad")
        )
    both = clean.select(*value_exprs, *message_exprs)
    parts = [
        both.filter(pl.col(alias).is_not_null()).select(
            pl.col(ROW).alias("row"),
            pl.lit(header).alias("column"),
            pl.lit(level).alias("level"),
            pl.col(alias).alias("message"),
        )
        for alias, header, level in labels
    ]
    values = both.select(value_exprs[0], *(e.meta.output_name() for e in value_exprs[1:]))
    if cmap.source_id is not None:
        values, repeated = _repeated_ids(values, cmap.headers[cmap.source_id], ctx)
        parts.append(repeated)
    problems = pl.concat(parts) if parts else empty_problems()
    return CheckedBatch(values, problems)


def _route_phones(cmap: ColumnMap) -> tuple[list[pl.Expr], list[tuple[str, str]]]:
    """Each row's labelled phones (Google's "Phone 1 - Label") go to the field their
    label names, among the phone fields the file's columns give: a "Mobile" number
    lands in the mobile phone wherever it is in the file. An unlabelled (or "Main")
    number takes ``phone``; a number left without a field is a warning naming it.

    Returns the routed field columns and the (message column, header) of the warnings.
    """
    import polars as pl

    fields = [cmap.fields[value] for value, _ in cmap.phone_pairs]
    values = [pl.col(name) for name in fields]
    raw_labels = [
        pl.col(f"__label{label}") if label is not None else pl.lit("")
        for _, label in cmap.phone_pairs
    ]
    kinds = [
        label.str.strip_chars()
        .str.strip_prefix("*")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(PHONE_LABELS, default="")
        for label in raw_labels
    ]
    given = [v != "" for v in values]

    def firsts(matches: list[pl.Expr]) -> list[pl.Expr]:
        out, before = [], pl.lit(False)
        for match in matches:
            out.append(match & ~before)
            before = before | match
        return out

    routed: dict[str, pl.Expr] = {}
    used = [pl.lit(False)] * len(values)
    for name in dict.fromkeys(fields):
        if name == "phone":
            continue
        chosen = firsts([g & (k == name) for g, k in zip(given, kinds, strict=True)])
        used = [u | c for u, c in zip(used, chosen, strict=True)]
        routed[name] = _first_of(values, chosen)
    if "phone" in fields:
        # "Main" first, then any number no other field took
        main = firsts([g & ~u & (k == "phone") for g, u, k in zip(given, used, kinds, strict=True)])
        rest = firsts([g & ~u for g, u in zip(given, used, strict=True)])
        any_main = pl.any_horizontal(main)
        chosen = [pl.when(any_main).then(m).otherwise(r) for m, r in zip(main, rest, strict=True)]
        used = [u | c for u, c in zip(used, chosen, strict=True)]
        routed["phone"] = _first_of(values, chosen)
    leftovers: list[tuple[str, str]] = []
    messages: list[pl.Expr] = []
    left = _("“{value}” ({label}): no phone column of this file is left for it; not imported")
    for n, (value, label, g, u) in enumerate(zip(values, raw_labels, given, used, strict=True)):
        alias = f"__phone_left{n}"
        messages.append(
            pl.when(g & ~u).then(formatted(left, value=value, label=label)).alias(alias)
        )
        leftovers.append((alias, cmap.headers[cmap.phone_pairs[n][0]]))
    return [e.alias(name) for name, e in routed.items()] + messages, leftovers


def _first_of(values: list[pl.Expr], chosen: list[pl.Expr]) -> pl.Expr:
    import polars as pl

    return pl.coalesce(
        *(pl.when(c).then(v) for v, c in zip(values, chosen, strict=True)), pl.lit("")
    )


def _repeated_ids(
    values: pl.DataFrame, header: str, ctx: Context
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The source's ids become customer codes; one given again (earlier in the file)
    is left blank, so that customer gets a generated code, with a warning naming both
    rows (a code given twice in the export template stays an error: see file_check)."""
    import polars as pl

    framed = values.select(
        pl.col(ROW),
        pl.col("customer_code"),
        key_expr(pl.col("customer_code")).alias("__id_key"),
    ).with_columns(pl.col(ROW).min().over("__id_key").alias("__first_here"))
    seen = ctx.source_ids
    if seen is not None:
        # a join, not a mapping: a million ids stay a hash join per batch
        framed = framed.join(seen.rename({"__first": "__first_before"}), on="__id_key", how="left")
    else:
        framed = framed.with_columns(pl.lit(None, dtype=pl.Int64).alias("__first_before"))
    first = pl.coalesce(pl.col("__first_before").cast(pl.Int64), pl.col("__first_here"))
    framed = framed.with_columns(first.alias("__first"))
    given = pl.col("__id_key") != ""
    repeated = given & (pl.col("__first") != pl.col(ROW))
    firsts = framed.filter(given & ~repeated).select("__id_key", "__first")
    ctx.source_ids = firsts if seen is None else pl.concat([seen, firsts])
    flagged = framed.filter(repeated)
    if not flagged.height:
        return values, empty_problems()
    blank_rows = flagged.get_column(ROW)
    values = values.with_columns(
        pl.when(pl.col(ROW).is_in(blank_rows.implode()))
        .then(pl.lit(""))
        .otherwise(pl.col("customer_code"))
        .alias("customer_code")
    )
    return values, flagged.select(
        pl.col(ROW).alias("row"),
        pl.lit(header).alias("column"),
        pl.lit(WARNING).alias("level"),
        formatted(
            _("customer id “{code}” is already on row {row}: this customer gets a new code"),
            code=pl.col("customer_code"),
            row=pl.col("__first"),
        ).alias("message"),
    )
