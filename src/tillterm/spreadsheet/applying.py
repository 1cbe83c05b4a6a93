"""The apply of an import: the checked rows written inside the import's one transaction.

:class:`CustomerWriter` turns each piece of checked rows into driver rows on a helper
thread (:meth:`CustomerWriter.prepare`, no database) while the import's own thread
writes the previous piece (:meth:`CustomerWriter.write`): updates of existing
customers through one ``UPDATE`` per row, new customers through the insert path chosen
for this database (:mod:`tillterm.spreadsheet.insert_paths`), then tags and custom
fields. :class:`Lookahead` keeps one piece ready ahead. Search indexing runs in bulk,
once per piece, never through a trigger per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlmodel import col

from tillterm.customers.consents import CONSENTS
from tillterm.customers.fields import CUSTOM_PREFIX
from tillterm.customers.phones import store_region
from tillterm.customers.profiles import PHONE_FIELDS, generate_code, generate_codes, normalise_code
from tillterm.spreadsheet.changes import CHANGED, changes, compared_fields, lookup
from tillterm.spreadsheet.checking import Context
from tillterm.spreadsheet.columns import BOOL, FIELD_BY_NAME, ColumnMap
from tillterm.spreadsheet.file_check import customer_count
from tillterm.spreadsheet.import_report import (
    CheckedRows,
    Progress,
    ProgressCallback,
)
from tillterm.spreadsheet.insert_paths import (
    CUSTOMER_TABLE,
    LOOKUP_CHUNK,
    InsertPath,
    customer_columns,
    lookup_codes,
)
from tillterm.spreadsheet.opening import db_now
from tillterm.spreadsheet.phones import phone_digits_series
from tillterm.spreadsheet.reading import ROW
from tillterm.store import search_index
from tillterm.store.models import (
    Customer,
    CustomerTag,
    CustomFieldValue,
    Tag,
)

if TYPE_CHECKING:
    import polars as pl

#: rows written at a time: small enough that preparing the next piece (on a helper
#: thread) overlaps writing this one from the start; the first piece is smaller still,
#: as preparing it is the one step nothing overlaps
PIECE_ROWS = 16_000
FIRST_PIECE = 8_000
PHONES = PHONE_FIELDS
#: spreadsheet field → customer table column, where they differ
DB_COLUMN = {"group": "group_id", "tax_rate": "tax_rate_id", "balance_limit": "balance_limit_cents"}


def still_valid(then: Context, now: Context, cmap: ColumnMap) -> bool:
    """Do the names the rows were resolved against still mean the same rows?"""
    customs = [n[len(CUSTOM_PREFIX) :] for n in cmap.present if n.startswith(CUSTOM_PREFIX)]
    return (
        then.groups.items() <= now.groups.items()
        and then.taxes.items() <= now.taxes.items()
        and all(then.customs[n] == now.customs.get(n) for n in customs)
    )


def existing_ids(
    conn: Connection,
    checked: CheckedRows,
    ctx: Context,
    progress: ProgressCallback | None = None,
) -> tuple[list[pl.Series | None], list[pl.Series | None]]:
    """Per batch, the id of the customer each row's code names (null: a new customer),
    and which rows leave their customer exactly as it is (not written).

    Looked up now, in the write transaction, not at check time: someone may have added
    or changed a customer since. ``None`` for every batch when the store has no
    customer yet (nothing to look up or compare).
    """
    import polars as pl

    if not customer_count(conn):
        return [None] * len(checked), [None] * len(checked)
    fields = compared_fields(checked.cmap)
    found: list[pl.Series | None] = []
    same: list[pl.Series | None] = []
    for index in range(len(checked)):
        if progress:  # lets a person cancel while the rows on file are compared
            progress(Progress("importing", 0.0, 0))
        keys = checked.batch(index, ["__key"]).get_column("__key")
        on_file = lookup(conn, keys.filter(keys != "").unique().to_list(), fields)
        ids = dict(on_file.select("__key", "__id").iter_rows())
        column = keys.replace_strict(ids, default=None, return_dtype=pl.Int64).alias("__id")
        found.append(column)
        if not ids:
            same.append(None)
            continue
        values = checked.batch(index).with_columns(column)
        changed = changes(conn, values, on_file, fields, ctx).get_column(CHANGED)
        same.append(column.is_not_null() & ~changed.fill_null(True))
    return found, same


def file_keys(checked: CheckedRows) -> pl.Series:
    """Every customer code the file gives (normalised): generated codes must avoid them."""
    import polars as pl

    keys = [checked.batch(i, ["__key"]).get_column("__key") for i in range(len(checked))]
    found = pl.concat(keys) if keys else pl.Series("__key", [], dtype=pl.String)
    return found.filter(found != "").unique()


class Lookahead:
    """The batches made ready for the driver, one ahead, by a helper thread.

    The helper only reads the spill files and runs polars and the staging driver (no
    connection of ours). Binding rows in ``executemany`` holds the GIL; indexing the
    inserted rows for search, and copying staged rows in, do not. So the next piece is
    started as soon as the current one is taken when the insert path releases the GIL
    (staged rows), else when the current one's rows are in (:meth:`start`, called by the
    writer), and is prepared while the database works. Nothing overlaps the first
    piece, so it is kept small.
    """

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        writer: CustomerWriter,
        checked: CheckedRows,
        existing: list[pl.Series | None],
        new_ids: pl.Series,
        unchanged: list[pl.Series | None],
    ) -> None:
        self.pool = pool
        self.writer = writer
        self.checked = checked
        self.existing = existing
        self.unchanged = unchanged
        self.new_ids = new_ids
        #: (spilled batch, first row, rows, offset of its first new customer in new_ids)
        self.pieces: list[tuple[int, int, int, int]] = []
        taken = 0
        for index, height in enumerate(checked.heights):
            first = FIRST_PIECE if index == 0 else PIECE_ROWS
            cuts = [0, *range(min(first, height), height, PIECE_ROWS), height]
            for start, stop in pairwise(dict.fromkeys(cuts)):
                ids = existing[index]
                new = stop - start if ids is None else ids.slice(start, stop - start).null_count()
                self.pieces.append((index, start, stop - start, taken))
                taken += new
        self.next_index = 0
        self.future: Future[PreparedPiece] | None = None
        #: the spilled batch the helper read last (only the helper thread uses it)
        self.loaded: tuple[int, pl.DataFrame] | None = None

    def _job(self, piece: int) -> PreparedPiece:
        index, start, rows, taken = self.pieces[piece]
        if self.loaded is None or self.loaded[0] != index:  # pieces come in order
            self.loaded = (index, self.checked.batch(index))
        values = self.loaded[1].slice(start, rows)
        existing = self.existing[index]
        if existing is not None:
            existing = existing.slice(start, rows)
        new = rows if existing is None else existing.null_count()
        same = self.unchanged[index]
        skipped = 0
        if same is not None and existing is not None:
            keep = ~same.slice(start, rows)
            skipped = rows - int(keep.sum())
            if skipped:
                values, existing = values.filter(keep), existing.filter(keep)
        batch = self.writer.prepare(values, existing, self.new_ids.slice(taken, new))
        batch.rows, batch.unchanged = rows, skipped
        return batch

    def start(self) -> None:
        """Begin preparing the next piece, unless it is begun or there is none."""
        if self.future is None and self.next_index < len(self.pieces):
            self.future = self.pool.submit(self._job, self.next_index)
            self.next_index += 1

    def take(self) -> PreparedPiece:
        """The next piece, prepared (waiting for the helper if need be)."""
        self.start()
        assert self.future is not None
        future, self.future = self.future, None
        if self.writer.path.releases_gil:
            # the rows go in without the GIL: prepare the next piece all along
            self.start()
        return future.result()


@dataclass
class PreparedPiece:
    """One checked batch, converted to driver rows (new customers already have ids)."""

    values: pl.DataFrame
    #: the new customers as the insert path takes them (``None``: no new customer)
    inserts: Any
    created: int
    #: ``id``, ``code_key`` of the new customers whose code was generated (blank in the file)
    generated: pl.DataFrame
    updates: list[tuple[Any, ...]]
    old_ids: list[int]
    #: the customer id of each row of ``values``, in order
    ids: pl.Series
    #: the rows of the file this piece stands for, and how many of them (customers
    #: exactly as on file) were left out of ``values``
    rows: int = 0
    unchanged: int = 0


class CustomerWriter:
    """Bulk writes inside the import's transaction.

    :meth:`prepare` touches no database (it runs on the helper thread); every other
    method runs on the import's own thread and connection.
    """

    def __init__(
        self,
        conn: Connection,
        cmap: ColumnMap,
        ctx: Context,
        path: InsertPath[Any],
        *,
        file_keys: pl.Series | None = None,
    ) -> None:
        self.conn = conn
        #: how the new customers go in (staged or bound rows)
        self.path = path
        #: the codes the file gives (generated ones avoid them)
        self.file_keys = file_keys
        self.cmap = cmap
        self.ctx = ctx
        self.dialect = conn.dialect.name
        self.mark = "?" if self.dialect == "sqlite" else "%s"
        self.now = db_now(self.dialect)
        self.present = [n for n in (cmap.fields[i] for i in sorted(cmap.fields))]
        self.plain = [n for n in self.present if not n.startswith(CUSTOM_PREFIX) and n != "tags"]
        self.customs = [n for n in self.present if n.startswith(CUSTOM_PREFIX)]
        self.tag_ids: dict[str, int] = {
            k: i  # type: ignore[misc]  # SQLModel types ids int | None (unsaved rows); a stored row's is an int
            for i, k in conn.execute(select(col(Tag.id), col(Tag.name_key)))
        }
        self.updated_ids: list[int] = []
        self.touched_phones = any(n in PHONES for n in self.present)
        #: every phone is in the file: an update sets the phone digits itself; else they
        #: are worked out afterwards from what is on file (a second write of each row)
        self.all_phones = all(n in self.present for n in PHONES)
        #: the region phones without a country code are read in (the store's country)
        self.region = store_region(conn)
        self.columns = customer_columns()
        self.update_sql, self.update_exprs = self._update_statement()

    # values for the driver
    def _frame_for_db(self, values: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        exprs = []
        for name in self.plain:
            col = pl.col(name)
            spec = FIELD_BY_NAME[name]
            if self.dialect == "sqlite" and spec.kind == BOOL:
                col = col.cast(pl.Int64)
            if self.dialect == "sqlite" and name == "birth_date":
                col = col.cast(pl.String)
            exprs.append(col.alias(DB_COLUMN.get(name, name)))
        if "birth_date" in self.plain:
            bad = pl.col("__birth_bad")
            exprs.append(bad.cast(pl.Int64) if self.dialect == "sqlite" else bad)
        return values.select(ROW, "__id", "__key", *exprs)

    def allocate_ids(self, count: int) -> pl.Series:
        """Ids for ``count`` new customers, taken once for the whole import."""
        import polars as pl

        if not count:
            return pl.Series("__id", [], dtype=pl.Int64)
        if self.dialect == "sqlite":
            last = func.coalesce(func.max(col(Customer.id)), 0)
            first = int(self.conn.execute(select(last)).scalar_one()) + 1  # type: ignore[arg-type]  # coalesce(…, 0) is never None
            return pl.int_range(first, first + count, dtype=pl.Int64, eager=True).alias("__id")
        # the sequence is looked up once, not per id (a catalog lookup a row: 4 s of the
        # server's time for a million ids), and the ids come back as their bounds when
        # nobody else took one meanwhile (nearly always), not as a million rows
        seq = int(
            self.conn.exec_driver_sql(
                "SELECT pg_get_serial_sequence('customer', 'id')::regclass::oid"
            ).scalar_one()
        )
        first, last, scattered = self.conn.exec_driver_sql(
            f"WITH ids AS MATERIALIZED (SELECT nextval({seq}::regclass) AS v "
            f"FROM generate_series(1, {int(count)})) "
            "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL "
            "ELSE array_agg(v ORDER BY v) END FROM ids"
        ).one()
        if scattered is None:  # count ids between the bounds: exactly those
            return pl.int_range(first, last + 1, dtype=pl.Int64, eager=True).alias("__id")
        return pl.Series("__id", scattered, dtype=pl.Int64)

    def prepare(
        self, values: pl.DataFrame, existing: pl.Series | None, ids: pl.Series
    ) -> PreparedPiece:
        """Driver rows for one batch; no database access (runs on the helper thread)."""
        import polars as pl

        if existing is None:
            values = values.with_columns(pl.lit(None, dtype=pl.Int64).alias("__id"))
        else:
            values = values.with_columns(existing.alias("__id"))
        db = self._frame_for_db(values)
        if self.touched_phones:
            db = db.with_columns(phone_digits_series(db, PHONES, self.region))
        new = db.filter(pl.col("__id").is_null()).with_columns(ids.alias("__id"))
        old = db.filter(pl.col("__id").is_not_null())
        rows = self._insert_frame(new)
        generated = rows.filter(new.get_column("__key") == "").select("id", "code_key")
        inserts = self.path.payload(rows) if new.height else None
        updates = old.select(self.update_exprs).rows() if old.height else []
        all_ids = (
            values.select(ROW)
            .join(pl.concat([new.select(ROW, "__id"), old.select(ROW, "__id")]), on=ROW, how="left")
            .get_column("__id")
        )
        old_ids = old.get_column("__id").to_list()
        return PreparedPiece(values, inserts, new.height, generated, updates, old_ids, all_ids)

    def write(
        self, batch: PreparedPiece, inserted: Callable[[], None] | None = None
    ) -> tuple[int, int]:
        """Write one batch; ``inserted`` is called once its new rows are in, before indexing.

        Both updates and inserts are indexed for search in bulk, not by a trigger per row
        (see ``search_index.bulk_update``: 5,000 updates took 1.7 s through triggers).
        """
        if batch.updates:
            with search_index.bulk_update(self.conn, batch.old_ids):
                self.conn.exec_driver_sql(self.update_sql, batch.updates)
            self.updated_ids.extend(batch.old_ids)
        if batch.created:
            # the search index catches up once per batch, not through a trigger per row
            with search_index.bulk_insert(self.conn):
                generated = batch.generated
                self.path.insert(
                    batch.inserts, generated, lambda clashing: self._redraw(generated, clashing)
                )
                if inserted:
                    inserted()
        if "tags" in self.present:
            self._write_tags(batch.values.get_column("tags"), batch.ids, batch.old_ids)
        for name in self.customs:
            self._write_custom(name, batch.values.get_column(name), batch.ids, batch.old_ids)
        return batch.created, len(batch.updates)

    def _insert_frame(self, new: pl.DataFrame) -> pl.DataFrame:
        """The new customers with every column of the table, in its order, id first."""
        import polars as pl

        keys = new.get_column("__key")
        codes = (
            new.get_column("customer_code")
            if "customer_code" in new.columns
            else pl.Series("customer_code", [""] * new.height, dtype=pl.String)
        )
        blank = (keys == "").arg_true()
        if len(blank):
            drawn = self._candidate_codes(len(blank))
            codes = codes.scatter(blank, drawn)
            keys = keys.scatter(blank, drawn.str.to_lowercase())
        frame = new.with_columns(codes.alias("customer_code"), keys.alias("code_key"))
        if "phone_digits" not in frame.columns:  # the file has no phone
            frame = frame.with_columns(pl.lit("").alias("phone_digits"))
        table = Customer.metadata.tables[CUSTOMER_TABLE]
        exprs = [pl.col("__id").alias("id")]
        for column in self.columns:
            if column in frame.columns:
                exprs.append(pl.col(column))
                continue
            stamp = self._consent_stamp(column, frame.columns)
            if stamp is not None:
                exprs.append(stamp)
                continue
            sa_col = table.c[column]
            if column in ("created_at", "updated_at"):
                exprs.append(pl.lit(self.now).alias(column))
            elif column == "archived_at" or sa_col.nullable:
                exprs.append(pl.lit(None).alias(column))
            elif column in (
                "marketing_opt_in",
                "tax_exempt",
                "on_account_allowed",
                "loyalty_enabled",
            ) or column.startswith("consent_"):
                exprs.append(pl.lit(0 if self.dialect == "sqlite" else False).alias(column))
            else:
                exprs.append(pl.lit("").alias(column))
        return frame.select(exprs)

    def _consent_stamp(self, column: str, present: Sequence[str]) -> pl.Expr | None:
        """A new customer's ``<consent>_at``/``_via``: now and "import" for a consent the
        file gives, nothing for one it leaves "no" (``None`` for any other column)."""
        import polars as pl

        consent, _, part = column.rpartition("_")
        if consent not in CONSENTS or consent not in present or part not in ("at", "via"):
            return None
        given = pl.col(consent).cast(pl.Boolean)
        value = pl.lit(self.now) if part == "at" else pl.lit("import")
        empty = pl.lit(None) if part == "at" else pl.lit("")
        return pl.when(given).then(value).otherwise(empty).alias(column)

    def _candidate_codes(self, count: int) -> pl.Series:
        """Codes for ``count`` customers the file left without one (helper thread).

        Unique among themselves and unlike any code in the file; one already on file in
        the database is caught when the piece is written (:meth:`_redraw`).
        """
        import polars as pl

        codes = pl.Series("customer_code", generate_codes(count), dtype=pl.String)
        while True:
            bad = codes.is_duplicated()
            if self.file_keys is not None and len(self.file_keys):
                bad = bad | codes.str.to_lowercase().is_in(self.file_keys.implode())
            redraw = bad.arg_true()
            if not len(redraw):
                return codes
            codes = codes.scatter(redraw, generate_codes(len(redraw)))

    def _redraw(self, generated: pl.DataFrame, clashing: list[int]) -> dict[int, tuple[str, str]]:
        """Fresh codes for the new customers ``clashing`` (ids), whose drawn code someone
        already has: unlike any code of the piece, of the file or on file.

        Rare: 31⁸ codes, so with a million customers on file about one new customer in
        850,000 draws a taken code.
        """
        piece = set(generated.get_column("code_key").to_list())
        fresh: dict[int, tuple[str, str]] = {}
        for cid in clashing:
            while True:
                code = generate_code()
                key = normalise_code(code)
                known = self.file_keys is not None and bool((self.file_keys == key).any())
                if key in piece or known or lookup_codes(self.conn, [key]):
                    continue
                piece.add(key)
                fresh[cid] = (code, key)
                break
        return fresh

    def _update_statement(self) -> tuple[str, list[pl.Expr]]:
        """The UPDATE of existing customers (only the columns present) and its values."""
        import polars as pl

        sets: list[str] = []
        exprs: list[pl.Expr] = []
        for name in self.plain:
            column = DB_COLUMN.get(name, name)
            if name == "customer_code":
                continue
            if name == "birth_date":
                # an unreadable birth date (a warning) leaves the one on file alone
                sets.append(
                    f"birth_date = CASE WHEN {self.mark} THEN birth_date ELSE {self.mark} END"
                )
                exprs.append(pl.col("__birth_bad"))
            else:
                sets.append(f"{column} = {self.mark}")
            exprs.append(pl.col(column))
        for consent in (n for n in self.plain if n in CONSENTS):
            # a consent the file changes is stamped (SET reads the row as it was)
            m = self.mark
            sets.append(f"{consent}_at = CASE WHEN {consent} <> {m} THEN {m} ELSE {consent}_at END")
            sets.append(
                f"{consent}_via = CASE WHEN {consent} <> {m} THEN 'import' ELSE {consent}_via END"
            )
            exprs += [
                pl.col(consent).alias(f"__{consent}_was_at"),
                pl.lit(self.now).alias(f"__{consent}_at"),
                pl.col(consent).alias(f"__{consent}_was_via"),
            ]
        if self.all_phones:
            sets.append(f"phone_digits = {self.mark}")
            exprs.append(pl.col("phone_digits"))
        sets.append(f"updated_at = {self.mark}")
        exprs.append(pl.lit(self.now).alias("updated_at"))
        exprs.append(pl.col("__id"))
        return f"UPDATE customer SET {', '.join(sets)} WHERE id = {self.mark}", exprs

    def _ensure_tags(self, names: Iterable[str]) -> None:
        missing: dict[str, str] = {}
        for name in names:
            key = name.casefold()
            if key not in self.tag_ids and key not in missing:
                missing[key] = name
        for key, name in missing.items():
            self.tag_ids[key] = self.conn.execute(  # type: ignore[assignment]  # ids typed int | None (unsaved rows); a stored row's is an int
                insert(Tag).values(name=name, name_key=key).returning(col(Tag.id))
            ).scalar_one()

    def _write_tags(self, tags: pl.Series, ids: pl.Series, old_ids: list[int]) -> None:
        import polars as pl

        if old_ids:
            for start in range(0, len(old_ids), LOOKUP_CHUNK):
                self.conn.execute(
                    delete(CustomerTag).where(
                        col(CustomerTag.customer_id).in_(old_ids[start : start + LOOKUP_CHUNK])
                    )
                )
        pairs = pl.DataFrame({"id": ids, "tag": tags}).explode("tag").drop_nulls("tag")
        if not pairs.height:
            return
        self._ensure_tags(pairs.get_column("tag").unique().to_list())
        links = (
            pairs.with_columns(
                pl.col("tag")
                .str.to_lowercase()
                .replace_strict(self.tag_ids, default=None, return_dtype=pl.Int64)
                .alias("tag_id")
            )
            .drop_nulls("tag_id")
            .unique(["id", "tag_id"])
            .select("id", "tag_id")
            .rows()
        )
        if links:
            self.conn.exec_driver_sql(
                f"INSERT INTO customer_tag (customer_id, tag_id) VALUES ({self.mark}, {self.mark})",
                links,
            )

    def _write_custom(
        self, name: str, column: pl.Series, ids: pl.Series, old_ids: list[int]
    ) -> None:
        import polars as pl

        defn = self.ctx.customs[name[len(CUSTOM_PREFIX) :]]
        if old_ids:
            for start in range(0, len(old_ids), LOOKUP_CHUNK):
                self.conn.execute(
                    delete(CustomFieldValue).where(
                        col(CustomFieldValue.field_id) == defn.id,
                        col(CustomFieldValue.customer_id).in_(
                            old_ids[start : start + LOOKUP_CHUNK]
                        ),
                    )
                )
        rows = (
            pl.DataFrame({"id": ids, "value": column})
            .filter(pl.col("value") != "")
            .select("id", pl.lit(defn.id).alias("field"), "value")
            .rows()
        )
        if rows:
            self.conn.exec_driver_sql(
                "INSERT INTO custom_field_value (customer_id, field_id, value) "
                f"VALUES ({self.mark}, {self.mark}, {self.mark})",
                rows,
            )

    def finish(self) -> None:
        """Fix phone digits of updated rows the file gave some phones of; let the insert
        path let go of what it holds."""
        self.path.finish()
        if self.touched_phones and not self.all_phones and self.updated_ids:
            with search_index.bulk_update(self.conn, self.updated_ids):
                self._refresh_phone_digits(self.updated_ids)

    def _refresh_phone_digits(self, ids: list[int]) -> None:
        import polars as pl

        phones = [col(getattr(Customer, p)) for p in PHONES]
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            query = select(col(Customer.id), *phones).where(col(Customer.id).in_(chunk))
            rows = self.conn.execute(query).all()
            frame = pl.DataFrame(rows, schema=["id", *PHONES], orient="row")
            digits = phone_digits_series(frame, PHONES, self.region)
            data = frame.select(digits, "id").rows()
            self.conn.exec_driver_sql(
                f"UPDATE customer SET phone_digits = {self.mark} WHERE id = {self.mark}", data
            )
