"""Privacy requests: everything stored about a customer, handed over; a customer's
identity, erased.

**Export** gathers the profile (every field, tags, custom fields), the consents with
their date and means, every sale with its lines and payments, and the loyalty, account
and opening-spend ledgers, as one JSON document and CSV files a person can open.

**Erasure** removes the person and keeps the store's books. The customer row stays
(sales, loyalty and account entries point at it, and the books must still add up: a
balance stays the sum of its entries) but every field that says who they were is
emptied, their code becomes ``ERASED-<id>``, tags, custom values and notes go, and the
record is archived. Their name and code are also taken off their sales — the snapshot
kept with each sale and the receipt text kept for reprints — where they are replaced by
``[erased]``: the one, logged exception to "a receipt is never rewritten", because the
law asks for the identity to go and the books (receipt numbers, lines, amounts, taxes,
dates) are left exactly as they were. After erasure no search, code or sale listing
finds the person by anything they were.

Both are logged in ``privacy_request`` (when, through what), without the identity.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import Session

from tillterm.core.errors import NotFound, TilltermError
from tillterm.customers import consents
from tillterm.customers.reading import get_customer
from tillterm.i18n import _
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomerTag,
    CustomFieldValue,
    LoyaltyEntry,
    OpeningSpend,
    Payment,
    PrivacyRequest,
    Sale,
    SaleLine,
    table_of,
    utcnow,
)
from tillterm.store.private_files import write_private

_C = table_of(Customer)
_SALE = table_of(Sale)
_LINE = table_of(SaleLine)
_PAY = table_of(Payment)
_LOG = table_of(PrivacyRequest)

#: what an erased customer's sales and receipts show instead of their name and code
ERASED = "[erased]"

#: the customer's columns that say who they are: emptied by an erasure
IDENTITY_TEXT = (
    "first_name",
    "last_name",
    "email",
    "email2",
    "phone",
    "phone_home",
    "phone_work",
    "phone_mobile",
    "phone_pager",
    "phone_fax",
    "phone_digits",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country",
    "title",
    "company",
    "company_reg_no",
    "vat_number",
    "website",
    "notes",
    *(f"{name}_via" for name in consents.CONSENTS),
)
#: the columns an erasure keeps: the store's own terms of sale and the record's dates,
#: none of which says who the person was (a test checks every column is in one list)
KEPT = (
    "id",
    "customer_code",  # replaced by ERASED-<id>
    "code_key",
    "group_id",
    "discount_percent",
    "tax_rate_id",
    "tax_exempt",
    "on_account_allowed",
    "balance_limit_cents",
    "loyalty_enabled",
    "created_at",
    "updated_at",
    "archived_at",
)
#: emptied to ``NULL`` / ``false``
IDENTITY_OTHER = (
    "birth_date",
    *consents.CONSENTS,
    *(f"{name}_at" for name in consents.CONSENTS),
)


class PrivacyRefused(TilltermError):
    """A request that cannot be carried out as asked (said in words for the cashier)."""


def erased_code(customer_id: int) -> str:
    return f"ERASED-{customer_id}"


def _customer_row(session: Session, customer_id: int) -> dict[str, Any]:
    row = session.execute(select(_C).where(_C.c.id == customer_id)).first()
    if row is None:
        raise NotFound(_("This customer no longer exists."))
    return dict(row._mapping)


def is_erased(row: dict[str, Any]) -> bool:
    return bool(row["customer_code"] == erased_code(row["id"]))


def _log(
    session: Session, kind: str, customer_id: int, via: str, actor: str, detail: str = ""
) -> None:
    session.execute(
        insert(_LOG).values(
            kind=kind,
            customer_id=customer_id,
            at=utcnow(),
            via=via[:20],
            actor=actor[:60],
            detail=detail[:400],
        )
    )


# --------------------------------------------------------------------------- export


def _plain(value: Any) -> Any:
    """A value as JSON and CSV write it: decimals and dates as text, exact."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cents(value: int | None) -> str | None:
    return None if value is None else f"{Decimal(value) / 100:.2f}"


@dataclass(frozen=True)
class CustomerData:
    """Everything stored about one customer, as plain values (JSON-ready)."""

    customer_code: str
    document: dict[str, Any]


def gather(session: Session, customer_id: int) -> CustomerData:
    """Everything the store holds about the customer, read in one transaction."""
    record = get_customer(session, customer_id)
    row = _customer_row(session, customer_id)
    profile = {
        k: _plain(v)
        for k, v in record.__dict__.items()
        if k not in ("tags", "custom") and not k.startswith("_")
    }
    sales = []
    sale_rows = session.execute(
        select(_SALE).where(_SALE.c.customer_id == customer_id).order_by(_SALE.c.id)
    ).all()
    for sale in sale_rows:
        lines = session.execute(
            select(_LINE).where(_LINE.c.sale_id == sale.id).order_by(_LINE.c.position)
        ).all()
        payments = session.execute(
            select(_PAY).where(_PAY.c.sale_id == sale.id).order_by(_PAY.c.id)
        ).all()
        sales.append(
            {
                "receipt_no": sale.receipt_no,
                "kind": sale.kind,
                "state": sale.state,
                "register": sale.register_name,
                "created_at": _plain(sale.created_at),
                "completed_at": _plain(sale.completed_at),
                "subtotal": _cents(sale.subtotal_cents),
                "discount": _cents(sale.discount_cents),
                "tax": _cents(sale.tax_cents),
                "total": _cents(sale.total_cents),
                "lines": [
                    {
                        "description": ln.description,
                        "quantity": ln.quantity,
                        "unit_price": _cents(ln.unit_price_cents),
                        "discount": _cents(ln.discount_cents),
                        "tax_rate": _plain(ln.tax_rate),
                        "tax": _cents(ln.tax_cents),
                        "total": _cents(ln.total_cents),
                    }
                    for ln in lines
                ],
                "payments": [
                    {"method": p.method, "amount": _cents(p.amount_cents)} for p in payments
                ],
            }
        )
    ledgers: dict[str, list[dict[str, Any]]] = {}
    for name, model, amount in (
        ("loyalty", LoyaltyEntry, "points"),
        ("account", AccountEntry, "amount_cents"),
        ("opening_spend", OpeningSpend, "amount_cents"),
    ):
        table = table_of(model)
        entries = session.execute(
            select(table).where(table.c.customer_id == customer_id).order_by(table.c.id)
        ).all()
        ledgers[name] = [
            {
                "date": _plain(e.created_at),
                "points" if amount == "points" else "amount": (
                    getattr(e, amount) if amount == "points" else _cents(getattr(e, amount))
                ),
                "reason": e.reason,
            }
            for e in entries
        ]
    requests = session.execute(
        select(_LOG).where(_LOG.c.customer_id == customer_id).order_by(_LOG.c.id)
    ).all()
    document = {
        "exported_at": _plain(utcnow()),
        "profile": profile,
        "tags": list(record.tags),
        "custom_fields": dict(record.custom),
        "consents": [
            {"consent": c.label, "given": c.given, "at": _plain(c.at), "via": c.via}
            for c in consents.records(row)
        ],
        "sales": sales,
        "ledgers": ledgers,
        "privacy_requests": [{"kind": r.kind, "at": _plain(r.at), "via": r.via} for r in requests],
    }
    return CustomerData(record.customer_code, document)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def write_export(data: CustomerData, folder: Path) -> list[Path]:
    """Write the data as ``customer.json`` and three CSV files in ``folder`` (created,
    private: the files hold a person's data)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    doc = data.document
    profile_rows = [
        (k, json.dumps(v) if isinstance(v, list) else v) for k, v in doc["profile"].items()
    ]
    profile_rows += [("tags", "; ".join(doc["tags"]))]
    profile_rows += [(f"custom: {k}", v) for k, v in doc["custom_fields"].items()]
    profile_rows += [
        (
            f"consent: {c['consent']}",
            f"{'yes' if c['given'] else 'no'}" + (f" ({c['via']}, {c['at']})" if c["at"] else ""),
        )
        for c in doc["consents"]
    ]
    sale_rows = [
        (
            s["receipt_no"],
            s["kind"],
            s["state"],
            s["completed_at"] or s["created_at"],
            ln["description"],
            ln["quantity"],
            ln["unit_price"],
            ln["discount"],
            ln["tax"],
            ln["total"],
        )
        for s in doc["sales"]
        for ln in s["lines"]
    ]
    ledger_rows = [
        (name, e["date"], e.get("points", e.get("amount")), e["reason"])
        for name, entries in doc["ledgers"].items()
        for e in entries
    ]
    files = {
        "customer.json": json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
        "profile.csv": _csv(("field", "value"), profile_rows),
        "sales.csv": _csv(
            (
                "receipt",
                "kind",
                "state",
                "date",
                "item",
                "quantity",
                "unit price",
                "discount",
                "tax",
                "total",
            ),
            sale_rows,
        ),
        "ledgers.csv": _csv(("ledger", "date", "amount or points", "reason"), ledger_rows),
    }
    return [write_private(folder / name, text) for name, text in files.items()]


def export_folder_name(code: str, when: dt.datetime) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)[:40]
    return f"customer-{safe}-{when.astimezone().strftime('%Y%m%d-%H%M%S')}"


def export_customer(
    session: Session, customer_id: int, folder: Path, *, via: str, actor: str
) -> list[Path]:
    """Write everything about the customer into ``folder`` and log the request."""
    data = gather(session, customer_id)
    written = write_export(data, folder)
    _log(session, "export", customer_id, via, actor, str(folder))
    return written


# --------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class Erased:
    customer_id: int
    code: str
    sales: int


def _redact(text: str, values: Iterable[str]) -> str:
    """The receipt with the customer's name and code masked; lines and amounts as they
    were (the longest first, so "Marie Dubois" goes whole before "Marie")."""
    for value in sorted({v for v in values if len(v) >= 2}, key=len, reverse=True):
        text = text.replace(value, ERASED)
    return text


def _one_person(session: Session, customer_id: int) -> list[int]:
    """The customer and everyone merged into them by merges that stand (one person:
    erasing the survivor must not leave their absorbed records holding who they were)."""
    from tillterm.customers.merging import standing_absorbed

    found, todo = [customer_id], [customer_id]
    while todo:
        for absorbed in standing_absorbed(session, todo.pop()):
            if absorbed not in found:
                found.append(absorbed)
                todo.append(absorbed)
    return found


def _erase_identity(session: Session, row: dict[str, Any], now: dt.datetime) -> int:
    """Empty one customer row's identity and mask it on their sales; their sales count."""
    customer_id = int(row["id"])
    code = erased_code(customer_id)
    # how a receipt names a customer (never a lone first name: "Jean" may be an item)
    full_name = f"{row['first_name']} {row['last_name']}".strip()
    former = [row["customer_code"], full_name, row["company"], row["email"]]
    values: dict[str, Any] = {c: "" for c in IDENTITY_TEXT}
    values.update({c: None for c in IDENTITY_OTHER if c.endswith("_at") or c == "birth_date"})
    values.update({c: False for c in consents.CONSENTS})
    values.update(customer_code=code, code_key=code.casefold(), updated_at=now)
    if row["archived_at"] is None:
        values["archived_at"] = now
    session.execute(update(_C).where(_C.c.id == customer_id).values(**values))
    for model in (CustomerTag, CustomFieldValue):
        table = table_of(model)
        session.execute(delete(table).where(table.c.customer_id == customer_id))
    sales = session.execute(
        select(
            _SALE.c.id, _SALE.c.customer_name, _SALE.c.customer_code, _SALE.c.receipt_text
        ).where(_SALE.c.customer_id == customer_id)
    ).all()
    masked = []
    for sale in sales:
        names = [*former, sale.customer_name or "", sale.customer_code or ""]
        text = _redact(sale.receipt_text, names) if sale.receipt_text else sale.receipt_text
        name = ERASED if sale.customer_name is not None else None
        sale_code = code if sale.customer_code is not None else None
        if (name, sale_code, text) != (sale.customer_name, sale.customer_code, sale.receipt_text):
            masked.append({"b_id": sale.id, "b_name": name, "b_code": sale_code, "b_text": text})
    if masked:
        # one statement run for every sale (an executemany), not a statement built per
        # sale: 20,000 sales were 3.1 s, the budget of an erasure is 1 s
        session.execute(
            update(_SALE)
            .where(_SALE.c.id == bindparam("b_id"))
            .values(
                customer_name=bindparam("b_name"),
                customer_code=bindparam("b_code"),
                receipt_text=bindparam("b_text"),
            ),
            masked,
        )
    # an export's folder name carried the code: the log keeps that an export was made
    session.execute(update(_LOG).where(_LOG.c.customer_id == customer_id).values(detail=""))
    return len(sales)


def erase_customer(session: Session, customer_id: int, *, via: str, actor: str) -> Erased:
    """Erase the person, keep the books (see the module's docstring for what stays).

    Customers merged into this one are the same person: they are erased with it, and
    what the merges kept of their fields is forgotten (such a merge can no longer be
    undone: undoing it would bring the identity back).
    """
    from tillterm.customers.merging import forget_merges

    row = _customer_row(session, customer_id)
    if is_erased(row):
        raise PrivacyRefused(_("This customer has already been erased."))
    person = _one_person(session, customer_id)
    busy = session.execute(
        select(_SALE.c.register_name, _SALE.c.state).where(
            _SALE.c.customer_id.in_(person), _SALE.c.state.in_(("open", "parked"))
        )
    ).first()
    if busy is not None:
        said = (
            _(
                "This customer is on a parked sale at register {register}: "
                "complete it, void it or take the customer off it first."
            )
            if busy.state == "parked"
            else _(
                "This customer is on an open sale at register {register}: "
                "complete it, void it or take the customer off it first."
            )
        )
        raise PrivacyRefused(said.format(register=busy.register_name))
    now = utcnow()
    sales = 0
    for each in person:
        each_row = row if each == customer_id else _customer_row(session, each)
        if not is_erased(each_row):
            sales += _erase_identity(session, each_row, now)
        _log(session, "erase", each, via, actor)
    forget_merges(session, person)
    return Erased(customer_id, erased_code(customer_id), sales)
