"""phone search digits of every existing customer recomputed in the E.164 forms; the
addresses an email search starts, indexed

Revision ID: 0017_ranking_phones
Revises: 0016_pgsearch

Phones are read with the ``phonenumbers`` library since ``tillterm.customers.phones``:
``phone_digits`` holds, for each phone, the typed digits, the national number with its
trunk prefix, the E.164 digits and the national significant number, so that
``+33 6 98 76 54 32`` is found by ``0698765432``, ``+33698765432`` or ``698765``.
Customers stored before kept the typed digits alone until edited: this revision writes
the new forms for every customer with a phone.

A frozen copy of the rules as of this revision (``phone_forms``, ``digits_text``,
``region_for_country``): a migration must give the same result whatever the app's code
becomes (``tests/test_phones.py`` checks the copy still agrees with the app).

It reads the customers in batches of :data:`BATCH` by id and writes only the rows whose
digits change. On SQLite the ``search_all`` update trigger is set aside for the run (a
trigger call per row writes an FTS segment per row: 1.4 s for 5,000 rows), the new
digits gathered in a temporary table and written with their index entries in a few
statements (:func:`_write_sqlite`); the trigger's own stored SQL is put back at the end.
On PostgreSQL each batch is one ``UPDATE … FROM unnest(…)``.

``search_customer_email_start`` / ``search_customer_email2_start``: B-tree indexes of the
lower-cased addresses, so that "jean@" finds the owner of jean@martin.fr first with a
range read (a frozen copy of ``tillterm.store.search_index.EMAIL_START_INDEXES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision = "0017_ranking_phones"
down_revision = "0016_pgsearch"
branch_labels = None
depends_on = None

#: customers read and written at a time
BATCH = 20_000
PHONE_COLUMNS = ("phone", "phone_home", "phone_work", "phone_mobile", "phone_pager", "phone_fax")
#: the ``search_all`` columns (``0002_search_index``)
SEARCH_ALL_COLUMNS = (
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "email2",
    "phone_digits",
    "postal_code",
    "customer_code",
    "address1",
    "address2",
    "city",
)
EMAIL_START_INDEXES = {
    "sqlite": [
        "CREATE INDEX search_customer_email_start ON customer (lower(email))",
        "CREATE INDEX search_customer_email2_start ON customer (lower(email2)) WHERE email2 <> ''",
    ],
    "postgresql": [
        "CREATE INDEX search_customer_email_start ON customer (lower(email) text_pattern_ops)",
        "CREATE INDEX search_customer_email2_start ON customer "
        "(lower(email2) text_pattern_ops) WHERE email2 <> ''",
    ],
}
EMAIL_START_NAMES = ["search_customer_email_start", "search_customer_email2_start"]
DEFAULT_REGION = "FR"
MAX_DIGITS_TEXT = 240
#: folded country names → region (``tillterm.customers.phones`` as of this revision)
COUNTRY_NAMES = {
    "france": "FR",
    "republique francaise": "FR",
    "belgium": "BE",
    "belgique": "BE",
    "belgie": "BE",
    "switzerland": "CH",
    "suisse": "CH",
    "schweiz": "CH",
    "svizzera": "CH",
    "luxembourg": "LU",
    "monaco": "MC",
    "germany": "DE",
    "allemagne": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "autriche": "AT",
    "osterreich": "AT",
    "netherlands": "NL",
    "the netherlands": "NL",
    "pays bas": "NL",
    "nederland": "NL",
    "holland": "NL",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "royaume uni": "GB",
    "ireland": "IE",
    "irlande": "IE",
    "italy": "IT",
    "italie": "IT",
    "italia": "IT",
    "spain": "ES",
    "espagne": "ES",
    "espana": "ES",
    "portugal": "PT",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "etats unis": "US",
    "canada": "CA",
    "australia": "AU",
    "australie": "AU",
    "new zealand": "NZ",
    "nouvelle zelande": "NZ",
    "brazil": "BR",
    "brasil": "BR",
    "bresil": "BR",
}
#: a French number as a French store's cashier types it ("06 98 76 54 32"): its forms
#: need no library parse (a million parses take most of a minute). The library reads
#: every such number so (``tests/test_phones.py`` checks it on a sample)
FRENCH_NATIONAL = re.compile(r"0[1-9](?:[ .\-]?\d){8}")


def _fold(value: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def region_for_country(country: str) -> str:
    import phonenumbers

    typed = country.strip()
    if len(typed) == 2 and typed.upper() in phonenumbers.SUPPORTED_REGIONS:
        return typed.upper()
    folded = " ".join("".join(ch if ch.isalnum() else " " for ch in _fold(typed)).split())
    return COUNTRY_NAMES.get(folded, DEFAULT_REGION)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def phone_forms(typed: str, region: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(main forms, extra forms) of one phone: typed digits, trunk-prefixed national
    digits, E.164 digits; then the national significant number."""
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneMetadata

    found = _digits(typed)
    if not found:
        return (), ()
    if region == "FR" and FRENCH_NATIONAL.fullmatch(typed.strip()):
        return (found, found, "33" + found[1:]), (found[1:],)
    try:
        number = phonenumbers.parse(typed, region)
    except NumberParseException:
        return (found,), ()
    code = number.country_code or 0
    where = phonenumbers.region_code_for_country_code(code)
    if where == "001":
        meta = PhoneMetadata.metadata_for_nongeo_region(code)
    else:
        meta = PhoneMetadata.metadata_for_region(where)
    if meta is None:
        return (found,), ()
    nsn = phonenumbers.national_significant_number(number)
    return (found, (meta.national_prefix or "") + nsn, f"{code}{nsn}"), (nsn,)


def digits_text(phones: Iterable[str], region: str) -> str:
    forms = [phone_forms(p, region) for p in phones if p]
    seen: dict[str, None] = {}
    for form in [f for main, _ in forms for f in main] + [f for _, extra in forms for f in extra]:
        seen.setdefault(form, None)
    joined = " ".join(seen)
    if len(joined) > MAX_DIGITS_TEXT:
        joined = joined[: MAX_DIGITS_TEXT + 1].rsplit(" ", 1)[0]
    return joined


def _store_region(bind: Connection) -> str:
    country = bind.execute(text("SELECT country FROM store_settings WHERE id = 1")).scalar()
    return region_for_country(country or "")


def _changes(rows: Sequence[Sequence[Any]], region: str) -> list[tuple[int, str]]:
    changed = []
    for row in rows:
        digits = digits_text((str(v or "") for v in row[1:-1]), region)
        if digits != (row[-1] or ""):
            changed.append((int(row[0]), digits))
    return changed


def _write_sqlite(bind: Connection) -> None:
    """Write the digits gathered in ``temp.migrate_phone_digits``, and their words.

    When most customers change (a store written before E.164: every one with a phone),
    ``search_all`` is emptied and filled again in one statement, as a bulk load fills
    it; otherwise the changed rows' entries are taken out (with the values they were
    indexed with) and put back. Either way three statements, never one per batch: each
    FTS5 statement writes a segment, and 50 batches of 20,000 'delete' and insert spent
    over ten minutes merging them for a million customers.
    """
    changed = bind.exec_driver_sql("SELECT count(*) FROM temp.migrate_phone_digits").scalar()
    if not changed:
        return
    everyone = bind.exec_driver_sql("SELECT count(*) FROM customer").scalar() or 0
    whole = changed * 2 > everyone
    cols = ", ".join(SEARCH_ALL_COLUMNS)
    picked = ", ".join(f"c.{c}" for c in SEARCH_ALL_COLUMNS)
    among = "JOIN temp.migrate_phone_digits t ON t.id = c.id"
    if not whole:
        bind.exec_driver_sql(
            f"INSERT INTO search_all(search_all, rowid, {cols}) "
            f"SELECT 'delete', c.id, {picked} FROM customer c {among}"
        )
    bind.exec_driver_sql(
        "UPDATE customer SET phone_digits = (SELECT t.digits FROM temp.migrate_phone_digits t "
        "WHERE t.id = customer.id) WHERE id IN (SELECT id FROM temp.migrate_phone_digits)"
    )
    if whole:
        bind.exec_driver_sql("INSERT INTO search_all(search_all) VALUES ('delete-all')")
        bind.exec_driver_sql(
            f"INSERT INTO search_all(rowid, {cols}) SELECT id, {cols} FROM customer ORDER BY id"
        )
    else:
        bind.exec_driver_sql(
            f"INSERT INTO search_all(rowid, {cols}) SELECT c.id, {picked} FROM customer c {among}"
        )


def _write_postgresql(bind: Connection, changed: list[tuple[int, str]]) -> None:
    bind.execute(
        text(
            "UPDATE customer AS c SET phone_digits = v.digits FROM "
            "unnest(CAST(:ids AS integer[]), CAST(:digits AS text[])) AS v(id, digits) "
            "WHERE c.id = v.id"
        ),
        {"ids": [i for i, _ in changed], "digits": [d for _, d in changed]},
    )


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    region = _store_region(bind)
    trigger = None
    if sqlite:
        trigger = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'search_all_au'"
        ).scalar()
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS search_all_au")
        bind.exec_driver_sql("DROP TABLE IF EXISTS temp.migrate_phone_digits")
        bind.exec_driver_sql(
            "CREATE TEMP TABLE migrate_phone_digits (id INTEGER PRIMARY KEY, digits TEXT NOT NULL)"
        )
    has_phone = " OR ".join(f"{c} <> ''" for c in PHONE_COLUMNS)
    select = text(
        f"SELECT id, {', '.join(PHONE_COLUMNS)}, phone_digits FROM customer "
        f"WHERE id > :after AND ({has_phone} OR phone_digits <> '') ORDER BY id LIMIT :n"
    )
    after = 0
    while True:
        rows = bind.execute(select, {"after": after, "n": BATCH}).all()
        if not rows:
            break
        after = int(rows[-1][0])
        changed = _changes(rows, region)
        if not changed:
            continue
        if sqlite:
            bind.exec_driver_sql(
                "INSERT INTO temp.migrate_phone_digits (id, digits) VALUES (?, ?)", changed
            )
        else:
            _write_postgresql(bind, changed)
    if sqlite:
        _write_sqlite(bind)
        bind.exec_driver_sql("DROP TABLE IF EXISTS temp.migrate_phone_digits")
        if trigger:
            bind.exec_driver_sql(trigger)
    for statement in EMAIL_START_INDEXES.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    # the phones keep their new forms: they hold the old ones (the typed digits come
    # first), so search keeps finding every phone as before
    bind = op.get_bind()
    for name in EMAIL_START_NAMES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
