"""How an import's new customers go into the table: one class per way, chosen in one place.

- :class:`BoundRows`: the driver binds every value (``executemany``). Works everywhere;
  the way on SQLite without the ADBC driver, or when staging cannot be attached.
- :class:`StagedRows`: the rows become a payload that bypasses binding
  (:mod:`tillterm.store.staging`: on SQLite an image attached in memory, on PostgreSQL
  ``COPY``), loaded into a staging table and copied in by one ``INSERT … SELECT``. The
  load and the copy release the GIL, so the next piece is prepared all along.

Either way the payload is built on the import's helper thread (no connection of ours),
and a generated code that a customer already has is drawn again before the rows reach
the table (rare: 31⁸ codes). :func:`choose_insert_path` is the one place that decides.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from tillterm.store import staging
from tillterm.store.models import Customer

if TYPE_CHECKING:
    import polars as pl

LOOKUP_CHUNK = 5000
CUSTOMER_TABLE = "customer"
#: the tables an import writes new rows into, customers first (their indexes planned)
IMPORTED_TABLES = (CUSTOMER_TABLE, "customer_tag", "custom_field_value")

PayloadT = TypeVar("PayloadT")
#: the ids of new customers whose generated code is taken → a fresh (code, code key) each
Redraw = Callable[[list[int]], dict[int, tuple[str, str]]]


def customer_columns() -> list[str]:
    """The customer table's columns but ``id``, in the table's order (the inserted rows')."""
    table = Customer.metadata.tables[CUSTOMER_TABLE]
    return [c.name for c in table.columns if c.name != "id"]


def lookup_codes(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    """Code key → customer id, for the keys someone on file already has."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        found.update(
            (k, i)  # type: ignore[misc]  # SQLModel types ids int | None (unsaved rows); a stored row's is an int
            for i, k in conn.execute(
                select(col(Customer.id), col(Customer.code_key)).where(
                    col(Customer.code_key).in_(chunk)
                )
            )
        )
    return found


class InsertPath(ABC, Generic[PayloadT]):
    """One way of inserting new customers (``id`` then ``columns``, in the table's order)."""

    #: inserting releases the GIL: the helper prepares the next piece during the whole
    #: write, not only once the rows are in (while they are indexed for search)
    releases_gil = False

    def __init__(self, conn: Connection, columns: Sequence[str]) -> None:
        self.conn = conn
        self.columns = ["id", *columns]
        self.dialect = conn.dialect.name
        self.mark = "?" if self.dialect == "sqlite" else "%s"
        #: nothing dropped, nothing to analyse until :meth:`plan` says otherwise
        self.indexes = staging.IndexPlan(IMPORTED_TABLES, analyse=False)

    @abstractmethod
    def payload(self, rows: pl.DataFrame) -> PayloadT:
        """The new customers ready for :meth:`insert`; touches no connection (helper thread)."""

    @abstractmethod
    def insert(self, payload: PayloadT, generated: pl.DataFrame, redraw: Redraw) -> None:
        """Insert the rows; those of ``generated`` (``id``, ``code_key``: codes drawn for
        blank cells) whose code is taken get a fresh one from ``redraw`` first."""

    def plan(self, incoming: int) -> None:
        """About ``incoming`` new customers are coming (before the first piece): plan the
        indexes for them (:func:`tillterm.store.staging.plan_indexes`)."""
        self.indexes = staging.plan_indexes(self.conn, IMPORTED_TABLES, incoming)

    def finish(self) -> None:
        """The last piece is in (still inside the transaction): indexes dropped for the
        load are built again and the tables analysed, so the first search after an
        import is planned on the customers it brought."""
        self.indexes.finish(self.conn)


class BoundRows(InsertPath[list[tuple[Any, ...]]]):
    """``executemany`` of driver rows: every value bound from Python."""

    def __init__(self, conn: Connection, columns: Sequence[str]) -> None:
        super().__init__(conn, columns)
        names = ", ".join(self.columns)
        marks = ", ".join([self.mark] * len(self.columns))
        self.sql = f"INSERT INTO customer ({names}) VALUES ({marks})"

    def payload(self, rows: pl.DataFrame) -> list[tuple[Any, ...]]:
        return rows.rows()

    def insert(
        self, payload: list[tuple[Any, ...]], generated: pl.DataFrame, redraw: Redraw
    ) -> None:
        if generated.height:
            taken = lookup_codes(self.conn, generated.get_column("code_key").to_list())
            clashing = [int(i) for i, key in generated.iter_rows() if key in taken]
            if clashing:
                self._replace_codes(payload, redraw(clashing))
        self.conn.exec_driver_sql(self.sql, payload)

    def _replace_codes(
        self, payload: list[tuple[Any, ...]], fresh: dict[int, tuple[str, str]]
    ) -> None:
        at_code = self.columns.index("customer_code")
        at_key = self.columns.index("code_key")
        for n, row in enumerate(payload):
            if row[0] in fresh:
                values = list(row)
                values[at_code], values[at_key] = fresh[row[0]]
                payload[n] = tuple(values)


class StagedRows(InsertPath[bytes]):
    """A staging payload loaded whole, then copied into the table by one statement."""

    releases_gil = True

    def payload(self, rows: pl.DataFrame) -> bytes:
        return staging.payload(rows, self.dialect)

    def insert(self, payload: bytes, generated: pl.DataFrame, redraw: Redraw) -> None:
        if self.dialect == "postgresql" and not generated.height:
            # no code drawn here, so none to draw again: the rows go straight in (a
            # code of the file that someone has is refused by the unique index, and the
            # import with it, as from the staging table)
            staging.copy_payload(self.conn, "customer", self.columns, payload)
            return
        staging.load(self.conn, payload, self.columns)
        if generated.height:
            table = staging.staged_table(self.conn)
            # one join against the code index, whatever the size of the piece
            clashing = [
                int(row[0])
                for row in self.conn.exec_driver_sql(
                    f"SELECT r.id FROM {table} r JOIN customer c ON c.code_key = r.code_key"
                )
            ]
            if clashing:
                fresh = redraw(clashing)
                self.conn.exec_driver_sql(
                    f"UPDATE {table} SET customer_code = {self.mark}, "
                    f"code_key = {self.mark} WHERE id = {self.mark}",
                    [(code, key, cid) for cid, (code, key) in fresh.items()],
                )
        staging.copy(self.conn, "customer", self.columns)

    def finish(self) -> None:
        """Let go of the last payload's memory (the staging table stays, empty)."""
        staging.clear(self.conn)
        super().finish()


def choose_insert_path(conn: Connection, columns: Sequence[str]) -> InsertPath[Any]:
    """Staged rows where this database and this install allow it, else bound rows.

    Called before the write transaction begins: SQLite attaches its staging schema only
    outside a transaction.
    """
    if staging.frames_supported(conn.dialect.name) and staging.attach(conn):
        return StagedRows(conn, columns)
    return BoundRows(conn, columns)
