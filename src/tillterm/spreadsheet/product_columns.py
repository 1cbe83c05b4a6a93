"""The columns of a product spreadsheet: which header means which product field.

tillterm's own export is the template (``name``, ``sku``, ``barcode``, ``price``,
``tax_rate``, ``active``). A store switching tills brings its old system's export, so
the product exports of Shopify, Square (item library) and Lightspeed X-Series are
recognised by their headers, as the customer importer recognises their customer
exports (headers compared folded: :func:`tillterm.spreadsheet.sources.normalise_header`).
Their variants are one row each; a variant's options become part of its name, so "Tee"
in red and in blue are two products a cashier can tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tillterm.i18n import N_, _
from tillterm.spreadsheet.sources import normalise_header

NAME, SKU, BARCODE, PRICE, TAX, ACTIVE = "name", "sku", "barcode", "price", "tax_rate", "active"
#: the export's headers, in order: the import template
FIELDS = (NAME, SKU, BARCODE, PRICE, TAX, ACTIVE)
#: role of a column that is not a field but shapes one: the group of variant rows, an
#: option value appended to the name, an "archived" flag (active the other way round)
GROUP, OPTION, INACTIVE = "group", "option", "inactive"
#: a source's column that a generic alias would take for a field, but means something else
IGNORED = "-"

#: generic headers (English and French), beyond the field names themselves
ALIASES: dict[str, tuple[str, ...]] = {
    NAME: (
        "product",
        "product name",
        "item",
        "item name",
        "title",
        "nom",
        "produit",
        "libellé",
        "désignation",
        "article",
    ),
    SKU: (
        "item code",
        "product code",
        "code",
        "reference",
        "référence",
        "ref",
        "code article",
        "article number",
    ),
    BARCODE: (
        "ean",
        "ean13",
        "ean-13",
        "upc",
        "gtin",
        "bar code",
        "code barre",
        "code-barres",
        "code barres",
        "ean code",
    ),
    PRICE: (
        "retail price",
        "sale price",
        "selling price",
        "unit price",
        "prix",
        "prix de vente",
        "prix ttc",
        "price incl tax",
    ),
    TAX: ("tax", "tax rate", "tax name", "vat", "vat rate", "tva", "taxe"),
    ACTIVE: ("enabled", "status", "actif", "available", "sellable"),
}


@dataclass(frozen=True)
class ProductSource:
    """A known product export: the headers that identify it and what its columns mean."""

    key: str
    name: str
    signature: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    #: option values that mean "no option" (Shopify's "Default Title", Square's "Regular")
    no_option: tuple[str, ...] = field(default=())


SOURCES = (
    ProductSource(
        "shopify",
        N_("Shopify products export"),
        ("Handle", "Title", "Variant SKU", "Variant Price"),
        (
            ("Handle", GROUP),
            ("Title", NAME),
            ("Variant SKU", SKU),
            ("Variant Barcode", BARCODE),
            ("Variant Price", PRICE),
            ("Status", ACTIVE),
            ("Option1 Value", OPTION),
            ("Option2 Value", OPTION),
            ("Option3 Value", OPTION),
        ),
        no_option=("Default Title",),
    ),
    ProductSource(
        "square",
        N_("Square item library export"),
        ("Token", "Item Name", "Variation Name", "Price"),
        (
            ("Item Name", NAME),
            ("Variation Name", OPTION),
            ("SKU", SKU),
            ("GTIN", BARCODE),
            ("Price", PRICE),
            ("Archived", INACTIVE),
            # "can be sold" as opposed to a component; "Archived" says whether it is on sale
            ("Sellable", IGNORED),
        ),
        no_option=("Regular",),
    ),
    ProductSource(
        "lightspeed",
        N_("Lightspeed X-Series products export"),
        ("handle", "sku", "name", "retail_price"),
        (
            ("handle", GROUP),
            ("name", NAME),
            ("sku", SKU),
            ("retail_price", PRICE),
            ("tax_name", TAX),
            ("active", ACTIVE),
            ("variant_option_one_value", OPTION),
            ("variant_option_two_value", OPTION),
            ("variant_option_three_value", OPTION),
        ),
    ),
)


@dataclass(frozen=True)
class ProductColumns:
    """Which column (index) holds what, and what was left out (index → header)."""

    fields: dict[str, int]
    options: tuple[int, ...]
    group: int | None
    inactive: int | None
    ignored: dict[int, str]
    source: ProductSource | None

    @property
    def source_name(self) -> str:
        """The recognised system, in the person's language."""
        return _(self.source.name) if self.source else ""


def detect_product_source(headers: Sequence[str]) -> ProductSource | None:
    present = {normalise_header(h or "") for h in headers}
    best: ProductSource | None = None
    for source in SOURCES:
        keys = {normalise_header(h) for h in source.signature}
        if keys <= present and (best is None or len(keys) > len(best.signature)):
            best = source
    return best


def map_product_columns(headers: Sequence[str]) -> ProductColumns:
    """Each header's field: the source's own words first, then the generic aliases; the
    first column for a field wins (a second one is reported as not imported)."""
    source = detect_product_source(headers)
    known: dict[str, str] = {}
    for name, aliases in ALIASES.items():
        for alias in (name, *aliases):
            known[normalise_header(alias)] = name
    if source is not None:
        known.update({normalise_header(h): role for h, role in source.columns})
    fields: dict[str, int] = {}
    options: list[int] = []
    group = inactive = None
    ignored: dict[int, str] = {}
    for index, header in enumerate(headers):
        role = known.get(normalise_header(header or ""))
        if role == OPTION:
            options.append(index)
        elif role == GROUP and group is None:
            group = index
        elif role == INACTIVE and inactive is None and ACTIVE not in fields:
            inactive = index
        elif role in FIELDS and role not in fields:
            fields[role] = index
        else:
            ignored[index] = header
    return ProductColumns(fields, tuple(options), group, inactive, ignored, source)
