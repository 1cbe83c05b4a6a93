"""vCard (``.vcf``) files read as a spreadsheet: one card, one row.

A phone's or a contacts app's export (Apple Contacts and the iPhone write vCard 3.0,
Android and Outlook 2.1, newer tools 4.0) is a list of cards, not a table. Each card
becomes a row whose columns are named with the customer fields themselves
(``first_name``, ``email``, ``phone_mobile``, ``postal_code``…), so the importer's
mapping, checks and report apply to it unchanged; row numbers are card numbers.

What a card holds that has no column is never dropped without a word: a third email,
a second mobile, a second address or a birthday without a year are notes naming the
card and the value, and a warning per kind sums them up for the file ("2 cards have a
second address: not imported"); a photo is counted the same way; any other property
(``NICKNAME``, ``X-SOCIALPROFILE``…) becomes a column of its own name, which the check
lists as ignored and warns about while no field is chosen for it.

Apple Contacts writes a phone or email with a label of its own as a group of two lines
(``item1.TEL:…`` and ``item1.X-ABLabel:_$!<Mobile>!$_``, or a label the person typed,
``item2.X-ABLabel:Boutique``): the label decides the phone's column (mobile, home, work,
fax, pager, main, in the store's languages), the TYPE parameters when it says nothing.

This module only reads cards into a table (:func:`read_cards`); the sheet the importer
reads is made of it by ``tillterm.spreadsheet.vcard_sheet``, which ``reading.open_sheet``
calls for the ``.vcf`` suffix (so this module does not import the sheet back).
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from tillterm.core.errors import TilltermError
from tillterm.i18n import N_, _, ngettext
from tillterm.i18n.formats import whole
from tillterm.spreadsheet.text_encoding import utf16_without_bom

#: the columns a card can fill, in the order they are shown
COLUMNS = (
    "title",
    "first_name",
    "last_name",
    "company",
    "email",
    "email2",
    "phone",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "phone_fax",
    "phone_pager",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "birth_date",
    "website",
    "tags",
    "notes",
    "job title",
)

#: properties that say how the card is written, not who it is about (FN is the display
#: form of N, LABEL the printed form of ADR, X-ABLabel names an Apple item group)
_STRUCTURAL = frozenset(
    {
        "BEGIN",
        "END",
        "VERSION",
        "PRODID",
        "REV",
        "UID",
        "N",
        "FN",
        "LABEL",
        "X-ABLABEL",
        "X-ABUID",
        "X-ABSHOWAS",
        "CLASS",
        "SORT-STRING",
        "X-MS-OL-DESIGN",
        "X-MS-OL-DEFAULT-POSTAL-ADDRESS",
        "X-ABADR",
        # 4.0's KIND says whether the card is a person or an organisation (ORG says which)
        "KIND",
    }
)
#: binary properties: skipped, and counted in a note
_BINARY = {"PHOTO": "photo", "LOGO": "logo", "SOUND": "sound", "KEY": "key"}
#: what the summary says of the binary properties skipped: (the kind, the note)
_BINARY_SAID = {
    "photo": (N_("a photo"), N_("Photos skipped (tillterm keeps no photo): {cards}.")),
    "logo": (N_("a logo"), N_("Logos skipped (tillterm keeps no logo): {cards}.")),
    "sound": (N_("a sound"), N_("Sounds skipped (tillterm keeps no sound): {cards}.")),
    "key": (N_("a key"), N_("Keys skipped (tillterm keeps no key): {cards}.")),
}

#: TEL types, most specific first, and the phone column each goes to
_PHONE_KINDS = (
    ("FAX", "phone_fax"),
    ("PAGER", "phone_pager"),
    ("CELL", "phone_mobile"),
    ("IPHONE", "phone_mobile"),
    ("HOME", "phone_home"),
    ("WORK", "phone_work"),
)
#: words of a phone's label (Apple's ``X-ABLabel``, standard or typed by the person),
#: folded to lower case, and the phone column each sends it to
_LABEL_WORDS = (
    ("fax", "phone_fax"),
    ("pager", "phone_pager"),
    ("bip", "phone_pager"),
    ("mobile", "phone_mobile"),
    ("mobil", "phone_mobile"),
    ("cell", "phone_mobile"),
    ("iphone", "phone_mobile"),
    ("portable", "phone_mobile"),
    ("handy", "phone_mobile"),
    ("móvil", "phone_mobile"),
    ("movil", "phone_mobile"),
    ("gsm", "phone_mobile"),
    ("home", "phone_home"),
    ("domicile", "phone_home"),
    ("maison", "phone_home"),
    ("privat", "phone_home"),
    ("thuis", "phone_home"),
    ("casa", "phone_home"),
    ("work", "phone_work"),
    ("bureau", "phone_work"),
    ("travail", "phone_work"),
    ("office", "phone_work"),
    ("boutique", "phone_work"),
    ("magasin", "phone_work"),
    ("shop", "phone_work"),
    ("geschäft", "phone_work"),
    ("arbeit", "phone_work"),
    ("werk", "phone_work"),
    ("trabajo", "phone_work"),
    ("main", "phone"),
    ("principal", "phone"),
    ("haupt", "phone"),
)
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
#: how a column is said in a warning ("2 cards have a second mobile phone")
_SAID = {
    "phone": N_("a second phone"),
    "phone_mobile": N_("a second mobile phone"),
    "phone_home": N_("a second home phone"),
    "phone_work": N_("a second work phone"),
    "phone_fax": N_("a second fax number"),
    "phone_pager": N_("a second pager number"),
    "website": N_("a second website"),
    "birth_date": N_("a second birthday"),
    "job title": N_("a second job title"),
}
#: what a value left out is called in its note ("phone “…” not imported")
_WHAT = {
    "phone": N_("phone"),
    "website": N_("website"),
    "birthday": N_("birthday"),
    "job title": N_("job title"),
}

#: how many cards are named in one note before "and N more"
_NAMED = 20

#: the file's encoding as the summary says it (values with a CHARSET are read in theirs)
_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": N_("UTF-8 with BOM"),
    "utf-16": "UTF-16",
    "cp1252": N_("Windows-1252 where not UTF-8"),
}

_BDAY_FULL = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_BDAY_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")


class VcardError(TilltermError):
    """Why a file cannot be read as vCards (the reader says it as a spreadsheet error)."""


@dataclass(frozen=True)
class Lost:
    """What several cards held and no column keeps, summed up as one warning."""

    #: the first card holding it (the warning's row)
    card: int
    #: the column (or the vCard property) it concerns
    column: str
    message: str


@dataclass(frozen=True)
class Cards:
    """A vCard file as a table: one row of cells per card, in ``headers`` order."""

    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    #: the encoding the file was found in (values with a CHARSET are read in theirs)
    encoding: str
    versions: tuple[str, ...]
    #: what the cards held that no column keeps, each naming its card
    notes: tuple[str, ...]
    #: the same, one warning per kind for the whole file
    lost: tuple[Lost, ...] = ()

    def describe(self) -> str:
        versions = "/".join(self.versions) or "?"
        enc = _(_ENCODINGS[self.encoding]) if self.encoding in _ENCODINGS else self.encoding
        return ngettext(
            "vCard {versions} (.vcf), {encoding}, {count} card (row numbers are card numbers)",
            "vCard {versions} (.vcf), {encoding}, {count} cards (row numbers are card numbers)",
            len(self.rows),
        ).format(versions=versions, encoding=enc, count=whole(len(self.rows)))


@dataclass
class Property:
    """One unfolded content line: ``[group.]NAME;PARAMS:value``."""

    name: str
    params: dict[str, list[str]]
    value: str
    #: Apple's item group (``item1``), which ties a value to its ``X-ABLabel``
    group: str = ""

    @cached_property
    def types(self) -> frozenset[str]:
        """The TYPE parameters, upper case (2.1's bare ``;HOME;VOICE`` included)."""
        found: set[str] = set()
        for value in self.params.get("TYPE", []):
            found.update(t.strip().strip('"').upper() for t in value.split(","))
        found.discard("")
        return frozenset(found)

    @property
    def preferred(self) -> bool:
        return "PREF" in self.types or "PREF" in self.params


@dataclass
class _Card:
    """One card's row as it fills, and what did not fit in it."""

    number: int
    row: dict[str, str] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    #: (column, what was lost, said as "a second mobile phone") for the file's warnings
    lost: list[tuple[str, str]] = field(default_factory=list)

    def leave_out(self, column: str, kind: str, note: str) -> None:
        """Name what this card holds and cannot be kept, in its notes and warnings."""
        self.leftovers.append(note)
        self.lost.append((column, kind))


def file_bytes(data: bytes) -> tuple[bytes, str]:
    """The file's bytes without a BOM (UTF-16 made UTF-8) and the encoding it was found
    in, for the summary: UTF-8 (with or without BOM), UTF-16 (with a BOM or without), else
    Windows-1252 (an old Outlook export written in the system's code page)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").encode("utf-8"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:], "utf-8-sig"
    if bare := utf16_without_bom(data[:65536]):
        return data.decode(bare, errors="replace").encode("utf-8"), "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data, "cp1252"
    return data, "utf-8"


def _decode(raw: bytes, charset: str) -> str:
    """Bytes of one value in its CHARSET; without one (or an unknown one) UTF-8, and
    Windows-1252 when it is not UTF-8: a file may mix cards from several phones."""
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def unfold(lines: list[str], version: str) -> Iterator[str]:
    """Logical content lines from physical ones.

    A line starting with a space or a tab continues the one before: in 3.0 and 4.0 that
    one character is the fold and goes; in 2.1 the fold was put before a space that
    belongs to the value, so it stays. A quoted-printable value ending with ``=`` goes
    on on the next line whatever that line starts with (a soft line break, as Android
    and Outlook write long values); a space there is the value's own.
    """
    current: str | None = None
    for line in lines:
        if current is not None and current.endswith("=") and _is_quoted_printable(current):
            current = current[:-1] + line
            continue
        if current is not None and line[:1] in (" ", "\t"):
            current += line if version == "2.1" else line[1:]
            continue
        if current is not None:
            yield current
        current = line
    if current is not None:
        yield current


def _split_unquoted(text: str, sep: str) -> list[str]:
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_line(line: str) -> Property | None:
    """A content line as a :class:`Property`, or None when it has no ``:``."""
    colon = line.find(":")
    if colon < 0:
        return None
    head = line[:colon]
    if '"' in head:  # a quoted parameter value may hold a colon (TYPE="x:y")
        head = _split_unquoted(line, ":")[0]
        if len(head) == len(line):
            return None
    value = line[len(head) + 1 :]
    pieces = _split_unquoted(head, ";")
    group, _, bare = pieces[0].rpartition(".")
    name = bare.strip().upper()
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        if "=" in piece:
            key, val = piece.split("=", 1)
            key = key.strip().upper()
        else:  # 2.1 writes bare types and encodings: TEL;HOME;VOICE, ;QUOTED-PRINTABLE
            bare = piece.strip().upper()
            if bare in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"):
                key, val = "ENCODING", bare
            else:
                key, val = "TYPE", bare
        params.setdefault(key, []).append(val.strip().strip('"'))
    return Property(name, params, value, group.strip().casefold())


def decoded_value(prop: Property) -> str:
    """The value as text: quoted-printable undone, its bytes read in its CHARSET.

    The file is read as bytes (each a Latin-1 character) so that each value can be
    decoded on its own: 2.1 gives the charset per property (``N;CHARSET=SHIFT_JIS:``).
    """
    encodings = {e.upper() for e in prop.params.get("ENCODING", [])}
    if "QUOTED-PRINTABLE" in encodings:
        raw = quopri.decodestring(prop.value.encode("latin-1"))
    elif prop.value.isascii():
        return prop.value
    else:
        raw = prop.value.encode("latin-1")
    charset = (prop.params.get("CHARSET") or [""])[0]
    return _decode(raw, charset).replace("\r\n", "\n")


_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\", ":": ":"}


def components(value: str, sep: str = ";") -> list[str]:
    """A structured value split on its unescaped separators, each part unescaped
    (``\\,`` ``\\;`` ``\\n`` ``\\\\``)."""
    if "\\" not in value:
        return value.split(sep) if sep else [value]
    parts: list[str] = []
    buf: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            buf.append(_ESCAPES.get(nxt, "\\" + nxt))
        elif ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def unescape(value: str) -> str:
    """A text value unescaped whole (a ``;`` or ``,`` in it is text, not a separator)."""
    return components(value, "")[0]


def read_birthday(value: str, omit_year: str = "") -> tuple[str, str | None]:
    """BDAY as ``YYYY-MM-DD`` (the forms 1980-12-25, 19801225, 1980-12-25T00:00:00Z), and
    a note when it cannot be kept: ``--12-25`` has no year and stays blank, as does
    Apple's placeholder year (``X-APPLE-OMIT-YEAR=1604``), and digits that are no date.
    Another form is passed on as written, for the date check to name."""
    text = value.strip()
    match = _BDAY_FULL.match(text)
    if match and match[1] != omit_year:
        return f"{match[1]}-{match[2]}-{match[3]}", None
    if match or _BDAY_NO_YEAR.match(text):
        return "", _("birthday “{value}” has no year: left blank").format(value=text)
    if text.isdigit():  # not a date; kept from being read as an Excel day number
        return "", _("birthday “{value}” is not a date: left blank").format(value=text)
    return text, None


def apple_label(text: str) -> str:
    """The label as a person reads it: Apple's standard ``_$!<Mobile>!$_`` is "Mobile",
    a label the person typed is itself."""
    match = _APPLE_LABEL.match(text.strip())
    return (match[1] if match else text).strip()


def _phone_column(prop: Property, label: str = "") -> str:
    """The phone column: the label's words first (Apple's ``X-ABLabel``), then TYPE."""
    words = label.casefold()
    by_label = next((column for word, column in _LABEL_WORDS if word in words), None)
    if by_label:
        return by_label
    types = prop.types
    return next((column for kind, column in _PHONE_KINDS if kind in types), "phone")


def _put(card: _Card, column: str, value: str, what: str, label: str = "") -> None:
    """Fill ``column`` unless a value is there already: then name the one left out."""
    if not value:
        return
    if card.row.get(column):
        named = _(" (“{label}”)").format(label=label) if label else ""
        second = _(_SAID[column]) if column in _SAID else _("a second {what}").format(what=column)
        card.leave_out(
            column,
            second,
            _("{what} “{value}”{label} not imported (only one {column} is kept)").format(
                what=_(_WHAT[what]) if what in _WHAT else what,
                value=value,
                label=named,
                column=column,
            ),
        )
    else:
        card.row[column] = value


def _address(card: _Card, prop: Property) -> None:
    parts = components(decoded_value(prop)) + [""] * 7
    pobox, extended, street, city, region, code, country = (p.strip() for p in parts[:7])
    lines = [line.strip() for line in street.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    second = ", ".join([*lines[1:], *(p for p in (extended, pobox) if p)])
    if not first and second:
        first, second = second, ""
    address = {
        "address1": first,
        "address2": second,
        "city": city,
        "state": region,
        "postal_code": code,
        "country": country,
    }
    if not any(address.values()):
        return
    if any(card.row.get(k) for k in address):
        shown = ", ".join(v for v in address.values() if v)
        card.leave_out(
            "address1",
            _("a second address"),
            _("address “{value}” not imported (only one address is kept)").format(value=shown),
        )
        return
    card.row.update({k: v for k, v in address.items() if v})


def _name(card: _Card, props: list[Property]) -> None:
    n = next((p for p in props if p.name == "N"), None)
    if n is not None:
        parts = [p.strip() for p in components(decoded_value(n))] + [""] * 5
        family, given, additional, prefix, suffix = parts[:5]
        first = " ".join(p for p in (given, additional) if p)
        last = " ".join(p for p in (family, suffix) if p)
        if first or last or prefix:
            for column, value in (("title", prefix), ("first_name", first), ("last_name", last)):
                if value:
                    card.row[column] = value
            return
    fn = next((p for p in props if p.name == "FN"), None)
    shown = unescape(decoded_value(fn)).strip() if fn is not None else ""
    if not shown or (card.row.get("company") and shown == card.row["company"]):
        return  # a company's card: its display name is the company
    given, _space, family = shown.rpartition(" ")
    card.row["first_name"], card.row["last_name"] = given, family


def _ordered(props: list[Property], name: str) -> list[Property]:
    """The properties called ``name``, the preferred one first (TYPE=pref, PREF=1)."""
    found = [p for p in props if p.name == name]
    return sorted(found, key=lambda p: not p.preferred)


def card_row(number: int, props: list[Property], skipped: dict[str, list[int]]) -> _Card:
    """One card's row (column → text) and what it held that no column keeps."""
    card = _Card(number)
    labels = {
        p.group: apple_label(unescape(decoded_value(p)))
        for p in props
        if p.name == "X-ABLABEL" and p.group
    }
    org = next((p for p in props if p.name == "ORG"), None)
    if org is not None:
        company = ", ".join(c.strip() for c in components(decoded_value(org)) if c.strip())
        if company:
            card.row["company"] = company
    _name(card, props)
    emails = [
        (unescape(decoded_value(p)).strip(), labels.get(p.group, ""))
        for p in _ordered(props, "EMAIL")
    ]
    for index, (email, label) in enumerate((e, lb) for e, lb in emails if e):
        if index < 2:
            card.row["email" if index == 0 else "email2"] = email
        else:
            named = _(" (“{label}”)").format(label=label) if label else ""
            card.leave_out(
                "email2",
                _("more than two emails"),
                _("email “{value}”{label} not imported (only two emails are kept)").format(
                    value=email, label=named
                ),
            )
    for prop in _ordered(props, "TEL"):
        # 4.0 writes a tel: URI, its extension as a parameter (tel:+1-418-656-9254;ext=102)
        phone = unescape(decoded_value(prop)).strip().removeprefix("tel:")
        phone = phone.replace(";ext=", " ext. ")
        label = labels.get(prop.group, "")
        _put(card, _phone_column(prop, label), phone, "phone", label)
    for prop in _ordered(props, "ADR"):
        _address(card, prop)
    for prop in _ordered(props, "URL"):
        _put(card, "website", unescape(decoded_value(prop)).strip(), "website")
    extra: dict[str, list[str]] = {}
    for prop in props:
        name = prop.name
        if name == "BDAY":
            omit = (prop.params.get("X-APPLE-OMIT-YEAR") or [""])[0]
            value, note = read_birthday(unescape(decoded_value(prop)), omit)
            if note:
                # digits alone are no date; any other note is a birthday without its year
                no_year = not unescape(decoded_value(prop)).strip().isdigit()
                kind = _("a birthday without a year") if no_year else _("a birthday")
                card.leave_out("birth_date", kind, note)
            _put(card, "birth_date", value, "birthday")
        elif name == "NOTE":
            text = unescape(decoded_value(prop)).strip()
            if text:
                card.row["notes"] = "\n".join(filter(None, (card.row.get("notes"), text)))
        elif name == "CATEGORIES":
            tags = [c.strip() for c in components(decoded_value(prop), ",") if c.strip()]
            for tag in tags:  # the tags column is comma-separated: an escaped comma splits
                if "," in tag:
                    parts = "”, “".join(t.strip() for t in tag.split(",") if t.strip())
                    card.leftovers.append(
                        _("category “{tag}” holds a comma: imported as the tags “{tags}”").format(
                            tag=tag, tags=parts
                        )
                    )
            card.row["tags"] = ",".join(filter(None, (card.row.get("tags"), *tags)))
        elif name == "TITLE":
            _put(card, "job title", unescape(decoded_value(prop)).strip(), "job title")
        elif name in _BINARY:
            skipped.setdefault(_BINARY[name], []).append(number)
        elif name not in _STRUCTURAL and name not in ("ORG", "EMAIL", "TEL", "ADR", "URL"):
            value = unescape(decoded_value(prop)).strip()
            if value:
                extra.setdefault(name, []).append(value)
    for name, values in extra.items():
        card.row[name] = " | ".join(values)
    return card


def _cards(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(version, physical lines) of each BEGIN:VCARD … END:VCARD block."""
    inside: list[str] | None = None
    for line in lines:
        word = line.strip().upper()
        if word == "BEGIN:VCARD":
            if inside is not None:  # a card left open: it ends where the next begins
                yield _version(inside), inside
            inside = []
        elif word == "END:VCARD" and inside is not None:
            yield _version(inside), inside
            inside = None
        elif inside is not None and line:
            inside.append(line)
    if inside is not None:
        yield _version(inside), inside


def _version(lines: list[str]) -> str:
    for line in lines:
        if line.upper().startswith("VERSION:"):
            return line.split(":", 1)[1].strip()
    return "2.1"


def _cards_have(numbers: list[int]) -> str:
    """ "2 cards (1, 4) have" / "1 card (3) has": the count, the cards, the verb."""
    listed = str(numbers[0]) if len(numbers) == 1 else _listed(numbers)
    return ngettext(
        "{count} card ({cards}) has", "{count} cards ({cards}) have", len(numbers)
    ).format(count=whole(len(numbers)), cards=listed)


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_NAMED])
    more = (
        _(" and {count} more").format(count=whole(len(numbers) - _NAMED))
        if len(numbers) > _NAMED
        else ""
    )
    return shown + more


def read_cards(data: bytes, name: str, max_cards: int) -> Cards:
    """The cards of a ``.vcf`` file's bytes, or :class:`VcardError` saying why not.

    ``name`` is the file's name for the messages; more than ``max_cards`` is refused.
    """
    body, encoding = file_bytes(data)
    text = body.decode("latin-1")  # bytes as characters: values are decoded one by one
    lines = re.split(r"\r\n|\n|\r", text)  # CRLF, LF or an old Mac's CR alone
    if not any(line.strip().upper() == "BEGIN:VCARD" for line in lines):
        raise VcardError(
            _(
                "{file} is not a vCard file (it has no BEGIN:VCARD line): export the "
                "contacts as vCard (.vcf), or save the list as .csv."
            ).format(file=name)
        )
    rows: list[dict[str, str]] = []
    versions: dict[str, None] = {}
    skipped: dict[str, list[int]] = {}
    notes: list[str] = []
    lost: dict[tuple[str, str], list[int]] = {}
    for number, (version, card_lines) in enumerate(_cards(lines), start=1):
        if number > max_cards:
            raise VcardError(
                _("{file} has more than {count} cards; split it in several files.").format(
                    file=name, count=whole(max_cards)
                )
            )
        versions[version] = None
        props: list[Property] = []
        for line in unfold(card_lines, version):
            prop = parse_line(line)
            if prop is None:
                shown = line if len(line) <= 60 else line[:59] + "…"
                notes.append(
                    _("Card {number}: line “{line}” is not a vCard property: skipped.").format(
                        number=number, line=shown
                    )
                )
            else:
                props.append(prop)
        card = card_row(number, props, skipped)
        rows.append(card.row)
        said = _("Card {number}: {note}.")
        notes.extend(said.format(number=number, note=left) for left in card.leftovers)
        for column, kind in dict.fromkeys(card.lost):
            lost.setdefault((column, kind), []).append(number)
    for what, numbers in skipped.items():
        kind, note = _BINARY_SAID[what]
        cards = ngettext("card {cards}", "cards {cards}", len(numbers)).format(
            cards=_listed(numbers)
        )
        notes.append(_(note).format(cards=cards))
        lost.setdefault((what.upper(), _(kind)), []).extend(numbers)
    not_kept = _("{cards} {kind}: not imported")
    warnings = tuple(
        Lost(numbers[0], column, not_kept.format(cards=_cards_have(numbers), kind=kind))
        for (column, kind), numbers in lost.items()
    )
    present = {k for row in rows for k in row}
    headers = [c for c in COLUMNS if c in present]
    headers += sorted(present - set(COLUMNS))
    if not headers:
        raise VcardError(_("{file}: its cards hold no name, email or phone.").format(file=name))
    return Cards(
        tuple(headers),
        [tuple(row.get(h, "") for h in headers) for row in rows],
        encoding,
        tuple(sorted(versions)),
        tuple(notes),
        warnings,
    )
