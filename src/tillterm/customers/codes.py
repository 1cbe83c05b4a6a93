"""Customer codes: what a loyalty card scans, and how a new one is drawn.

Codes are compared trimmed and case-insensitively through ``code_key`` (a unique
index, so a scan is one B-tree lookup). A blank code gets a generated one: eight
characters from an alphabet without look-alikes (no 0/O, 1/I/L). Two registers
creating customers at the same moment cannot both get one code: the insert itself is
``ON CONFLICT DO NOTHING`` on ``code_key``, and a generated code that lost the race is
simply drawn again.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from tillterm.core.folding import normalise_code
from tillterm.customers.reading import summaries
from tillterm.customers.records import CustomerSummary
from tillterm.store.models import Customer, table_of

#: no 0/O, 1/I/L: what a person can read off a card and type without doubt
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
#: where generated codes draw their characters (tests swap in a seeded generator)
_code_rng: Any = secrets.SystemRandom()


def generate_code() -> str:
    """A fresh code candidate: 8 characters, about 850 billion possibilities."""
    return "".join(_code_rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def generate_codes(count: int) -> list[str]:
    """``count`` code candidates at once, as :func:`generate_code` draws them one by one.

    An import of customers without codes needs thousands: one draw of random bytes,
    each mapped to a character (bytes past the last whole multiple of the alphabet are
    dropped, so every character stays equally likely), costs a fraction of a
    ``choice()`` per character.
    """
    alphabet = CODE_ALPHABET.encode()
    usable = 256 - 256 % len(alphabet)
    table = bytes(alphabet[b % len(alphabet)] for b in range(256))
    dropped = bytes(range(usable, 256))
    need = count * CODE_LENGTH
    drawn = b""
    while len(drawn) < need:
        drawn += _code_rng.randbytes(need - len(drawn) + 16).translate(table, dropped)
    text = drawn[:need].decode("ascii")
    return [text[i : i + CODE_LENGTH] for i in range(0, need, CODE_LENGTH)]


def code_holder(
    session: Session, code: str, *, exclude_id: int | None = None
) -> CustomerSummary | None:
    stmt = select(col(Customer.id)).where(col(Customer.code_key) == normalise_code(code))
    if exclude_id is not None:
        stmt = stmt.where(col(Customer.id) != exclude_id)
    found = session.execute(stmt).scalar()
    if found is None:
        return None
    return summaries(session, [int(found)])[0]


#: writes go through the table (Core): ORM-enabled statements cost milliseconds
CUSTOMER_TABLE = table_of(Customer)
_INSERTS: dict[str, Any] = {}


def _insert_statement(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (code_key) DO NOTHING RETURNING id``, built once: values go
    in as parameters, so SQLAlchemy compiles it a single time."""
    if dialect not in _INSERTS:
        # imported here: PostgreSQL's dialect costs a SQLite till 40 ms on first F3
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            _INSERTS[dialect] = (
                pg_insert(CUSTOMER_TABLE)
                .on_conflict_do_nothing(index_elements=["code_key"])
                .returning(CUSTOMER_TABLE.c.id)
            )
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            _INSERTS[dialect] = (
                sqlite_insert(CUSTOMER_TABLE)
                .on_conflict_do_nothing(index_elements=["code_key"])
                .returning(CUSTOMER_TABLE.c.id)
            )
    return _INSERTS[dialect]


def insert_or_nothing(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a customer unless its code is taken (then ``None``): no exception, so the
    caller's transaction stays usable on PostgreSQL too."""
    stmt = _insert_statement(session.get_bind().dialect.name)
    found = session.exec(stmt, params=values).scalar()
    return None if found is None else int(found)
