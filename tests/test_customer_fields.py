"""The customer field registry: every field once, and everyone reading it.

The form, the validation, the importer's column matching and the exporter used to keep
their own lists (with their own lengths and three spellings of a custom field's key);
these tests hold them to the one registry, and the registry to the database schema.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from sqlalchemy.engine import Engine

from tillterm.customers import fields
from tillterm.customers.consents import CONSENTS
from tillterm.customers.custom_fields import define_field
from tillterm.customers.fields import EXPORT_ORDER, FIELD_BY_KEY, FIELDS, custom_key, custom_name
from tillterm.customers.records import CUSTOMER_FIELDS, CustomerRecord
from tillterm.customers.validation import LABELS, validate_customer
from tillterm.spreadsheet import columns
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer
from tillterm.store.search_index import ALL_COLUMNS
from tillterm.ui.screens.customer_form import CONTACT_FIELDS, NOTES

#: what a record holds that nobody types: ids, dates, names resolved from ids
#: written by the till, never typed: the record's dates and each consent's date and means
NOT_TYPED = {
    "id",
    "created_at",
    "updated_at",
    "archived_at",
    "group_name",
    "tax_rate_name",
    *(f"{name}_{part}" for name in CONSENTS for part in ("at", "via")),
}


def test_every_typed_field_of_a_record_is_in_the_registry_once() -> None:
    typed = [name for name in CustomerRecord.__dataclass_fields__ if name not in NOT_TYPED]
    assert sorted(f.key for f in FIELDS) == sorted(set(typed) - {"custom"})
    assert len({f.key for f in FIELDS}) == len(FIELDS)
    assert len({f.header for f in FIELDS}) == len(FIELDS)
    assert sorted(EXPORT_ORDER) == sorted(f.key for f in FIELDS)


def test_lengths_are_the_columns_lengths() -> None:
    table = Customer.__table__  # type: ignore[attr-defined]
    for field in FIELDS:
        if field.key not in CUSTOMER_FIELDS or field.kind in ("group", "tax"):
            continue
        length = getattr(table.c[field.key].type, "length", None)
        if field.kind == "notes":
            assert length is None and field.max_length == 10_000  # a Text column
        elif field.kind in ("text", "email", "phone", "code"):
            assert field.max_length == length, field.key
        else:
            assert field.max_length is None, field.key


def test_searchable_fields_are_the_search_index_columns() -> None:
    indexed = set(ALL_COLUMNS) - {"phone_digits"}
    phones = {f.key for f in FIELDS if f.kind == "phone"}
    assert {f.key for f in FIELDS if f.searchable} == indexed | phones


def test_the_form_shows_the_registry() -> None:
    shown = [*CONTACT_FIELDS]
    for _section, in_section in fields.DETAIL_SECTIONS:
        shown.extend(in_section)
    shown.append(NOTES)
    assert shown == list(FIELDS)
    assert [f.shown_label for f in CONTACT_FIELDS][:2] == ["First name", "Last name"]
    assert FIELD_BY_KEY["consent_email"].shown_label == "By email"
    assert LABELS["consent_email"] == "Consent: email"  # standing alone, in a message


def test_the_importer_and_the_exporter_read_the_registry() -> None:
    assert [spec.name for spec in columns.FIELDS] == [FIELD_BY_KEY[k].header for k in EXPORT_ORDER]
    for spec in columns.FIELDS:
        field = fields.FIELD_BY_HEADER[spec.name]
        assert spec.max_length == field.max_length and spec.label == field.label
    assert columns.FIELD_BY_NAME["group"].kind == columns.GROUP
    assert columns.FIELD_BY_NAME["notes"].kind == columns.TEXT
    assert columns.multiline_field("notes") and columns.multiline_field(custom_key("Colour"))
    assert not columns.multiline_field("city")
    headers = columns.export_headers(["Colour"])
    assert headers.index(custom_key("Colour")) == headers.index("email2") + 1


def test_a_custom_field_has_one_key_everywhere(engine: Engine) -> None:
    assert custom_key("Shoe size") == "custom:Shoe size" == columns.CUSTOM_PREFIX + "Shoe size"
    assert custom_name("custom:Shoe size") == "Shoe size" and custom_name("city") is None
    with session_scope(engine) as s:
        define_field(s, "Shoe size", "number")
        errors = validate_customer(s, {"first_name": "Ann", "custom": {"Shoe size": "big"}})
    assert list(errors) == ["custom:Shoe size"]
    with session_scope(engine) as s:
        assert not validate_customer(s, {"first_name": "Ann", "discount_percent": Decimal(5)})


def test_reading_the_registry_loads_no_database_library() -> None:
    """The export's child process reads the registry (through the spreadsheet columns)
    and starts in a fifth of a second because it loads neither SQLAlchemy nor the models."""
    code = (
        "import sys\nimport tillterm.spreadsheet.export_writer\nimport tillterm.customers.fields\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()} | set(out.stdout.split())
    assert not loaded & {"sqlalchemy", "sqlmodel", "tillterm.store.models"}
