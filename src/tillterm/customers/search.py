"""Finding customers: what a typed text means, and how it is looked up fast.

A person types "dubois", "marie dub", "06 12", "75011", "jean@" or scans a card. The
text is read into a :class:`ParsedQuery`:

- *words*: every alphanumeric run, lower-cased with accents stripped (the same words
  SQLite's ``unicode61 remove_diacritics 2`` tokenizer and PostgreSQL's
  ``unaccent``-based fold produce), each matched as a word prefix, all required;
- *digits*: a text of digits and phone punctuation only ("06 12", "+44 7911") is one
  digit string, matched as a prefix of a phone, a postcode or a code;
- *email*: a text with ``@``: its words must all be in an email address (and only
  emails are searched: "jean@" means Jean's email, not every Jean).

Nothing a person types is ever spliced into query syntax: terms are alphanumeric and
quoted, so quotes, ``*``, ``-``, ``:``, ``(``, ``AND``, ``NEAR`` or emoji are just text.

**Ranking** is by tier, identical on both engines:

1. the exact customer code (a scanned card): a unique B-tree lookup;
2. what the text names exactly: the addresses an email text starts ("jean@" is the owner
   of jean@martin.fr, before Jeanne and Jeanette: ``search_customer_email_start``), or
   the phones a whole number is ("0698765432"); these few are ranked by most recent
   activity (last sale or last change: :func:`_activity`), the regular first;
3. names (first name, last name, company) holding every word whole ("lea" → Léa first),
   then as word prefixes (Leah, Leanne) — or, for an email text, the emails;
4. matches in any searchable field (SPEC §4: phones, postcode, emails, code, title,
   address, city), except for an email text;
5. matches in custom field values;
6. every word in a field or a custom value, one at least in a custom value ("paul
   comte": Paul, whose favourite cheese is Comté).

Within tiers 3-6 customers come in id order (oldest first): a common word's thousands
of matches are never all read to sort them by anything else.

On SQLite each tier is read in id order from its word index and stops as soon as the
page is full, so a one-letter search on a million customers reads fifty index entries,
not eight hundred thousand; nothing here ever counts or sorts a whole match set. On
PostgreSQL every tier is ranked inside one statement, the page's rows with it (one round
trip a keystroke: :func:`search_page`); a GIN index cannot be read in id order, so the
statement samples the first customers to tell common words (walked in id order) from
rare ones (read from the index): see :func:`_pg_ranked_sql`. :func:`count_matches` is
the one place that does count, for list headers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine
from sqlmodel import Session

from tillterm.core.dates import parse_date
from tillterm.core.errors import ValidationFailed
from tillterm.core.folding import normalise_code, printable, words
from tillterm.core.money import parse_percent
from tillterm.i18n import _, pgettext
from tillterm.store.fastpath import Typed, fetch_all, fetch_planned, statement
from tillterm.store.models import Percent, UTCDateTime
from tillterm.store.search_index import (
    CUSTOM_SHIFT,
    EMAIL_COLUMNS,
    PG_BUCKET_SHIFT,
    PG_MARK,
    PG_MARKED,
    PG_MARKED_LETTERS,
)

#: more words than this add nothing but cost ("sensible results" for pasted paragraphs)
MAX_TERMS = 8
#: no indexed word is longer; a longer term can only fail to match
MAX_TERM_LENGTH = 100

#: no stored email is longer (the columns' length)
MAX_EMAIL = 254

_PHONE_LIKE = re.compile(r"[\d\s+\-.()/]+")

Kind = Literal["empty", "words", "digits", "email"]
Tier = Literal[
    "code", "email_exact", "phone_exact", "name_exact", "name", "email", "all", "custom", "mixed"
]

#: at most this many custom values a search reads for the "name word plus custom value
#: word" tier (:func:`_mixed_sql`)
MIXED_VALUES = 2000
#: a digit text this long can be a whole phone number (a postcode, a house number or
#: the start of a phone is shorter): its exact matches are phones, few enough to rank
PHONE_EXACT_DIGITS = 7


@dataclass(frozen=True)
class ParsedQuery:
    kind: Kind
    terms: tuple[str, ...]
    code_key: str
    #: an email text as typed, lower-cased: the start of the addresses it means
    #: ("jean@" is the owner of jean@martin.fr, before jeanne.roux@…); "" otherwise
    email_start: str = ""

    @property
    def tiers(self) -> tuple[Tier, ...]:
        if self.kind == "empty":
            return ()
        if not self.terms:
            return ("code",)
        if self.kind == "words":
            # a name word and a custom value word ("paul comte") find Paul only when
            # both are asked of one customer: no single field holds both
            mixed: tuple[Tier, ...] = ("mixed",) if len(self.terms) > 1 else ()
            return ("code", "name_exact", "name", "all", "custom", *mixed)
        if self.kind == "email":
            # an @ says "email": a name or an address that happens to share a word with
            # it is noise (and the all-fields tier would cost a second pass)
            exact: tuple[Tier, ...] = ("email_exact",) if self.email_start else ()
            return ("code", *exact, "email", "custom")
        if len(self.terms[0]) >= PHONE_EXACT_DIGITS:
            return ("code", "phone_exact", "all", "custom")
        return ("code", "all", "custom")


def parse_query(value: str) -> ParsedQuery:
    stripped = printable(value or "").strip()
    if not stripped:
        return ParsedQuery("empty", (), "")
    code_key = normalise_code(stripped)
    if _PHONE_LIKE.fullmatch(stripped) and any(ch.isdigit() for ch in stripped):
        digits = "".join(ch for ch in stripped if ch.isdigit())
        return ParsedQuery("digits", (digits[:MAX_TERM_LENGTH],), code_key)
    terms = tuple(dict.fromkeys(t[:MAX_TERM_LENGTH] for t in words(stripped)))[:MAX_TERMS]
    if "@" not in stripped:
        return ParsedQuery("words", terms, code_key)
    # no address holds a space, and none is longer than its column
    start = stripped.lower() if len(stripped) <= MAX_EMAIL and stripped.isprintable() else ""
    return ParsedQuery("email", terms, code_key, "" if " " in start else start)


#: the customers a standing merge absorbed (``tillterm.customers.merging``): hidden
#: from every list, archived ones included
MERGED_AWAY = (
    "SELECT a.customer_id FROM customer_merge_absorbed a "
    "JOIN customer_merge m ON m.id = a.merge_id WHERE m.undone_at IS NULL"
)
#: the archived customers a list can show (erased ones among them: they carry no
#: identity); few, read through ``ix_customer_archived_at``
ARCHIVED_SHOWN = (
    f"SELECT id FROM customer WHERE archived_at IS NOT NULL AND id NOT IN ({MERGED_AWAY})"
)

FILTER_LABELS = {
    "created_from": _("Created from"),
    "created_to": _("Created to"),
    "discount": pgettext("customer field", "Discount"),
}


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a customer list besides the typed text (SPEC §4 filters).

    ``group_id`` 0 means "no group"; ``created_from``/``created_to`` are local dates,
    both inclusive; ``discount`` is ``"any"`` (has a discount of their own) or a
    percentage that must match exactly; ``tags_all`` / ``tags_none`` are tag names.

    ``include_archived`` adds archived customers to the active ones; ``archived_only``
    shows the archived ones alone (a manager looking for someone to restore), and
    implies ``include_archived`` (an export of that list then writes archived rows).
    Customers merged into another stay hidden either way: they are part of their
    survivor, not customers to restore.
    """

    group_id: int | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    discount: Decimal | str | None = None
    tax_rate_id: int | None = None
    tags_all: tuple[str, ...] = field(default=())
    tags_none: tuple[str, ...] = field(default=())
    include_archived: bool = False
    archived_only: bool = False

    @property
    def plain(self) -> bool:
        """Nothing but the archived switch: counts can come from the word index alone."""
        return not self.archived_only and self.words_countable

    @property
    def words_countable(self) -> bool:
        """Nothing narrows but the archived state: the SQLite word index can count."""
        return (
            self.group_id is None
            and self.created_from is None
            and self.created_to is None
            and self.discount is None
            and self.tax_rate_id is None
            and not self.tags_all
            and not self.tags_none
        )

    @classmethod
    def of(cls, filters: SearchFilters | None, extra: Mapping[str, Any]) -> SearchFilters:
        """Merge ``filters=`` and keyword filters (keywords win)."""
        known = {f.name for f in fields(cls)}
        unknown = set(extra) - known
        if unknown:
            raise TypeError(f"unknown customer filter(s): {', '.join(sorted(unknown))}")
        values = {f.name: getattr(filters, f.name) for f in fields(cls)} if filters else {}
        values.update(extra)
        for name in ("tags_all", "tags_none"):
            tags = values.get(name) or ()
            values[name] = tuple(t for t in _tag_list(tags) if t)
        errors: dict[str, str] = {}
        for name in ("created_from", "created_to"):
            if isinstance(values.get(name), str):
                try:
                    values[name] = parse_date(values[name]) if values[name].strip() else None
                except ValueError as exc:
                    errors[name] = str(exc)
        discount = values.get("discount")
        if isinstance(discount, str) and discount.strip().lower() != "any":
            try:
                values["discount"] = parse_percent(discount)
            except ValueError as exc:
                errors["discount"] = str(exc)
        if errors:
            raise ValidationFailed(errors, FILTER_LABELS)
        if values.get("archived_only"):
            values["include_archived"] = True
        return cls(**values)


def _tag_list(tags: str | Iterable[str]) -> list[str]:
    if isinstance(tags, str):
        return [t.strip() for t in tags.split(",")]
    return [str(t).strip() for t in tags]


# --------------------------------------------------------------------------- filters


class _Sql:
    """A WHERE clause over customer ``c`` and its named parameters."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}
        self.impossible = False
        #: the few ids the list is limited to (archived only): the SQLite word index
        #: is asked about them alone instead of walked until they turn up
        self.among: str | None = None

    def bind(self, value: Any, type_: TypeEngine[Any] | None = None) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value if type_ is None else Typed(value, type_)
        return f":{name}"

    def where(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1 = 1"


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local date, in UTC (created dates are the store's local days)."""
    return dt.datetime.combine(day, dt.time.min).astimezone(dt.UTC)


def _filter_sql(session: Session, flt: SearchFilters) -> _Sql:
    sql = _Sql()
    if flt.archived_only:
        sql.clauses.append("c.archived_at IS NOT NULL")
        sql.clauses.append(f"c.id NOT IN ({MERGED_AWAY})")
        sql.among = ARCHIVED_SHOWN
    elif not flt.include_archived:
        sql.clauses.append("c.archived_at IS NULL")
    else:
        # a customer merged into another is archived, and stays hidden even then
        sql.clauses.append(f"c.id NOT IN ({MERGED_AWAY})")
    if flt.group_id is not None:
        if flt.group_id == 0:
            sql.clauses.append("c.group_id IS NULL")
        else:
            sql.clauses.append(f"c.group_id = {sql.bind(int(flt.group_id))}")
    if flt.created_from is not None:
        start = _day_start(flt.created_from)
        sql.clauses.append(f"c.created_at >= {sql.bind(start, UTCDateTime())}")
    if flt.created_to is not None:
        end = _day_start(flt.created_to + dt.timedelta(days=1))
        sql.clauses.append(f"c.created_at < {sql.bind(end, UTCDateTime())}")
    if flt.discount is not None:
        if isinstance(flt.discount, str) and flt.discount.strip().lower() == "any":
            sql.clauses.append("c.discount_percent IS NOT NULL")
        else:
            sql.clauses.append(
                f"c.discount_percent = {sql.bind(Decimal(str(flt.discount)), Percent())}"
            )
    if flt.tax_rate_id is not None:
        sql.clauses.append(f"c.tax_rate_id = {sql.bind(int(flt.tax_rate_id))}")
    if flt.tags_all or flt.tags_none:
        ids = _tag_ids(session, [*flt.tags_all, *flt.tags_none])
        for name in flt.tags_all:
            tag_id = ids.get(" ".join(printable(name).split()).casefold())
            if tag_id is None:
                sql.impossible = True
                continue
            sql.clauses.append(
                "EXISTS (SELECT 1 FROM customer_tag ct WHERE ct.customer_id = c.id "
                f"AND ct.tag_id = {sql.bind(tag_id)})"
            )
        keys = [" ".join(printable(n).split()).casefold() for n in flt.tags_none]
        excluded = sorted({ids[key] for key in keys if key in ids})
        if excluded:
            marks = ", ".join(sql.bind(tag_id) for tag_id in excluded)
            sql.clauses.append(
                "NOT EXISTS (SELECT 1 FROM customer_tag ct WHERE ct.customer_id = c.id "
                f"AND ct.tag_id IN ({marks}))"
            )
    return sql


def _tag_ids(session: Session, names: Sequence[str]) -> dict[str, int]:
    keys = sorted({" ".join(printable(n).split()).casefold() for n in names})
    stmt = text("SELECT name_key, id FROM tag WHERE name_key IN :keys").bindparams(
        bindparam("keys", keys, expanding=True)
    )
    return {key: int(tag_id) for key, tag_id in session.execute(stmt)}


def _run(session: Session, sql: str, where: _Sql, **params: Any) -> list[Sequence[Any]]:
    """Rows of a statement through the fast path (``tillterm.store.fastpath``)."""
    return fetch_all(session, sql, {**where.params, **params})


def _stmt(sql: str, where: _Sql, **params: Any) -> TextClause:
    return statement(sql, {**where.params, **params})


# --------------------------------------------------------------------------- engines


def _fts_match(query: ParsedQuery, columns: tuple[str, ...] = (), *, prefix: bool = True) -> str:
    """An FTS5 MATCH string: each term quoted (never syntax), a prefix, all required."""
    star = "*" if prefix else ""
    expr = " AND ".join(f'"{term}"{star}' for term in query.terms)
    if columns:
        return "{" + " ".join(columns) + "} : (" + expr + ")"
    return expr


def _tsquery(query: ParsedQuery, *, prefix: bool = True, marked: bool = False) -> str:
    """A tsquery literal: each term a quoted prefix lexeme, all required.

    ``marked``: the words searched hold their first letters marked
    (:data:`tillterm.store.search_index.PG_MARK`), and a prefix of one or two letters is
    asked for as its mark, one index entry.
    """
    star = ":*" if prefix else ""
    return " & ".join(
        f"'{PG_MARK}{term}'"
        if marked and prefix and len(term) <= PG_MARKED_LETTERS
        else f"'{term}'{star}"
        for term in query.terms
    )


#: the stored words of each document (``tillterm.store.search_index.PG_WORDS``)
_PG_NAME = "c.search_name_words"
_PG_ALL = "c.search_all_words"
_PG_EMAIL = "c.search_email_words"


def _activity(dialect: str) -> str:
    """When customer ``c`` was last active: its last sale or its last change, whichever
    came later (a till's regulars first among customers a text matches equally well).

    One seek in ``ix_sale_customer_completed`` a customer: asked only of the few a text
    matches exactly (an address, a phone number), never of a common word's thousands.
    """
    last_sale = "(SELECT max(s.completed_at) FROM sale s WHERE s.customer_id = c.id)"
    if dialect == "sqlite":
        # both timestamps are stored as ISO text, which sorts as time does
        return f"max(coalesce({last_sale}, ''), c.updated_at)"
    return f"greatest({last_sale}, c.updated_at)"


def _email_bounds(start: str) -> tuple[str, str]:
    """The addresses starting with ``start``: ``lo <= address < hi``, compared byte by
    byte on both engines (SQLite's ``BINARY``, PostgreSQL's ``~<~``)."""
    last = ord(start[-1])
    return start, start[:-1] + chr(last + 1) if last < 0x10FFFF else start + "\U0010ffff"


def _mixed_sql(dialect: str, query: ParsedQuery, key: str) -> tuple[str, dict[str, Any]]:
    """The ids of customers holding every word in their fields or in their custom values,
    at least one in a custom value ("paul comte": Paul whose favourite is Comté).

    The customers with a custom value matching any word are the candidates, each
    checked word by word (each word a lookup of that one customer's entries). They are
    the first :data:`MIXED_VALUES` matching values in customer order, on both engines: a
    word that thousands of custom values share ("42" of a shoe size) would otherwise
    cost a lookup per word for each of them, at every keystroke of a rare text.
    """
    params: dict[str, Any] = {}
    checks = []
    for index, term in enumerate(query.terms):
        name = f"t{key}_{index}"
        if dialect == "sqlite":
            params[name] = f'"{term}"*'
            checks.append(
                f"(EXISTS (SELECT 1 FROM search_all a WHERE a.search_all MATCH :{name} "
                "AND a.rowid = c.id) OR EXISTS (SELECT 1 FROM search_custom v "
                f"WHERE v.search_custom MATCH :{name} AND v.rowid >= (c.id << {CUSTOM_SHIFT}) "
                f"AND v.rowid < ((c.id + 1) << {CUSTOM_SHIFT})))"
            )
        else:
            params[name] = f"'{term}':*"
            checks.append(
                f"({_PG_ALL} @@ CAST(:{name} AS tsquery) OR EXISTS (SELECT 1 FROM "
                "custom_field_value v WHERE v.customer_id = c.id "
                f"AND v.search_value_words @@ CAST(:{name} AS tsquery)))"
            )
    if dialect == "sqlite":
        params[f"a{key}"] = " OR ".join(f'"{term}"*' for term in query.terms)
        among = (
            f"SELECT f.rowid >> {CUSTOM_SHIFT} FROM search_custom f "
            f"WHERE search_custom MATCH :a{key} ORDER BY f.rowid LIMIT {MIXED_VALUES}"
        )
    else:
        params[f"a{key}"] = " | ".join(f"'{term}':*" for term in query.terms)
        among = (
            "SELECT v.customer_id FROM custom_field_value v "
            f"WHERE v.search_value_words @@ CAST(:a{key} AS tsquery) "
            f"ORDER BY v.customer_id, v.field_id LIMIT {MIXED_VALUES}"
        )
    return f"c.id IN ({among}) AND {' AND '.join(checks)}", params


def _exact_sql(
    dialect: str, tier: Tier, query: ParsedQuery, key: str
) -> tuple[str, str, dict[str, Any]]:
    """The FROM and WHERE of an exact tier (the start of an address, a whole phone
    number): few customers, ranked by activity."""
    if tier == "email_exact":
        lo, hi = _email_bounds(query.email_start)
        ge, lt = (">=", "<") if dialect == "sqlite" else ("~>=~", "~<~")
        starts = [
            f"SELECT id FROM customer WHERE lower({column}) {ge} :lo{key} "
            f"AND lower({column}) {lt} :hi{key}{extra}"
            for column, extra in (("email", ""), ("email2", " AND email2 <> ''"))
        ]
        return (
            "customer c",
            f"c.id IN ({' UNION ALL '.join(starts)})",
            {f"lo{key}": lo, f"hi{key}": hi},
        )
    digits = query.terms[0]
    if dialect == "sqlite":
        return (
            "search_all f CROSS JOIN customer c ON c.id = f.rowid",
            f"search_all MATCH :m{key}",
            {f"m{key}": f'{{phone_digits}} : "{digits}"'},
        )
    return (
        "customer c",
        f"{_PG_ALL} @@ CAST(:q{key} AS tsquery) "
        f"AND strpos(' ' || c.phone_digits || ' ', :w{key}) > 0",
        {f"q{key}": f"'{digits}'", f"w{key}": f" {digits} "},
    )


def _tier_sql(
    dialect: str, tier: Tier, query: ParsedQuery, where: _Sql, key: str = ""
) -> tuple[str, dict[str, Any]]:
    """The SQL of one tier, selecting customer ids in its order (id order, or activity
    for the exact tiers), ``:n`` at most.

    Its own parameters are named with ``key`` appended, so that several tiers can share
    one statement (:func:`_pg_ranked_sql`).
    """
    cond = where.where()
    if tier == "code":
        return (
            f"SELECT c.id FROM customer c WHERE c.code_key = :code{key} AND {cond} LIMIT :n",
            {f"code{key}": query.code_key},
        )
    if tier in ("email_exact", "phone_exact"):
        source, match, params = _exact_sql(dialect, tier, query, key)
        return (
            f"SELECT c.id FROM {source} WHERE {match} AND {cond} "
            f"ORDER BY {_activity(dialect)} DESC, c.id LIMIT :n",
            params,
        )
    if tier == "mixed":
        match, params = _mixed_sql(dialect, query, key)
        return (
            f"SELECT c.id FROM customer c WHERE {match} AND {cond} ORDER BY c.id LIMIT :n",
            params,
        )
    if dialect == "sqlite":
        if tier == "custom":
            return (
                # rowids order by (customer, field): DISTINCT keeps that order
                "SELECT DISTINCT c.id FROM search_custom f CROSS JOIN customer c "
                f"ON c.id = (f.rowid >> {CUSTOM_SHIFT}) "
                f"WHERE search_custom MATCH :m{key} AND {cond} ORDER BY f.rowid LIMIT :n",
                {f"m{key}": _fts_match(query)},
            )
        table = "search_name" if tier in ("name", "name_exact") else "search_all"
        columns = EMAIL_COLUMNS if tier == "email" else ()
        match = _fts_match(query, columns, prefix=tier != "name_exact")
        among = f" AND f.rowid IN ({where.among})" if where.among else ""
        return (
            f"SELECT c.id FROM {table} f CROSS JOIN customer c ON c.id = f.rowid "
            f"WHERE {table} MATCH :m{key}{among} AND {cond} ORDER BY f.rowid LIMIT :n",
            {f"m{key}": match},
        )
    if tier == "custom":
        return (
            "SELECT c.id FROM customer c WHERE EXISTS (SELECT 1 FROM custom_field_value v "
            f"WHERE v.customer_id = c.id AND v.search_value_words @@ CAST(:q{key} AS tsquery)) "
            f"AND {cond} ORDER BY c.id LIMIT :n",
            {f"q{key}": _tsquery(query)},
        )
    doc = {"name": _PG_NAME, "name_exact": _PG_NAME, "email": _PG_EMAIL}.get(tier, _PG_ALL)
    return (
        f"SELECT c.id FROM customer c WHERE {doc} @@ CAST(:q{key} AS tsquery) "
        f"AND {cond} ORDER BY c.id LIMIT :n",
        {f"q{key}": _tsquery(query, prefix=tier != "name_exact")},
    )


#: the tiers ranked by activity (:func:`_activity`) rather than by id
EXACT_TIERS: tuple[Tier, ...] = ("email_exact", "phone_exact")
#: PostgreSQL: a tier's place in the page order, above any id or rank within a tier
_TIER_STEP = 1 << 32

#: PostgreSQL: how many customers (in id order) every search reads first, the sample
#: that tells each tier how common its words are (see :func:`_pg_ranked_sql`). Reading
#: and testing them is most of what a search that ends early costs the server: 2,048
#: took 5 of the 7 ms of a one-word miss (on a busy machine); with 1,024 the mix's
#: median fell by a fifth, its p95 the same (the thresholds below keep their shares)
PG_WINDOW = 1024
#: fewer rows than this in the window match what the GIN index would be asked: it
#: returns few enough rows (under about 4,000 in a million) to read them all
PG_RARE = 4
#: :data:`PG_RARE` for a text of one word. Read bucket by bucket, its lookup costs a
#: row for each match in the first bucket or two (a share ``s`` of 32,768 ids), where a
#: walk costs a page for every fourteen customers until the page is full (``50 / s``):
#: the index is cheaper below about 1% (10 in the window). A lookup of several words
#: also reads each word's entries, so it keeps the lower bound ("p m" read 22,000
#: pages by the index at 12). On the customer-core mix: 401,000 buffers instead of
#: 459,000, postcodes' p95 466 instead of 1,230, emails' 876 instead of 1,790
PG_RARE_ALONE = 10
#: how many more customers a tier with common words walks in id order before it falls
#: back on the GIN index (its words were rarer past the window than in it)
PG_WALK = 32768
#: a tier walks on only when the window held this many of its matches: a walk of
#: :data:`PG_WALK` customers then expects the page's worth (32 windows, 2 each). With
#: fewer, the whole text is rare however common the words asked of the index are
#: ("x kim": "kim" is common, "x" with it is not), and a walk would read 32,768
#: customers (2,400 pages) to fall short and end on the index anyway
PG_WALK_LEAST = 2
#: a lookup under this many rows of the window (about 10,000 in a million) still beats
#: a one-letter prefix in the GIN index, after a walk that fell short
PG_COMMON = 10
#: a prefix this long narrows a GIN lookup; a shorter one is checked on the rows found
PG_SELECTIVE = 2
#: a prefix shorter than this is left out of a GIN lookup whose other words are rare in
#: the window: the index collects every row a short prefix begins ("ma": 88,000 rows,
#: 13 ms), where the rows of a rare word are few to check ("jennifer": 1,865, 3 ms)
PG_NARROW = 3
#: what reading a customer row for its id costs, in GIN entries: the narrow lookup (a
#: long word alone, its rows checked for the short prefixes) pays a row for each match
#: of the long word, the whole lookup an entry for each match of every word. Measured
#: on a million customers: "ma jennifer" 65 ms whole (88,000 "ma" entries), 5 ms
#: narrow (1,845 rows); "kr chamb" 14 ms whole (11,696 "kr" entries), 23 ms narrow
#: (4,648 rows, 4,500 heap pages): about 0.75 µs an entry, 3-5 µs a row. Measured
#: again (2026-12): "kr chamb" 5.5 ms whole, 25 ms narrow, and its window held 13 "kr"
#: and 3 "chamb": at 4 entries a row it read the 4,648 rows, at 6 the index
PG_ROW_ENTRIES = 6
#: a GIN lookup that matched this many customers of the window reads its matches
#: bucket by bucket (:func:`_pg_lookup`)
PG_BUCKETED = 1
#: the stored words each PostgreSQL tier matches, and whether as prefixes
_PG_TIER_WORDS: dict[Tier, tuple[str, bool]] = {
    "name_exact": (_PG_NAME, False),
    "name": (_PG_NAME, True),
    "all": (_PG_ALL, True),
    "email": (_PG_EMAIL, True),
}


def _pg_indexed_terms(query: ParsedQuery, prefix: bool, marked: bool) -> tuple[str, ...]:
    """The words a tier asks the GIN index for (the others are checked on its rows).

    A one-letter prefix among other words costs the index a scan of every word it
    begins (50 ms for "p"), and checked row by row on the matches of the others it
    costs nothing; every other word narrows the lookup, a row read costing what a
    hundred index entries do (10,000 "kerr" rows read to find 151 "kerr pe": 100 ms).
    """
    kept = tuple(t for t in query.terms if len(t) >= PG_SELECTIVE or not prefix or marked)
    return kept or query.terms


def _pg_narrow_terms(query: ParsedQuery, prefix: bool, marked: bool) -> tuple[str, ...]:
    """The words a tier asks the GIN index for when they are rare in the window: short
    prefixes left out (:data:`PG_NARROW`), a mark kept (one index entry).

    Empty when every word is short: nothing rare to narrow the lookup with.
    """
    return tuple(
        t
        for t in query.terms
        if not prefix or len(t) >= PG_NARROW or (marked and len(t) <= PG_MARKED_LETTERS)
    )


def _pg_lookup(
    match: str, cond: str, found: str, terms: Sequence[str], name: str, *, exact: bool = False
) -> tuple[list[str], list[str]]:
    """A GIN lookup of ``terms`` past the window, the first ``:n`` of its matches in id
    order: the CTEs it needs (``name`` and names made from it) and the parts of its tier.

    One word is read bucket by bucket (:func:`_pg_by_bucket`): every bucket when the
    window held :data:`PG_BUCKETED` matches of the whole text (``found``: a bucket then
    holds thirty-two times as many, the page fills within two buckets); else the first
    bucket past the window only (a probe: ``name``), and the rest all at once and
    sorted when the probe fell short. The window is a sample of the first customers
    only, and a word can be missing from it and common after it ("Shelton": none in the
    window, 4,836 customers; all at once read a heap page for each, 4,703 pages and
    13 ms, where the probe's bucket held 147 of them: 160 pages, 1 ms). A probe of a word
    nobody has costs a dozen index pages.

    Each bucket reads the word's index entries again, and a prefix's every entry, in
    every bucket, not just the bucket's own: for one word that costs less than a row
    read for each of its matches up to four buckets. Several words cost the entries of
    each (a short prefix's tens of thousands) for each bucket: "destiny bo" spent 140 ms
    by bucket, 43 ms at once. They are read all at once, unless each is one index entry
    (``exact``: a whole word, or a mark: :func:`_tsquery`), which the others skip
    through bucket by bucket like one word: "n c" ("#n & #c": 5,060 customers) took
    36 ms at once, 1.5 ms from its first bucket.
    """
    past = f"c.id + 0 > (SELECT edge FROM seen) AND {cond} ORDER BY c.id + 0 LIMIT :n"
    plain = f"SELECT r.id FROM (SELECT c.id FROM customer c WHERE {match} AND {{gate}} {past}) AS r"
    if len(terms) != 1 and not exact:
        return [], [plain.format(gate="")]
    edge = "(SELECT edge FROM seen)"
    probed = f"({edge} >> {PG_BUCKET_SHIFT})"
    every = f"(SELECT max(id) FROM customer) >> {PG_BUCKET_SHIFT}"
    last = f"CASE WHEN {found} >= :bucketed THEN {every} ELSE {probed} END"
    past_probe = f"c.id + 0 >= (({probed} + 1) << {PG_BUCKET_SHIFT})"
    gate = f"{found} < :bucketed AND (SELECT count(*) FROM {name}) < :n AND {past_probe} AND"
    return (
        [f"{name} AS MATERIALIZED ({_pg_by_bucket(match, cond, last)})"],
        [f"SELECT id FROM {name}", plain.format(gate=gate)],
    )


def _pg_by_bucket(match: str, cond: str, last: str) -> str:
    """The first ``:n`` customers past the window that ``match`` (a GIN lookup) finds, in
    id order, read one id bucket at a time (:data:`PG_BUCKET_SHIFT`) up to bucket
    ``last``.

    A GIN index returns its matches in no order: sorting all of them for the first
    ``:n`` reads a heap page for each (5,000 for "shelton"). Here each bucket's lookup
    is its own (the bucket is a key of the index), sorted on its own, and the buckets
    are taken in order until the page is full: a word that 5,000 customers share fills
    it from its first bucket. A bucket without a match costs a few index pages.
    ``+ 0``: the rows are found through the GIN index, never by walking the primary key.
    """
    edge = "(SELECT edge FROM seen)"
    return (
        f"SELECT r.id FROM (SELECT x.id FROM generate_series({edge} >> {PG_BUCKET_SHIFT}, "
        f"{last}) AS b(k) CROSS JOIN LATERAL "
        f"(SELECT c.id FROM customer c WHERE {match} AND (c.id >> {PG_BUCKET_SHIFT}) = b.k "
        f"AND c.id + 0 > {edge} AND {cond} ORDER BY c.id + 0 LIMIT :n) AS x LIMIT :n) AS r"
    )


#: what a page statement selects when only the ids are wanted
IDS_ONLY = "c.id"


def _pg_ranked_sql(
    query: ParsedQuery,
    where: _Sql,
    limit: int,
    offset: int,
    select: str = IDS_ONLY,
    joins: str = "",
) -> tuple[str, dict[str, Any]]:
    """Every tier and the page in one statement (one round trip per keystroke on a
    server): ``select`` (columns of customer ``c`` and of ``joins``) for each customer
    of the page, best first.

    The tiers' rows are tagged with their rank; a customer found by several tiers
    counts at its best one, so the page is ordered by (best tier, id), as SQLite's
    path orders it, and only the page's rows are joined to their customer.

    A tier wants the first ``:n`` matching ids in id order. Which plan finds them fast
    depends on how common the words are: walking the customers in id order stops after
    a few hundred rows for "m" and reads the whole table for "vvvvv"; the GIN index
    answers "vvvvv" at once, and for "m" returns eight hundred thousand rows to sort.
    The planner's estimate of the share a prefix matches is often off a hundredfold
    (a phone prefix spans thousands of distinct numbers; "g9a 5h7" is two words that
    always come together), so the choice is not left to it; it is made by the executor
    from a sample, inside the statement:

    1. ``head``: the first :data:`PG_WINDOW` customers in id order, every tier's words
       tested on each (half of what a search that ends early costs), and what its index
       lookup would be (:func:`_pg_indexed_terms`). A tier with ``:n`` matches there is
       done.
    2. A tier whose index lookup matches :data:`PG_RARE` rows of the window or more
       (:data:`PG_RARE_ALONE` for one word: the index would return thousands of rows)
       walks on in id order (``walk``), at most :data:`PG_WALK` customers further, and
       stops at the matches the window left to find (a common word walks a few hundred
       rows, not the page's worth).
    3. A tier whose index lookup is rare reads its GIN index past the window (``+ 0``:
       not through the primary key), bucket by bucket in id order when the window held
       a few of its matches, else its first bucket first (:func:`_pg_lookup`); the
       words the index was not asked are checked on its rows (``coalesce``: a test the
       planner cannot answer from the index). A tier whose walk fell short reads the
       index for all its words.

    Each part runs only when the one before fell short (its gate is a one-time filter),
    and a tier only while the tiers before it found fewer customers than the page.
    ``:n`` rows of a tier are enough: a tier only matters while fewer than ``:n``
    customers are found, so at most that many of its rows can be customers already
    found. The index part may return the walk's matches again; the page keeps each
    customer once.
    """
    cond = where.where()
    ranked = [(rank, tier) for rank, tier in enumerate(query.tiers) if tier in _PG_TIER_WORDS]
    params: dict[str, Any] = (
        {
            "w": PG_WINDOW,
            "rare": PG_RARE,
            "walk": PG_WALK,
            "common": PG_COMMON,
            "least": PG_WALK_LEAST,
            "entries": PG_ROW_ENTRIES,
            "bucketed": PG_BUCKETED,
        }
        if ranked
        else {}
    )
    ctes: list[str] = []
    if ranked:
        tests, counts = [], []
        for rank, tier in ranked:
            column, prefix = _PG_TIER_WORDS[tier]
            name = column.removeprefix("c.")
            marked = name in PG_MARKED
            params[f"q{rank}"] = _tsquery(query, prefix=prefix, marked=marked)
            tests.append(f"w.{name} @@ CAST(:q{rank} AS tsquery) AS t{rank}")
            counts.append(f"count(*) FILTER (WHERE t{rank}) AS n{rank}")
            indexed = _pg_indexed_terms(query, prefix, marked)
            if indexed == query.terms:
                counts.append(f"count(*) FILTER (WHERE t{rank}) AS m{rank}")
            else:
                params[f"k{rank}"] = _tsquery(
                    ParsedQuery(query.kind, indexed, ""), prefix=prefix, marked=marked
                )
                tests.append(f"w.{name} @@ CAST(:k{rank} AS tsquery) AS u{rank}")
                counts.append(f"count(*) FILTER (WHERE u{rank}) AS m{rank}")
            narrow = _pg_narrow_terms(query, prefix, marked)
            if narrow and narrow != indexed:
                params[f"z{rank}"] = _tsquery(
                    ParsedQuery(query.kind, narrow, ""), prefix=prefix, marked=marked
                )
                tests.append(f"w.{name} @@ CAST(:z{rank} AS tsquery) AS v{rank}")
                counts.append(f"count(*) FILTER (WHERE v{rank}) AS r{rank}")
                # what the short prefixes left out of the narrow lookup would add to the
                # whole one: their entries (any of them: each is read whole)
                left_out = [t for t in indexed if t not in narrow]
                params[f"y{rank}"] = " | ".join(f"'{term}':*" for term in left_out)
                tests.append(f"w.{name} @@ CAST(:y{rank} AS tsquery) AS x{rank}")
                counts.append(f"count(*) FILTER (WHERE x{rank}) AS s{rank}")
        columns = sorted({_PG_TIER_WORDS[tier][0] for _rank, tier in ranked})
        ctes.append(
            f"head AS MATERIALIZED (SELECT w.id, {', '.join(tests)} FROM (SELECT c.id, "
            f"{', '.join(columns)} FROM customer c WHERE {where.where()} "
            "ORDER BY c.id LIMIT :w) AS w)"
        )
        ctes.append(f"seen AS MATERIALIZED (SELECT max(id) AS edge, {', '.join(counts)} FROM head)")
    parts = []
    for rank, tier in enumerate(query.tiers):
        # a tier runs only while the tiers before it found fewer than the page: later
        # tiers rank after them, so they could not change it
        wanted = "TRUE"
        if rank:
            earlier = " UNION ALL ".join(f"SELECT id FROM res{r}" for r in range(rank))
            ctes.append(
                f"prev{rank} AS MATERIALIZED (SELECT count(DISTINCT id) AS k FROM ({earlier}) u)"
            )
            wanted = f"(SELECT k FROM prev{rank}) < :n"
        if tier in EXACT_TIERS:
            # ranked by activity, not id: each row keeps its place in the tier
            source, match, own = _exact_sql("postgresql", tier, query, str(rank))
            ctes.append(
                f"res{rank} AS MATERIALIZED (SELECT t.id, row_number() OVER "
                "(ORDER BY t.active DESC, t.id) AS pos FROM (SELECT c.id, "
                f"{_activity('postgresql')} AS active FROM {source} WHERE {match} AND {cond} "
                f"ORDER BY active DESC, c.id LIMIT :n) AS t WHERE {wanted})"
            )
            parts.append(f"SELECT {rank} AS tier, pos, id FROM res{rank}")
            params.update(own)
            continue
        if tier not in _PG_TIER_WORDS:
            sql, own = _tier_sql("postgresql", tier, query, where, key=str(rank))
            ctes.append(f"res{rank} AS MATERIALIZED (SELECT t.id FROM ({sql}) AS t WHERE {wanted})")
            parts.append(f"SELECT {rank} AS tier, id AS pos, id FROM res{rank}")
            params.update(own)
            continue
        column, prefix = _PG_TIER_WORDS[tier]
        marked = column.removeprefix("c.") in PG_MARKED
        words = f"{column} @@ CAST(:q{rank} AS tsquery)"
        lookup = words
        if f"k{rank}" in params:
            lookup = f"{column} @@ CAST(:k{rank} AS tsquery) AND coalesce({words}, false)"
        found, asked = f"(SELECT n{rank} FROM seen)", f"(SELECT m{rank} FROM seen)"
        # how common in the window a lookup may be and still beat the walk
        rare = PG_RARE_ALONE if len(query.terms) == 1 else PG_RARE
        short = f"{wanted} AND {found} < :n"
        ctes.append(
            f"walk{rank} AS MATERIALIZED (SELECT c.id FROM (SELECT c.id, {column} "
            f"FROM customer c WHERE c.id > (SELECT edge FROM seen) AND {cond} "
            f"ORDER BY c.id LIMIT :walk) AS c WHERE {short} AND {asked} >= {rare} "
            f"AND {found} >= :least AND {words} ORDER BY c.id LIMIT greatest(:n - {found}, 0))"
        )
        # a walk that fell short: what it looked for is rare. The lookup alone reads
        # a few thousand rows at most when it was under :data:`PG_COMMON` in the
        # window ("neil" for "neil.c@"); past that every word goes to the index, a
        # short prefix costing less there than the rows the others would read ("an"
        # for "an g"). Without a short prefix both are the same lookup.
        fell_short = f"{found} + (SELECT count(*) FROM walk{rank}) < :n"
        indexed_gate = f"{short} AND ({asked} < {rare} OR ({asked} < :common AND {fell_short}))"
        tier_parts = [
            f"SELECT h.id FROM (SELECT id FROM head WHERE t{rank} ORDER BY id LIMIT :n) AS h",
            f"SELECT id FROM walk{rank}",
        ]
        # each GIN lookup of the tier: when it runs, and the words it asks the index
        lookups: list[tuple[str, tuple[str, ...]]] = []
        if f"z{rank}" in params:
            # the long words alone are rare, and their rows are fewer to check than
            # the entries of the short prefixes are to read (the two lookups are
            # exclusive)
            rare_alone = f"(SELECT r{rank} < :rare AND s{rank} > :entries * r{rank} FROM seen)"
            lookups.append(
                (
                    f"{indexed_gate} AND {rare_alone} AND {column} @@ CAST(:z{rank} AS tsquery) "
                    f"AND coalesce({words}, false)",
                    _pg_narrow_terms(query, prefix, marked),
                )
            )
            indexed_gate += f" AND NOT {rare_alone}"
        lookups.append((f"{indexed_gate} AND {lookup}", _pg_indexed_terms(query, prefix, marked)))
        lookups.append(
            (f"{short} AND {asked} >= :common AND {fell_short} AND {words}", query.terms)
        )
        for index, (match, terms) in enumerate(lookups):
            exact = all(not prefix or (marked and len(t) <= PG_MARKED_LETTERS) for t in terms)
            probes, more = _pg_lookup(
                match, cond, found, terms, f"probe{rank}_{index}", exact=exact
            )
            ctes += probes
            tier_parts += more
        ctes.append(f"res{rank} AS MATERIALIZED ({' UNION ALL '.join(tier_parts)})")
        parts.append(f"SELECT {rank} AS tier, id AS pos, id FROM res{rank}")
    ctes.append(
        # a customer counts at its best tier, at its place there (its id, or its rank by
        # activity in an exact tier): one key, the tier above any place
        f"page AS MATERIALIZED (SELECT id, min(tier * {_TIER_STEP} + pos) AS place FROM "
        f"({' UNION ALL '.join(parts)}) AS ranked GROUP BY id ORDER BY place "
        "LIMIT :limit OFFSET :offset)"
    )
    # the sizes are written into the statement, not bound: a plan the server keeps for
    # the statement (psycopg prepares it after a few keystrokes) knows its limits
    sizes: dict[str, int] = {"n": int(offset + limit), "limit": int(limit), "offset": int(offset)}
    sizes.update(
        (k, int(params.pop(k)))
        for k in ("w", "rare", "walk", "common", "least", "entries", "bucketed")
        if k in params
    )
    sql = (
        f"WITH {', '.join(ctes)} SELECT {select} FROM page p JOIN customer c ON c.id = p.id "
        f"{joins} ORDER BY p.place"
    )
    return _with_sizes(sql, sizes), params


_SIZE_NAMES = re.compile(r":(n|w|rare|walk|common|least|entries|bucketed|limit|offset)\b")


def _with_sizes(sql: str, sizes: dict[str, int]) -> str:
    """``sql`` with its sizes (``:n``, ``:limit``...) written in as numbers."""
    return _sized(sql, tuple(sorted(sizes.items())))


# the search statement's text holds no typed value, so a few dozen texts cover every
# kind of search: kept, not rewritten (10 kB of SQL cost a quarter of a millisecond of
# the register's CPU at every keystroke)
@lru_cache(maxsize=256)
def _sized(sql: str, sizes: tuple[tuple[str, int], ...]) -> str:
    numbers = dict(sizes)
    return _SIZE_NAMES.sub(lambda m: str(numbers[m.group(1)]), sql)


def search_page(
    session: Session,
    value: str,
    *,
    select: str,
    joins: str = "",
    limit: int = 50,
    offset: int = 0,
    filters: SearchFilters | None = None,
) -> list[Sequence[Any]]:
    """PostgreSQL: the page of :func:`search_ids` as rows of ``select`` (columns of
    customer ``c`` and of ``joins``, a ``LEFT JOIN`` of what a list shows beside it),
    best first, in one statement: a keystroke is one round trip to the server, the
    search and the rows it shows together.
    """
    flt = filters or SearchFilters()
    if limit <= 0 or offset < 0:
        return []
    query = parse_query(value)
    where = _filter_sql(session, flt)
    if where.impossible:
        return []
    if query.kind == "empty":
        return _run(
            session,
            f"SELECT {select} FROM customer c {joins} WHERE {where.where()} "
            "ORDER BY c.id LIMIT :n OFFSET :o",
            where,
            n=limit,
            o=offset,
        )
    sql, params = _pg_ranked_sql(query, where, limit, offset, select, joins)
    return fetch_planned(session, sql, {**where.params, **params})


def search_ids(
    session: Session,
    value: str,
    *,
    limit: int = 50,
    offset: int = 0,
    filters: SearchFilters | None = None,
) -> list[int]:
    """Customer ids matching ``value`` and the filters, best first (see module doc)."""
    flt = filters or SearchFilters()
    if limit <= 0 or offset < 0:
        return []
    query = parse_query(value)
    where = _filter_sql(session, flt)
    if where.impossible:
        return []
    dialect = session.get_bind().dialect.name
    if query.kind == "empty":
        rows = _run(
            session,
            f"SELECT c.id FROM customer c WHERE {where.where()} ORDER BY c.id LIMIT :n OFFSET :o",
            where,
            n=limit,
            o=offset,
        )
        return [int(row[0]) for row in rows]
    need = offset + limit
    found: dict[int, None] = {}
    if dialect == "postgresql":
        sql, params = _pg_ranked_sql(query, where, limit, offset)
        rows = fetch_planned(session, sql, {**where.params, **params})
        return [int(row[0]) for row in rows]
    for tier in query.tiers:
        if len(found) >= need:
            break
        sql, params = _tier_sql(dialect, tier, query, where)
        # ids already found may come again: ask for enough to fill the page regardless
        wanted = need + len(found)
        for (customer_id,) in _run(session, sql, where, n=wanted, **params):
            found.setdefault(int(customer_id), None)
    return list(found)[offset:need]


def _ids_sql(
    session: Session, query: ParsedQuery, flt: SearchFilters, where: _Sql
) -> tuple[str, dict[str, Any]]:
    """SQL selecting the ids of every match (no ranking): for counts and exports."""
    dialect = session.get_bind().dialect.name
    cond = where.where()
    params: dict[str, Any] = {}
    if query.kind == "empty":
        sql = f"SELECT c.id FROM customer c WHERE {cond}"
    elif not query.terms:
        sql = f"SELECT c.id FROM customer c WHERE c.code_key = :code AND {cond}"
        params["code"] = query.code_key
    elif dialect == "sqlite":
        params.update(
            m=_fts_match(query, EMAIL_COLUMNS if query.kind == "email" else ()),
            mc=_fts_match(query),
            code=query.code_key,
        )
        mixed, more = _mixed_ids(dialect, query)
        params.update(more)
        sql = (
            "SELECT c.id FROM ("
            "SELECT rowid AS id FROM search_all WHERE search_all MATCH :m "
            f"UNION SELECT rowid >> {CUSTOM_SHIFT} FROM search_custom "
            "WHERE search_custom MATCH :mc "
            f"UNION SELECT id FROM customer WHERE code_key = :code{mixed}"
            f") u JOIN customer c ON c.id = u.id WHERE {cond}"
        )
    else:
        doc = _PG_EMAIL if query.kind == "email" else _PG_ALL
        fields = f"{doc} @@ CAST(:q AS tsquery)"
        mixed, more = _mixed_ids(dialect, query)
        params.update(more)
        # a UNION, not an OR: each part is answered by its own index
        sql = (
            f"SELECT c.id FROM (SELECT c.id FROM customer c WHERE {fields} "
            "UNION SELECT c.id FROM customer c WHERE c.code_key = :code "
            "UNION SELECT v.customer_id FROM custom_field_value v "
            f"WHERE v.search_value_words @@ CAST(:q AS tsquery){mixed}"
            f") u JOIN customer c ON c.id = u.id WHERE {cond}"
        )
        params.update(q=_tsquery(query), code=query.code_key)
    return sql, params


def _mixed_ids(dialect: str, query: ParsedQuery) -> tuple[str, dict[str, Any]]:
    """``UNION`` of the mixed tier's ids (all of them) for a text that has it, or ``""``."""
    if "mixed" not in query.tiers:
        return "", {}
    match, params = _mixed_sql(dialect, query, "x")
    return f" UNION SELECT c.id FROM customer c WHERE {match}", params


def count_matches(session: Session, value: str, *, filters: SearchFilters | None = None) -> int:
    """How many customers :func:`search_ids` can return for this text and filters."""
    flt = filters or SearchFilters()
    query = parse_query(value)
    where = _filter_sql(session, flt)
    if where.impossible:
        return 0
    if query.terms and flt.words_countable and session.get_bind().dialect.name == "sqlite":
        mixed, more = _mixed_ids("sqlite", query)
        params = {
            "m": _fts_match(query, EMAIL_COLUMNS if query.kind == "email" else ()),
            "mc": _fts_match(query),
            "code": query.code_key,
            **more,
        }
        if flt.archived_only:
            return _sqlite_archived_count(session, params, mixed)
        return _sqlite_plain_count(session, params, flt.include_archived, mixed)
    sql, params = _ids_sql(session, query, flt, where)
    return int(_run(session, f"SELECT count(*) FROM ({sql}) AS matches", where, **params)[0][0])


def matching_ids(
    session: Session, value: str, *, filters: SearchFilters | None = None
) -> TextClause | None:
    """A statement selecting the id of every match, unranked, for streaming exports.

    ``None`` means nothing can match (an unknown tag in "with tags").
    """
    flt = filters or SearchFilters()
    where = _filter_sql(session, flt)
    if where.impossible:
        return None
    sql, params = _ids_sql(session, parse_query(value), flt, where)
    return _stmt(sql, where, **params)


def _sqlite_plain_count(
    session: Session, params: dict[str, Any], archived: bool, mixed: str
) -> int:
    """Count matches without visiting a million customer rows.

    The word index counts its own matches; the few customers found only by code or a
    custom value are added, and the few archived ones (asked for: the merged-away) taken away,
    each through a small set instead of a join over every match.
    """
    extra = (
        f"SELECT rowid >> {CUSTOM_SHIFT} AS id FROM search_custom WHERE search_custom MATCH :mc "
        f"UNION SELECT id FROM customer WHERE code_key = :code{mixed}"
    )
    sql = (
        "SELECT (SELECT count(*) FROM search_all WHERE search_all MATCH :m) + "
        f"(SELECT count(*) FROM ({extra}) WHERE id NOT IN "
        f"(SELECT rowid FROM search_all WHERE search_all MATCH :m AND rowid IN ({extra})))"
    )
    # archived customers taken away, or (archived ones asked for) the merged-away ones
    gone = MERGED_AWAY if archived else "SELECT id FROM customer WHERE archived_at IS NOT NULL"
    sql += (
        f" - (SELECT count(*) FROM search_all WHERE search_all MATCH :m AND rowid IN ({gone}))"
        f" - (SELECT count(*) FROM ({extra}) WHERE id IN ({gone}) AND id NOT IN "
        f"(SELECT rowid FROM search_all WHERE search_all MATCH :m AND rowid IN ({extra})))"
    )
    return int(_run(session, sql, _Sql(), **params)[0][0])


def _sqlite_archived_count(session: Session, params: dict[str, Any], mixed: str) -> int:
    """Count the archived matches through the few archived customers, not the matches:
    a common word matches most of a million customers, of whom a few hundred are
    archived."""
    extra = (
        f"SELECT rowid >> {CUSTOM_SHIFT} AS id FROM search_custom WHERE search_custom MATCH :mc "
        f"UNION SELECT id FROM customer WHERE code_key = :code{mixed}"
    )
    sql = (
        "SELECT (SELECT count(*) FROM search_all WHERE search_all MATCH :m "
        f"AND rowid IN ({ARCHIVED_SHOWN})) + (SELECT count(*) FROM ({extra}) "
        f"WHERE id IN ({ARCHIVED_SHOWN}) AND id NOT IN "
        f"(SELECT rowid FROM search_all WHERE search_all MATCH :m AND rowid IN ({extra})))"
    )
    return int(_run(session, sql, _Sql(), **params)[0][0])


def word_matches(
    session: Session, what: Literal["email", "phone"], value: str, *, limit: int = 200
) -> list[tuple[int, tuple[str, ...]]]:
    """Customers whose emails (or phone digits) hold every word of ``value`` whole.

    Returns each id with the field values, for the caller's exact comparison: this is
    how duplicates are found without an extra index on a million emails.
    """
    terms = tuple(dict.fromkeys(words(value)))[:MAX_TERMS]
    if not terms:
        return []
    columns = ("c.email", "c.email2") if what == "email" else ("c.phone_digits",)
    if session.get_bind().dialect.name == "sqlite":
        scope = " ".join(EMAIL_COLUMNS) if what == "email" else "phone_digits"
        match = "{" + scope + "} : (" + " AND ".join(f'"{t}"' for t in terms) + ")"
        sql = (
            f"SELECT c.id, {', '.join(columns)} FROM search_all f CROSS JOIN customer c "
            "ON c.id = f.rowid WHERE search_all MATCH :m ORDER BY f.rowid LIMIT :n"
        )
        params: dict[str, Any] = {"m": match}
    else:
        query = " & ".join(f"'{t}'" for t in terms)
        doc = _PG_EMAIL if what == "email" else _PG_ALL
        sql = (
            f"SELECT c.id, {', '.join(columns)} FROM customer c "
            f"WHERE {doc} @@ CAST(:q AS tsquery) ORDER BY c.id LIMIT :n"
        )
        params = {"q": query}
    rows = _run(session, sql, _Sql(), n=limit, **params)
    return [(int(row[0]), tuple(str(v or "") for v in row[1:])) for row in rows]
