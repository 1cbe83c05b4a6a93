"""Products: finding them (a scan, a typed name), and creating or editing them.

A scan must resolve in well under a millisecond at 100,000 products, so codes go through
the unique indexes on ``barcode`` and ``sku``. Typed text goes through the product word
index (``tillterm.store.product_index``): every typed word is a prefix of some word of
the name, SKU or barcode, accents and case ignored ("cafe" finds "Café crème", "cro 250"
finds SKU "CRO-250"), one index lookup per word, never a scan of the table.

What a person types for a product (the back-office form, a spreadsheet row) is checked
here, so the form and the import refuse the same things with the same words: a barcode
of a retail length (EAN-8, UPC-A, EAN-13) must carry its check digit; any other code is
an "internal code"; a price is a plain amount ("12.50" or "12,50") kept as cents; a tax
rate must not be retired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy import text as sql
from sqlmodel import Session, col, select

from tillterm.core.errors import NotFound, ValidationFailed
from tillterm.core.folding import fold, words
from tillterm.core.gtin import GTIN_NAMES, gtin_check_digit, gtin_check_ok
from tillterm.core.money import from_cents, parse_amount, to_cents
from tillterm.i18n import _
from tillterm.store.models import Product, TaxRate, table_of

#: matches read from the word index before they are ranked: a page of any size below it
#: is ranked over every match of all but the shortest prefixes
CANDIDATES = 200
#: PostgreSQL: products read in id order before the word index is asked (see
#: ``_matching_ids``)
WALK = 1000
#: the lengths of a retail barcode whose check digit is verified (EAN-8, UPC-A, EAN-13)
CHECKED_LENGTHS = (8, 12, 13)
_TABLE = table_of(Product)
_FIELDS = ("id", "sku", "barcode", "name", "price_cents", "tax_rate_id", "active")
#: what an internal code may hold: letters, digits and a few separators, no spaces
_INTERNAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
NAME_MAX, CODE_MAX = 200, 64
#: how the form and the import name each field in a message
LABELS = {
    "name": _("Name"),
    "sku": _("SKU"),
    "barcode": _("Barcode"),
    "price": _("Price"),
    "tax_rate": _("Tax rate"),
    "active": _("Active"),
}


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str | None
    barcode: str | None
    name: str
    price: Decimal
    tax_rate_id: int | None
    active: bool = True

    @property
    def code(self) -> str:
        return self.barcode or self.sku or ""


@dataclass(frozen=True)
class ProductDraft:
    """A product as typed: every field text, as the form holds it."""

    name: str
    sku: str = ""
    barcode: str = ""
    price: str = ""
    tax_rate_id: int | None = None
    active: bool = True


def _info(row: Any) -> ProductInfo:
    """A product row (ORM or plain tuple with the same names) for the screens."""
    return ProductInfo(
        id=row.id or 0,
        sku=row.sku,
        barcode=row.barcode,
        name=row.name,
        price=from_cents(row.price_cents),
        tax_rate_id=row.tax_rate_id,
        active=bool(row.active),
    )


def find_product_row(session: Session, code: str) -> Product | None:
    """The active product whose barcode or SKU is ``code`` (SKUs also in upper case)."""
    code = code.strip()
    if not code:
        return None
    for column, value in (
        (Product.barcode, code),
        (Product.sku, code),
        (Product.sku, code.upper()),
    ):
        row = session.exec(
            select(Product).where(column == value, col(Product.active).is_(True))
        ).first()
        if row is not None:
            return row
    return None


def find_product(session: Session, code: str) -> ProductInfo | None:
    row = find_product_row(session, code)
    return None if row is None else _info(row)


def get_product(session: Session, product_id: int) -> ProductInfo:
    row = session.get(Product, product_id)
    if row is None:
        raise NotFound(_("This product no longer exists."))
    return _info(row)


def _matching_ids(
    session: Session, terms: list[str], *, active_only: bool, limit: int
) -> list[int]:
    """Ids of the products having a word that starts with each term, lowest first."""
    active = " AND p.active" if active_only else ""
    conn = session.connection()
    if session.get_bind().dialect.name == "sqlite":
        query = " AND ".join(f'"{term}"*' for term in terms)
        statement = sql(
            "SELECT p.id FROM search_product s JOIN product p ON p.id = s.rowid "
            f"WHERE search_product MATCH :q{active} ORDER BY s.rowid LIMIT :n"
        )
        return [int(i) for i in conn.execute(statement, {"q": query, "n": limit}).scalars()]
    query = " & ".join(f"'{term}':*" for term in terms)
    # A common prefix ("c") matches most products: the GIN index then builds a bitmap of
    # all of them and sorts it (60 ms at 100,000 products), where the first products by
    # id hold the page already. So the first WALK products are read in id order first
    # (their stored words, no folding: a few ms); only a rarer text, whose page is not
    # among them, asks the index.
    params = {"q": query, "n": limit, "walk": WALK}
    found = [
        int(i)
        for i in conn.execute(
            sql(
                "SELECT p.id FROM (SELECT id, active, search_product_words FROM product "
                "ORDER BY id LIMIT :walk) p WHERE p.search_product_words @@ "
                f"to_tsquery('simple', :q){active} ORDER BY p.id LIMIT :n"
            ),
            params,
        ).scalars()
    ]
    if len(found) == limit:
        return found
    statement = sql(
        "SELECT p.id FROM product p WHERE p.search_product_words @@ "
        f"to_tsquery('simple', :q){active} ORDER BY p.id LIMIT :n"
    )
    return [int(i) for i in conn.execute(statement, params).scalars()]


def search_products(
    session: Session, text: str, *, limit: int = 20, active_only: bool = True
) -> list[ProductInfo]:
    """Products having, for every typed word, a word of name, SKU or barcode that starts
    with it (accents and case ignored). Names starting with the text come first, then
    by name. An empty text lists the products by name (the back office's first page).
    """
    terms = words(text)
    if not terms:
        if text.strip():
            return []
        statement = select(Product).order_by(col(Product.name), col(Product.id)).limit(limit)
        if active_only:
            statement = statement.where(col(Product.active).is_(True))
        return [_info(r) for r in session.exec(statement).all()]
    ids = _matching_ids(session, terms, active_only=active_only, limit=max(CANDIDATES, limit))
    if not ids:
        return []
    # plain tuples, not ORM rows: up to CANDIDATES of them are read to rank a page
    rows = session.connection().execute(
        core_select(*(_TABLE.c[name] for name in _FIELDS)).where(_TABLE.c.id.in_(ids))
    )
    typed = fold(" ".join(text.split()))
    ranked = sorted(
        ((0 if (key := fold(row.name)).startswith(typed) else 1, key, row.id, row) for row in rows),
        key=lambda item: item[:3],
    )
    return [_info(row) for *_key, row in ranked[:limit]]


# -- checking what was typed ---------------------------------------------------------


def check_barcode(value: str) -> str | None:
    """The reason ``value`` cannot be a barcode, or ``None`` when it can.

    Digits of a retail length must carry their check digit: "3017620422003" is an EAN-13,
    "3017620422004" a typo. Other codes are the store's internal codes.
    """
    if value.isascii() and value.isdigit() and len(value) in CHECKED_LENGTHS:
        if gtin_check_ok(value):
            return None
        right = gtin_check_digit(value[:-1])
        return _(
            "not a valid {kind}: its check digit should be {right}, "
            "not {typed} (retype it or scan it)"
        ).format(kind=GTIN_NAMES[len(value)], right=right, typed=value[-1])
    if len(value) > CODE_MAX:
        return _("at most {count} characters").format(count=CODE_MAX)
    if not _INTERNAL.fullmatch(value):
        return _("letters, digits, . _ / - only, no spaces (an internal code)")
    return None


def barcode_kind(value: str) -> str:
    """What a valid barcode is: "EAN-13", "UPC-A", "EAN-8", "GTIN-14" or "internal code"."""
    if gtin_check_ok(value):
        return GTIN_NAMES[len(value)]
    return "internal code"


def parse_price(value: str) -> int:
    """A typed price ("12.50", "12,50", "€ 3") as cents; raises ``ValueError`` saying why."""
    amount = parse_amount(value)
    if amount < 0:
        raise ValueError(_("a price cannot be negative"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("“{typed}” has more than two decimals").format(typed=value.strip()))
    return to_cents(amount)


def check_sku(value: str) -> str | None:
    if len(value) > CODE_MAX:
        return _("at most {count} characters").format(count=CODE_MAX)
    if any(ch.isspace() for ch in value) or not value.isprintable():
        return _("no spaces in a SKU")
    return None


def active_tax_rates(session: Session) -> list[tuple[int, str, Decimal]]:
    """The rates a product may be given: (id, name, rate), retired ones left out."""
    rows = session.exec(
        select(TaxRate).where(col(TaxRate.retired_at).is_(None)).order_by(col(TaxRate.name))
    ).all()
    return [(r.id or 0, r.name, r.rate) for r in rows]


def _taken(session: Session, column: object, value: str, product_id: int | None) -> Product | None:
    row = session.exec(select(Product).where(column == value)).first()
    if row is not None and row.id != product_id:
        return row
    return None


def check_draft(
    session: Session, draft: ProductDraft, product_id: int | None = None
) -> dict[str, object]:
    """Every field of ``draft`` checked at once: the values to store, or raises
    :class:`ValidationFailed` naming each field that is wrong (nothing written)."""
    errors: dict[str, str] = {}
    name = " ".join(draft.name.split())
    sku = draft.sku.strip()
    barcode = "".join(draft.barcode.split())
    if not name:
        errors["name"] = _("a product needs a name")
    elif len(name) > NAME_MAX:
        errors["name"] = _("at most {count} characters").format(count=NAME_MAX)
    if sku:
        problem = check_sku(sku)
        if problem:
            errors["sku"] = problem
        elif (other := _taken(session, Product.sku, sku, product_id)) is not None:
            errors["sku"] = _("“{sku}” is already the SKU of “{name}”").format(
                sku=sku, name=other.name
            )
    current = session.get(Product, product_id) if product_id else None
    # the product's own barcode, unchanged, is kept even if it predates the check digits
    if barcode and (current is None or current.barcode != barcode):
        problem = check_barcode(barcode)
        if (other := _taken(session, Product.barcode, barcode, product_id)) is not None:
            errors["barcode"] = _("{barcode} is already the barcode of “{name}”").format(
                barcode=barcode, name=other.name
            )
        elif problem:
            errors["barcode"] = problem
    price = 0
    try:
        price = parse_price(draft.price)
    except ValueError as exc:
        errors["price"] = str(exc)
    if draft.tax_rate_id is not None:
        rate = session.get(TaxRate, draft.tax_rate_id)
        if rate is None:
            errors["tax_rate"] = _("this tax rate no longer exists")
        elif rate.retired_at is not None and (current is None or current.tax_rate_id != rate.id):
            errors["tax_rate"] = _("“{name}” is retired; choose another rate").format(
                name=rate.name
            )
    if errors:
        raise ValidationFailed(errors, LABELS)
    return {
        "name": name,
        "sku": sku or None,
        "barcode": barcode or None,
        "price_cents": price,
        "tax_rate_id": draft.tax_rate_id,
        "active": draft.active,
    }


def save_product(
    session: Session, draft: ProductDraft, product_id: int | None = None
) -> ProductInfo:
    """Create the product (``product_id`` None) or change it; raises
    :class:`ValidationFailed` (every wrong field) or :class:`NotFound`.

    A product already sold keeps its sale lines as they were printed: they carry their
    own name and price, so renaming or repricing here rewrites no receipt.
    """
    values = check_draft(session, draft, product_id)
    if product_id is None:
        row = Product(**values)  # type: ignore[arg-type]
    else:
        found = session.get(Product, product_id)
        if found is None:
            raise NotFound(_("This product no longer exists."))
        row = found
        for key, value in values.items():
            setattr(row, key, value)
    session.add(row)
    session.flush()
    return _info(row)
