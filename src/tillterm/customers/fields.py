"""Every customer field, once: what it is called, what it holds, where it shows.

The form, the validation, the importer's column matching and the exporter all read
this registry; none of them keeps a list of its own. A field's ``key`` is the one name
it has everywhere: the :class:`~tillterm.customers.records.CustomerRecord` attribute,
the key a form or the CLI gives to ``create_customer``, the key a problem is reported
under. Custom fields are keyed ``custom:<Name>`` everywhere too (:func:`custom_key`).

Where a field shows:

- ``tab`` and ``section``: the form's Contact tab, or a section of its Details tab;
- ``label``: its name standing alone (problems, import reports); ``form_label``: the
  shorter name it has under its section heading ("By email" under "Communication
  consents"), the label itself when not given;
- ``header``: its column in the export file, which is also the import template
  (``group`` and ``tax_rate`` are written by name, not by id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: what a cashier or a spreadsheet may write for yes and no (English and French): the
#: customer's own yes/no fields and the store's yes/no custom fields read them alike
TRUE_WORDS = frozenset({"1", "yes", "y", "true", "t", "on", "x", "oui", "o", "vrai"})
FALSE_WORDS = frozenset({"", "0", "no", "n", "false", "f", "off", "non", "faux"})

__all__ = [
    "CUSTOM_PREFIX",
    "DETAIL_SECTIONS",
    "EXPORT_ORDER",
    "FIELDS",
    "FIELD_BY_HEADER",
    "FIELD_BY_KEY",
    "CustomerField",
    "FieldKind",
    "custom_key",
    "custom_name",
    "keys_of",
]

#: how a field is typed, checked and shown: text is one line, notes several
FieldKind = Literal[
    "text",
    "notes",
    "code",
    "email",
    "phone",
    "bool",
    "date",
    "percent",
    "money",
    "group",
    "tax",
    "tags",
]
Tab = Literal["contact", "details"]

#: the key of a custom field, in the form, in problems and in spreadsheet headers
CUSTOM_PREFIX = "custom:"


def custom_key(name: str) -> str:
    """``custom:<Name>``: the one spelling of a custom field's key."""
    return f"{CUSTOM_PREFIX}{name}"


def custom_name(key: str) -> str | None:
    """The custom field a key names, or ``None`` for a profile field."""
    return key[len(CUSTOM_PREFIX) :] if key.startswith(CUSTOM_PREFIX) else None


@dataclass(frozen=True)
class CustomerField:
    """One field of a customer profile (see the module doc for what each part means)."""

    key: str
    label: str
    kind: FieldKind
    tab: Tab
    section: str
    #: at most this many characters (a text), ``None`` when not text
    max_length: int | None
    #: found by the customer search (SPEC §4: names, phones, emails, code, address...)
    searchable: bool
    header: str
    form_label: str = ""
    placeholder: str = ""

    @property
    def shown_label(self) -> str:
        """What the form writes before the field."""
        return self.form_label or self.label


def _f(
    key: str,
    label: str,
    kind: FieldKind,
    section: str,
    max_length: int | None = None,
    *,
    searchable: bool = False,
    header: str = "",
    form_label: str = "",
    placeholder: str = "",
) -> CustomerField:
    tab: Tab = "contact" if section == "Contact" else "details"
    return CustomerField(
        key,
        label,
        kind,
        tab,
        "" if tab == "contact" else section,
        max_length,
        searchable,
        header or key,
        form_label,
        placeholder,
    )


#: every field, in the form's order: the Contact tab, then each Details section
FIELDS: tuple[CustomerField, ...] = (
    _f("first_name", "First name", "text", "Contact", 100, searchable=True),
    _f("last_name", "Last name", "text", "Contact", 100, searchable=True),
    _f(
        "email",
        "Email",
        "email",
        "Contact",
        254,
        searchable=True,
        placeholder="name@example.com",
    ),
    _f("phone", "Phone", "phone", "Contact", 40, searchable=True),
    _f("group_id", "Customer group", "group", "Contact", 80, header="group", form_label="Group"),
    _f("marketing_opt_in", "Promotional email", "bool", "Contact"),
    _f(
        "customer_code",
        "Customer code",
        "code",
        "Card",
        64,
        searchable=True,
        placeholder="blank = new code; scan a card",
    ),
    _f("address1", "Address line 1", "text", "Address", 200, searchable=True),
    _f("address2", "Address line 2", "text", "Address", 200, searchable=True),
    _f("city", "City", "text", "Address", 100, searchable=True),
    _f("state", "State/province", "text", "Address", 100, form_label="State / region"),
    _f("postal_code", "Postal code", "text", "Address", 20, searchable=True),
    _f("country", "Country", "text", "Address", 100),
    _f("birth_date", "Date of birth", "date", "Identity", placeholder="DD/MM/YYYY"),
    _f("title", "Title", "text", "Identity", 40, searchable=True, placeholder="Mme, M., Dr"),
    _f("company", "Company", "text", "Identity", 200, searchable=True),
    _f(
        "company_reg_no",
        "Company registration number",
        "text",
        "Identity",
        60,
        form_label="Company reg. no",
    ),
    _f("vat_number", "VAT number", "text", "Identity", 60),
    _f("website", "Website", "text", "Identity", 200, placeholder="https://"),
    _f("phone_home", "Home phone", "phone", "Other phones, second email", 40, searchable=True),
    _f("phone_work", "Work phone", "phone", "Other phones, second email", 40, searchable=True),
    _f("phone_mobile", "Mobile phone", "phone", "Other phones, second email", 40, searchable=True),
    _f("phone_pager", "Pager", "phone", "Other phones, second email", 40, searchable=True),
    _f("phone_fax", "Fax", "phone", "Other phones, second email", 40, searchable=True),
    _f(
        "email2",
        "Email 2",
        "email",
        "Other phones, second email",
        254,
        searchable=True,
        form_label="Second email",
    ),
    _f(
        "discount_percent",
        "Discount",
        "percent",
        "Sales",
        form_label="Discount %",
        placeholder="empty = none, e.g. 10",
    ),
    _f("tax_rate_id", "Sales tax", "tax", "Sales", 80, header="tax_rate"),
    _f("tax_exempt", "Tax exempt", "bool", "Sales"),
    _f("on_account_allowed", "On-account sales", "bool", "Sales", form_label="On account"),
    _f(
        "balance_limit",
        "Balance limit",
        "money",
        "Sales",
        placeholder="empty = no limit, e.g. 500",
    ),
    _f("loyalty_enabled", "Loyalty", "bool", "Sales"),
    _f("consent_email", "Consent: email", "bool", "Communication consents", form_label="By email"),
    _f(
        "consent_mail",
        "Consent: postal mail",
        "bool",
        "Communication consents",
        form_label="By post",
    ),
    _f(
        "consent_phone",
        "Consent: phone calls",
        "bool",
        "Communication consents",
        form_label="By phone",
    ),
    _f("tags", "Tags", "tags", "Tags", placeholder="comma-separated: bio, b2b"),
    _f("notes", "Notes", "notes", "Notes", 10_000),
)
FIELD_BY_KEY: dict[str, CustomerField] = {f.key: f for f in FIELDS}
FIELD_BY_HEADER: dict[str, CustomerField] = {f.header: f for f in FIELDS}

#: the Details tab's sections in order, each with its fields (notes come after the
#: custom fields, so they are not a section of their own here)
DETAIL_SECTIONS: tuple[tuple[str, tuple[CustomerField, ...]], ...] = tuple(
    (section, tuple(f for f in FIELDS if f.section == section))
    for section in dict.fromkeys(f.section for f in FIELDS if f.tab == "details")
    if section != "Notes"
)

#: the export file's column order (SPEC §5), by field key; custom fields follow
#: ``email2`` and the activity columns (created, balances) are the exporter's
EXPORT_ORDER: tuple[str, ...] = (
    "group_id",
    "discount_percent",
    "tax_rate_id",
    "tax_exempt",
    "first_name",
    "last_name",
    "title",
    "company",
    "company_reg_no",
    "vat_number",
    "birth_date",
    "phone",
    "phone_home",
    "phone_work",
    "phone_mobile",
    "phone_pager",
    "phone_fax",
    "country",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "website",
    "email",
    "email2",
    "marketing_opt_in",
    "consent_email",
    "consent_mail",
    "consent_phone",
    "on_account_allowed",
    "balance_limit",
    "loyalty_enabled",
    "notes",
    "customer_code",
    "tags",
)


def keys_of(*kinds: FieldKind) -> tuple[str, ...]:
    """The keys of every field of these kinds, in form order."""
    return tuple(f.key for f in FIELDS if f.kind in kinds)
