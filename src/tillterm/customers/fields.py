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

from tillterm.i18n import pgettext

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


#: each section's heading, as the form shows it (the English name is the section's key)
_SECTIONS = {
    "Contact": pgettext("customer section", "Contact"),
    "Card": pgettext("customer section", "Card"),
    "Address": pgettext("customer section", "Address"),
    "Identity": pgettext("customer section", "Identity"),
    "Other phones, second email": pgettext("customer section", "Other phones, second email"),
    "Sales": pgettext("customer section", "Sales"),
    "Communication consents": pgettext("customer section", "Communication consents"),
    "Tags": pgettext("customer section", "Tags"),
    "Notes": pgettext("customer section", "Notes"),
}


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
        "" if tab == "contact" else _SECTIONS[section],
        max_length,
        searchable,
        header or key,
        form_label,
        placeholder,
    )


#: every field, in the form's order: the Contact tab, then each Details section
FIELDS: tuple[CustomerField, ...] = (
    _f(
        "first_name",
        pgettext("customer field", "First name"),
        "text",
        "Contact",
        100,
        searchable=True,
    ),
    _f(
        "last_name",
        pgettext("customer field", "Last name"),
        "text",
        "Contact",
        100,
        searchable=True,
    ),
    _f(
        "email",
        pgettext("customer field", "Email"),
        "email",
        "Contact",
        254,
        searchable=True,
        placeholder=pgettext("customer field", "name@example.com"),
    ),
    _f("phone", pgettext("customer field", "Phone"), "phone", "Contact", 40, searchable=True),
    _f(
        "group_id",
        pgettext("customer field", "Customer group"),
        "group",
        "Contact",
        80,
        header="group",
        form_label=pgettext("customer field", "Group"),
    ),
    _f("marketing_opt_in", pgettext("customer field", "Promotional email"), "bool", "Contact"),
    _f(
        "customer_code",
        pgettext("customer field", "Customer code"),
        "code",
        "Card",
        64,
        searchable=True,
        placeholder=pgettext("customer field", "blank = new code; scan a card"),
    ),
    _f(
        "address1",
        pgettext("customer field", "Address line 1"),
        "text",
        "Address",
        200,
        searchable=True,
    ),
    _f(
        "address2",
        pgettext("customer field", "Address line 2"),
        "text",
        "Address",
        200,
        searchable=True,
    ),
    _f("city", pgettext("customer field", "City"), "text", "Address", 100, searchable=True),
    _f(
        "state",
        pgettext("customer field", "State/province"),
        "text",
        "Address",
        100,
        form_label=pgettext("customer field", "State / region"),
    ),
    _f(
        "postal_code",
        pgettext("customer field", "Postal code"),
        "text",
        "Address",
        20,
        searchable=True,
    ),
    _f("country", pgettext("customer field", "Country"), "text", "Address", 100),
    _f(
        "birth_date",
        pgettext("customer field", "Date of birth"),
        "date",
        "Identity",
        placeholder=pgettext("customer field", "DD/MM/YYYY"),
    ),
    _f(
        "title",
        pgettext("customer field", "Title"),
        "text",
        "Identity",
        40,
        searchable=True,
        placeholder="Mme, M., Dr",
    ),
    _f("company", pgettext("customer field", "Company"), "text", "Identity", 200, searchable=True),
    _f(
        "company_reg_no",
        pgettext("customer field", "Company registration number"),
        "text",
        "Identity",
        60,
        form_label=pgettext("customer field", "Company reg. no"),
    ),
    _f("vat_number", pgettext("customer field", "VAT number"), "text", "Identity", 60),
    _f(
        "website",
        pgettext("customer field", "Website"),
        "text",
        "Identity",
        200,
        placeholder="https://",
    ),
    _f(
        "phone_home",
        pgettext("customer field", "Home phone"),
        "phone",
        "Other phones, second email",
        40,
        searchable=True,
    ),
    _f(
        "phone_work",
        pgettext("customer field", "Work phone"),
        "phone",
        "Other phones, second email",
        40,
        searchable=True,
    ),
    _f(
        "phone_mobile",
        pgettext("customer field", "Mobile phone"),
        "phone",
        "Other phones, second email",
        40,
        searchable=True,
    ),
    _f(
        "phone_pager",
        pgettext("customer field", "Pager"),
        "phone",
        "Other phones, second email",
        40,
        searchable=True,
    ),
    _f(
        "phone_fax",
        pgettext("customer field", "Fax"),
        "phone",
        "Other phones, second email",
        40,
        searchable=True,
    ),
    _f(
        "email2",
        pgettext("customer field", "Email 2"),
        "email",
        "Other phones, second email",
        254,
        searchable=True,
        form_label=pgettext("customer field", "Second email"),
    ),
    _f(
        "discount_percent",
        pgettext("customer field", "Discount"),
        "percent",
        "Sales",
        form_label=pgettext("customer field", "Discount %"),
        placeholder=pgettext("customer field", "empty = none, e.g. 10"),
    ),
    _f(
        "tax_rate_id",
        pgettext("customer field", "Sales tax"),
        "tax",
        "Sales",
        80,
        header="tax_rate",
    ),
    _f("tax_exempt", pgettext("customer field", "Tax exempt"), "bool", "Sales"),
    _f(
        "on_account_allowed",
        pgettext("customer field", "On-account sales"),
        "bool",
        "Sales",
        form_label=pgettext("customer field", "On account"),
    ),
    _f(
        "balance_limit",
        pgettext("customer field", "Balance limit"),
        "money",
        "Sales",
        placeholder=pgettext("customer field", "empty = no limit, e.g. 500"),
    ),
    _f("loyalty_enabled", pgettext("customer field", "Loyalty"), "bool", "Sales"),
    _f(
        "consent_email",
        pgettext("customer field", "Consent: email"),
        "bool",
        "Communication consents",
        form_label=pgettext("customer field", "By email"),
    ),
    _f(
        "consent_mail",
        pgettext("customer field", "Consent: postal mail"),
        "bool",
        "Communication consents",
        form_label=pgettext("customer field", "By post"),
    ),
    _f(
        "consent_phone",
        pgettext("customer field", "Consent: phone calls"),
        "bool",
        "Communication consents",
        form_label=pgettext("customer field", "By phone"),
    ),
    _f(
        "tags",
        pgettext("customer field", "Tags"),
        "tags",
        "Tags",
        placeholder=pgettext("customer field", "comma-separated: bio, b2b"),
    ),
    _f("notes", pgettext("customer field", "Notes"), "notes", "Notes", 10_000),
)
FIELD_BY_KEY: dict[str, CustomerField] = {f.key: f for f in FIELDS}
FIELD_BY_HEADER: dict[str, CustomerField] = {f.header: f for f in FIELDS}

#: the Details tab's sections in order, each with its fields (notes come after the
#: custom fields, so they are not a section of their own here)
DETAIL_SECTIONS: tuple[tuple[str, tuple[CustomerField, ...]], ...] = tuple(
    (section, tuple(f for f in FIELDS if f.section == section))
    for section in dict.fromkeys(
        f.section for f in FIELDS if f.tab == "details" and f.kind != "notes"
    )
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
