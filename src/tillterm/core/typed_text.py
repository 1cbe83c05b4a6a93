"""The rules every typed text follows, whatever the field, and how stored text is shown.

What a cashier or a spreadsheet types ends up on the screen, on receipts, in reports and
exports. Two lines of defence keep it text:

1. **At the door** (:func:`text_problem`, the form's rule, and :func:`import_clean_expr`
   with :func:`import_problem_expr`, the importer's, built on the same character class):
   a character that is not text — see :data:`FORBIDDEN_PATTERN` — is never stored. The
   form refuses it with a message naming it; the importer removes it with a warning.
2. **On the way out** (:func:`visible_text`): whatever reaches a terminal or a file is
   made inert once more, for text stored by older versions or written by other programs.

Each problem has one wording, so the same sentence appears on every form and in every
import report.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from typing import TYPE_CHECKING

from tillterm.i18n import _

if TYPE_CHECKING:
    import polars as pl

#: Characters never stored, in any field. The one rule, written so that Python's ``re``
#: and polars' (Rust) engine read it alike:
#:
#: - C0 controls, DEL and C1 controls: a terminal obeys them. ESC starts an escape
#:   sequence (``ESC[2J`` clears the screen, ``ESC]52;…`` sets the clipboard), BEL rings,
#:   BS erases, CR overwrites the line.
#: - The bidirectional embedding, override and isolate controls (LRE RLE PDF LRO RLO,
#:   LRI RLI FSI PDI): a terminal or an editor that lays out right-to-left text reorders
#:   everything after one of them, so a name could make the amount beside it read
#:   backwards ("Trojan source"). Right-to-left names never need them; the plain marks
#:   LRM and RLM, which reorder nothing beyond themselves, are allowed.
#: - The line and paragraph separators U+2028 and U+2029: line breaks to some readers,
#:   not to others.
#:
#: Lone surrogates are not text at all (no encoding can store them); Python strings can
#: hold them, polars' cannot, so :data:`_FORBIDDEN` adds them for Python only.
FORBIDDEN_RANGES = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
FORBIDDEN_PATTERN = f"[{FORBIDDEN_RANGES}]"
#: the same, for a field that holds several lines (notes): line feed and tab are allowed
FORBIDDEN_MULTILINE_PATTERN = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
#: what Python's ``str.split()`` splits on: a one-line field collapses runs of these into
#: one space (the form does it with ``" ".join(value.split())``, the importer with this)
WHITESPACE_PATTERN = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
#: a one-line cell the importer must tidy: whitespace other than single spaces, or worse
_UNTIDY_LINE_PATTERN = (
    r"[\x00-\x1f\x7f-\x9f\xa0\u1680\u2000-\u200a\u2028\u2029\u202a-\u202f\u205f"
    r"\u2066-\u2069\u3000]|  "
)

_FORBIDDEN = re.compile(f"[{FORBIDDEN_RANGES}\ud800-\udfff]")
_FORBIDDEN_MULTILINE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

_C0_NAMES = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF"),
    *("VT", "FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK"),
    *("SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
)
_BIDI_NAMES = {
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
}


def describe_character(ch: str) -> str:
    """A forbidden character in a cashier's words: "a control character (ESC, U+001B)"."""
    code = ord(ch)
    point = f"U+{code:04X}"
    if code < 0x20:
        return _("a control character ({name}, {point})").format(name=_C0_NAMES[code], point=point)
    if code == 0x7F:
        return _("a control character ({name}, {point})").format(name="DEL", point=point)
    if 0x80 <= code <= 0x9F:
        return _("a control character ({point})").format(point=point)
    if code in _BIDI_NAMES:
        return _("a text-direction control ({name}, {point})").format(
            name=_BIDI_NAMES[code], point=point
        )
    if code == 0x2028:
        return _("a line separator ({point})").format(point=point)
    if code == 0x2029:
        return _("a paragraph separator ({point})").format(point=point)
    if 0xD800 <= code <= 0xDFFF:
        return _("a broken character (a lone surrogate, {point})").format(point=point)
    return f"“{ch}” ({unicodedata.name(ch, point)})"


def first_forbidden(value: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The first character of ``value`` that may not be stored: (1-based position, it)."""
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(value)
    return (found.start() + 1, found.group()) if found else None


def text_problem(value: str, limit: int, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored (``None`` when it can): length first, then characters.

    ``multiline`` lets notes keep their line breaks and tabs. Everything else that is
    text is allowed: accents, combining marks, emoji (with their joiners), right-to-left
    scripts, brackets (``[b]`` is a customer's text, never markup).
    """
    if len(value) > limit:
        return _("too long (at most {limit} characters, not {count})").format(
            limit=limit, count=len(value)
        )
    bad = first_forbidden(value, multiline=multiline)
    if bad is not None:
        position, ch = bad
        return _("character {position} is {character}, which cannot be printed: delete it").format(
            position=position, character=describe_character(ch)
        )
    return None


def _polars_format(template: str, **values: pl.Expr) -> pl.Expr:
    """``pl.format`` of a translated ``{name}`` template: polars only knows ``{}`` in
    order, and a translation may put the values in another order."""
    import polars as pl

    literal: list[str] = []
    args: list[pl.Expr] = []
    for text, name, _spec, _conversion in string.Formatter().parse(template):
        literal.append(text.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            literal.append("{}")
            args.append(values[name])
    return pl.format("".join(literal), *args)


# --------------------------------------------------------------------------- importing


def import_clean_expr(column: pl.Expr, *, multiline: bool = False) -> pl.Expr:
    """A column of cells as stored: forbidden characters removed, whitespace tidied.

    One-line fields get what the form does to typed text (runs of whitespace, line
    breaks and tabs included, become one space); a field of several lines (notes) keeps
    its line breaks, with CR LF and a lone CR read as one line feed. The result is not
    trimmed (the caller trims, after restoring a neutralised formula cell).
    """
    if multiline:
        cleaned = column.str.replace_all(r"\r\n?", "\n").str.replace_all(
            FORBIDDEN_MULTILINE_PATTERN, ""
        )
    else:
        cleaned = column.str.replace_all(WHITESPACE_PATTERN, " ").str.replace_all(
            FORBIDDEN_PATTERN, ""
        )
    return cleaned


@functools.cache
def _untidy_needles(multiline: bool) -> tuple[str, ...]:
    """What makes a cell untidy, as literal strings (every such character is below U+3001)."""
    pattern = re.compile(FORBIDDEN_MULTILINE_PATTERN if multiline else _UNTIDY_LINE_PATTERN)
    found = [chr(c) for c in range(0x3001) if pattern.fullmatch(chr(c))]
    return tuple(found if multiline else [*found, "  "])


def import_untidy_expr(column: pl.Expr, *, multiline: bool = False) -> pl.Expr:
    """True for the cells :func:`import_clean_expr` would change.

    The cheap scan a batch gets first: a search for literal strings (Aho-Corasick) runs
    about three times faster than the same test as a regular expression, and most files
    have no such cell at all.
    """
    return column.str.contains_any(list(_untidy_needles(multiline)))


@functools.cache
def _descriptions() -> dict[str, str]:
    """:func:`describe_character` of every character a polars string can hold and not keep."""
    codes = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *_BIDI_NAMES]
    return {chr(c): describe_character(chr(c)) for c in codes}


def import_problem_expr(column: pl.Expr, *, multiline: bool = False) -> pl.Expr:
    """The warning for cells :func:`import_clean_expr` had to remove characters from.

    Null where nothing was removed. A warning, not an error: such characters are
    invisible junk from other systems far more often than they are meant, and
    removing them loses nothing a person could read; the report still says so, and the
    import stops on warnings unless told to continue.
    """
    import polars as pl

    pattern = FORBIDDEN_MULTILINE_PATTERN if multiline else FORBIDDEN_PATTERN
    if multiline:
        column = column.str.replace_all(r"\r\n?", "\n")
    else:
        column = column.str.replace_all(WHITESPACE_PATTERN, " ")
    first = column.str.extract(f"({pattern})", 1)
    described = first.replace_strict(
        _descriptions(), default=_("a control character"), return_dtype=pl.String
    )
    count = column.str.count_matches(pattern)
    return (
        pl.when(first.is_null())
        .then(None)
        .when(count == 1)
        .then(
            _polars_format(
                _("removed {character}, which cannot be printed: check the value"),
                character=described,
            )
        )
        .otherwise(
            _polars_format(
                _(
                    "removed {count} characters that cannot be printed, the first "
                    "{character}: check the value"
                ),
                count=count,
                character=described,
            )
        )
    )


# --------------------------------------------------------------------------- showing


def _picture_table(multiline: bool) -> dict[int, str]:
    table: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ … ␟
    table[0x7F] = "\u2421"  # ␡
    table.update({c: "\ufffd" for c in range(0x80, 0xA0)})
    table.update({c: "\ufffd" for c in _BIDI_NAMES})
    table.update({c: "\ufffd" for c in range(0xD800, 0xE000)})
    if multiline:
        table.update({0x0A: "\n", 0x09: "    ", 0x2028: "\n", 0x2029: "\n"})
    else:
        table.update({0x0A: " ", 0x09: " ", 0x0D: " ", 0x2028: " ", 0x2029: " "})
    return table


_ONE_LINE = _picture_table(False)
_LINES = _picture_table(True)


def visible_text(value: object, *, multiline: bool = False) -> str:
    """``value`` as text a terminal or a file can hold and never obey.

    The second line of defence, for everything printed, drawn or written: text stored
    by older versions (or by another program) may still hold what the door now refuses.
    Control characters become their visible pictures (ESC is shown as "␛", BEL as "␇",
    DEL as "␡"), C1 controls, text-direction controls and lone surrogates become "�";
    so a hostile value is seen as what it is, never obeyed. Line breaks and tabs become
    spaces on one line; with ``multiline`` they are kept (a tab as four spaces, CR LF
    as it is). Each character maps to at most one on one line, so a one-line value
    keeps its length (a cursor over it stays where it was).
    """
    text = "" if value is None else str(value)
    if text.isprintable():  # the common case, checked in C
        return text
    if multiline:
        if "\r\n" in text:  # a CSV's line ends: kept; a lone CR is shown as "␍"
            return "\r\n".join(part.translate(_LINES) for part in text.split("\r\n"))
        return text.translate(_LINES)
    return text.translate(_ONE_LINE)


# --------------------------------------------------------------------------- writing files


@functools.cache
def _file_pictures(multiline: bool) -> dict[str, str]:
    """What :func:`visible_text` makes of each character a polars string can hold and a
    file must not: the same table, less what a file keeps.

    A field of several lines keeps its line feeds, its tabs and its CR LF line ends in a
    file (the importer reads them back as they were; a terminal is what needs a tab drawn
    as spaces). Lone surrogates cannot be in a polars string at all.
    """
    table = _picture_table(multiline)
    pictures = {
        chr(code): shown
        for code, shown in table.items()
        if not 0xD800 <= code <= 0xDFFF and shown != chr(code)
    }
    if multiline:
        del pictures["\t"]
        return {"\r\n": "\r\n", **pictures}  # first, and ``leftmost``: kept before "\r"
    return pictures


@functools.cache
def file_needles(multiline: bool = False) -> tuple[str, ...]:
    """The characters :func:`visible_expr` changes, as literal strings for a quick scan.

    Read off :data:`FORBIDDEN_PATTERN` (or :data:`FORBIDDEN_MULTILINE_PATTERN`): the
    door's rule, not a second list. Every such character is below U+3001.
    """
    pattern = re.compile(FORBIDDEN_MULTILINE_PATTERN if multiline else FORBIDDEN_PATTERN)
    return tuple(chr(c) for c in range(0x3001) if pattern.fullmatch(chr(c)))


def has_invisible_expr(column: pl.Expr, *, multiline: bool = False) -> pl.Expr:
    """True for the cells :func:`visible_expr` would change: the cheap scan done first.

    A search for literal strings (Aho-Corasick), no regular expression: most columns of
    most stores hold none of them, and then nothing else is done to them.
    """
    return column.str.contains_any(list(file_needles(multiline)))


def visible_expr(column: pl.Expr, *, multiline: bool = False) -> pl.Expr:
    """:func:`visible_text` for a whole polars string column written to a file.

    One pass replacing each forbidden character by its picture ("␛" for ESC, "�" for a
    C1 or text-direction control; a line break or tab on one line becomes a space), so
    an exported cell can be opened in any viewer, ``cat`` or editor and never obeyed.
    ``multiline`` keeps line feeds, tabs and CR LF (see :func:`_file_pictures`).
    """
    return column.str.replace_many(_file_pictures(multiline), leftmost=True)
