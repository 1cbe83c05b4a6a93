"""The systems a customer file comes from, recognised by their headers.

A store switching to tillterm brings the export of its old till, web shop or contacts
app. Each of them writes its own header words ("Default Address Zip", "physical_postcode",
"Address 1 - Postal Code", "Home Postal Code") and its own conventions: Shopify puts a
``'`` before ids and phones so a spreadsheet keeps them as text, Lightspeed X-Series
asks "do not email" where the customer record asks "may we", Google Contacts joins its
labels with `` ::: ``, Outlook (English) writes dates month first. The generic aliases
(``tillterm.spreadsheet.columns``) cannot know that, so each known export is described
here once: the headers that identify it, what its own columns mean, and its conventions.

Header words are compared folded (:func:`normalise_header`), so "E-mail 1 - Value" and
"email1value" are the same header. A source's ``columns`` take precedence over the
generic aliases; a column mapped to :data:`NOT_IMPORTED` is one the source repeats
elsewhere (Google's "Address 1 - Formatted" joins the parts already imported), and the
importer names it as ignored, never silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tillterm.i18n import N_

DateOrder = Literal["dmy", "mdy", "ymd"]

#: a source column deliberately left out (it repeats other columns); reported as unknown
NOT_IMPORTED = ""


def normalise_header(header: str) -> str:
    """Fold a header to compare it: no accents, no case, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKD", header).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class Source:
    """One known export format and its conventions.

    ``signatures``: each is a set of headers that, all present, identify the source (the
    most specific match wins). ``columns``: (header as the system writes it, field) pairs
    that override the generic aliases. ``inverted``: headers whose "yes" means "no
    consent" ("do_not_email"). ``ids``: the headers of the system's own customer id or
    account number, which becomes the customer code when unique in the file.
    ``fallback_address``: (primary block, secondary block) of headers: when a row's
    primary address is blank its secondary address lands instead (Outlook's home and
    business addresses), never a mix of both.
    """

    key: str
    name: str
    signatures: tuple[tuple[str, ...], ...]
    columns: tuple[tuple[str, str], ...] = ()
    inverted: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    #: how the source writes dates, for the date reader (``None``: not known)
    date_order: DateOrder | None = None
    #: a leading ``'`` (kept-as-text marker) is dropped from ids, phones and postal codes
    quoted_numbers: bool = False
    #: what separates tags (labels, categories) in one cell
    tag_separator: str = ","
    #: labels that are the system's own, not the store's tags ("* myContacts")
    system_labels: tuple[str, ...] = ()
    #: what separates several values of one email or phone cell (Google's " ::: ")
    value_separator: str | None = None
    fallback_address: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    #: (phone value header, its label headers): each row's phones go by their label
    #: ("Mobile" → mobile phone), not by their position in the file
    labelled_phones: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: headers of the one name a contact has, person or company (Odoo's "Name"): split
    #: where the file is read (:mod:`tillterm.spreadsheet.whole_names`)
    whole_name: tuple[str, ...] = ()
    #: headers of the column saying a contact is a company ("Is a Company")
    company_flags: tuple[str, ...] = ()

    def folded_columns(self) -> dict[str, str]:
        return {normalise_header(h): f for h, f in self.columns}

    def folded(self, headers: Iterable[str]) -> frozenset[str]:
        return frozenset(normalise_header(h) for h in headers)

    def score(self, present: frozenset[str]) -> int:
        """How many headers of its best signature the file has (0: not this source)."""
        best = 0
        for signature in self.signatures:
            keys = self.folded(signature)
            if keys <= present:
                best = max(best, len(keys))
        return best


_SHOPIFY_ADDRESS = (
    ("Default Address Company", "company"),
    ("Default Address Address1", "address1"),
    ("Default Address Address2", "address2"),
    ("Default Address City", "city"),
    ("Default Address Province Code", "state"),
    ("Default Address Country Code", "country"),
    ("Default Address Zip", "postal_code"),
    # the address's own phone (for deliveries): the customer's "Phone" keeps ``phone``
    ("Default Address Phone", "phone_home"),
)

SOURCES: tuple[Source, ...] = (
    Source(
        "shopify",
        N_("Shopify customer export"),
        (("Customer ID", "Accepts Email Marketing"), ("Default Address Address1",)),
        (
            ("Customer ID", "customer_code"),
            ("Accepts Email Marketing", "marketing_opt_in"),
            ("Accepts SMS Marketing", "consent_phone"),
            *_SHOPIFY_ADDRESS,
            ("Note", "notes"),
        ),
        ids=("Customer ID",),
        quoted_numbers=True,
    ),
    Source(
        "shopify-legacy",
        N_("Shopify customer export (before 2023)"),
        (("Accepts Marketing", "Province Code", "Total Spent"),),
        (
            ("Address1", "address1"),
            ("Address2", "address2"),
            ("Province", NOT_IMPORTED),
            ("Province Code", "state"),
            ("Country", NOT_IMPORTED),
            ("Country Code", "country"),
            ("Accepts Marketing", "marketing_opt_in"),
            ("Accepts Email Marketing", "marketing_opt_in"),
            ("Accepts SMS Marketing", "consent_phone"),
            ("Note", "notes"),
        ),
        quoted_numbers=True,
    ),
    Source(
        "square",
        N_("Square customer export"),
        (("Square Customer ID",), ("Reference ID", "Email Subscription Status")),
        (
            ("Reference ID", "customer_code"),
            ("Email Address", "email"),
            ("Phone Number", "phone"),
            ("Company Name", "company"),
            ("Street Address 1", "address1"),
            ("Street Address 2", "address2"),
            ("Memo", "notes"),
            ("Email Subscription Status", "marketing_opt_in"),
            ("Email Unsubscribed", "marketing_opt_in"),
            ("Groups", "tags"),
        ),
        inverted=("Email Unsubscribed",),
        ids=("Reference ID",),
    ),
    Source(
        "lightspeed-x",
        N_("Lightspeed Retail (X-Series) customer export"),
        (("customer_code", "do_not_email"), ("customer_code", "physical_address_1")),
        (
            ("customer_code", "customer_code"),
            ("company_name", "company"),
            ("mobile", "phone_mobile"),
            ("physical_address_1", "address1"),
            ("physical_address_2", "address2"),
            # a locality inside the city: not a field of its own here, so named as ignored
            ("physical_suburb", NOT_IMPORTED),
            ("physical_city", "city"),
            ("physical_postcode", "postal_code"),
            ("physical_state", "state"),
            ("physical_country_id", "country"),
            ("customer_group_name", "group"),
            ("date_of_birth", "birth_date"),
            ("note", "notes"),
            ("enable_loyalty", "loyalty_enabled"),
            ("do_not_email", "marketing_opt_in"),
            ("on_account_limit", "balance_limit"),
            ("year_to_date", "year_to_date_spend"),
            ("balance", "account_balance"),
        ),
        inverted=("do_not_email",),
        ids=("customer_code",),
        date_order="ymd",
    ),
    Source(
        "lightspeed-r",
        N_("Lightspeed Retail (R-Series) customer export"),
        (("Customer ID", "Customer Type"), ("Customer Type", "Tax Category")),
        (
            ("Customer ID", "customer_code"),
            ("Customer Type", "group"),
            ("Tax Category", "tax_rate"),
            ("Address 1", "address1"),
            ("Address 2", "address2"),
            ("Home", "phone_home"),
            ("Work", "phone_work"),
            ("Mobile", "phone_mobile"),
            ("Pager", "phone_pager"),
            ("Fax", "phone_fax"),
            ("Email 2", "email2"),
            ("No Email", "consent_email"),
            ("No Mail", "consent_mail"),
            ("No Phone", "consent_phone"),
        ),
        inverted=("No Email", "No Mail", "No Phone"),
        ids=("Customer ID",),
    ),
    Source(
        "ospos",
        N_("Open Source Point of Sale customers"),
        (("Account Number", "Taxable"), ("Account Number", "Consent", "Gender")),
        (
            ("Account Number", "customer_code"),
            ("Phone Number", "phone"),
            ("Comments", "notes"),
            ("Taxable", "tax_exempt"),
            # OSPOS asks consent to keep the customer's data (GDPR), not to market to
            # them: it is no marketing consent, and tillterm keeps the data by design
            ("Consent", NOT_IMPORTED),
        ),
        inverted=("Taxable",),
        ids=("Account Number",),
    ),
    Source(
        "odoo",
        N_("Odoo contacts"),
        (
            ("Street", "Street2", "Zip"),
            ("street", "street2", "zip", "country_id"),
            ("Related Company", "Street2"),
            ("Related Company", "Is a Company"),
            ("Related Company", "Company Type"),
            ("name", "is_company", "company_name"),
        ),
        (
            # Odoo has one name per contact, person or company: the reader splits it
            # (whole_names) into these columns; unsplit, it lands whole as the last name
            ("Name", "last_name"),
            ("name", "last_name"),
            ("Name (first name)", "first_name"),
            ("Name (last name)", "last_name"),
            ("Name (company)", "company"),
            # read by the split, which sends a company's name to the company field
            ("Is a Company", NOT_IMPORTED),
            ("is_company", NOT_IMPORTED),
            ("Company Type", NOT_IMPORTED),
            ("company_type", NOT_IMPORTED),
            ("company_name", "company"),
            ("Display Name", NOT_IMPORTED),
            ("Street", "address1"),
            ("Street2", "address2"),
            ("State", "state"),
            ("state_id", "state"),
            ("Zip", "postal_code"),
            ("country_id", "country"),
            ("Mobile", "phone_mobile"),
            ("Related Company", "company"),
            ("Company Name", "company"),
            ("parent_id", "company"),
            ("Tax ID", "vat_number"),
            ("vat", "vat_number"),
            ("Reference", "customer_code"),
            ("Internal Reference", "customer_code"),
            ("ref", "customer_code"),
            ("Tags", "tags"),
            ("category_id", "tags"),
            ("comment", "notes"),
            ("Blacklist", "marketing_opt_in"),
            ("is_blacklisted", "marketing_opt_in"),
        ),
        inverted=("Blacklist", "is_blacklisted"),
        ids=("Reference", "Internal Reference", "ref"),
        whole_name=("Name", "name"),
        company_flags=("Is a Company", "is_company", "Company Type", "company_type"),
    ),
    Source(
        "google",
        N_("Google Contacts"),
        (("E-mail 1 - Value",), ("Phone 1 - Value",), ("Address 1 - Street",)),
        (
            # the old layout's "Name" repeats Given + Family Name
            ("Name", NOT_IMPORTED),
            ("Given Name", "first_name"),
            ("Family Name", "last_name"),
            ("Name Prefix", "title"),
            ("Organization 1 - Name", "company"),
            ("Organization Name", "company"),
            ("E-mail 1 - Value", "email"),
            ("E-mail 2 - Value", "email2"),
            ("Phone 1 - Value", "phone"),
            ("Phone 2 - Value", "phone_mobile"),
            ("Phone 3 - Value", "phone_home"),
            ("Phone 4 - Value", "phone_work"),
            ("Address 1 - Formatted", NOT_IMPORTED),
            ("Address 1 - Street", "address1"),
            ("Address 1 - Extended Address", "address2"),
            ("Address 1 - City", "city"),
            ("Address 1 - Region", "state"),
            ("Address 1 - Postal Code", "postal_code"),
            ("Address 1 - Country", "country"),
            ("Website 1 - Value", "website"),
            ("Group Membership", "tags"),
            ("Labels", "tags"),
        ),
        date_order="ymd",
        tag_separator=" ::: ",
        # every contact is in it: the newer layout spells it "* myContacts"
        system_labels=("* myContacts", "* My Contacts"),
        value_separator=" ::: ",
        labelled_phones=tuple(
            (f"Phone {n} - Value", (f"Phone {n} - Label", f"Phone {n} - Type")) for n in range(1, 5)
        ),
    ),
    Source(
        "outlook",
        N_("Outlook contacts"),
        (
            ("E-mail Address", "Home Street"),
            ("E-mail Address", "Business Street"),
            ("E-mail Address", "E-mail 2 Address"),
        ),
        (
            ("E-mail Address", "email"),
            ("E-mail 2 Address", "email2"),
            ("Primary Phone", "phone"),
            ("Home Phone", "phone_home"),
            ("Business Phone", "phone_work"),
            ("Mobile Phone", "phone_mobile"),
            ("Pager", "phone_pager"),
            ("Business Fax", "phone_fax"),
            ("Home Street", "address1"),
            ("Home Street 2", "address2"),
            ("Home City", "city"),
            ("Home State", "state"),
            ("Home Postal Code", "postal_code"),
            ("Home Country/Region", "country"),
            ("Home Country", "country"),
            ("Web Page", "website"),
            ("Categories", "tags"),
            # Outlook's "Account" is a free text, not a balance
            ("Account", NOT_IMPORTED),
        ),
        date_order="mdy",
        tag_separator=";",
        fallback_address=(
            (
                "Home Street",
                "Home Street 2",
                "Home City",
                "Home State",
                "Home Postal Code",
                "Home Country/Region",
            ),
            (
                "Business Street",
                "Business Street 2",
                "Business City",
                "Business State",
                "Business Postal Code",
                "Business Country/Region",
            ),
        ),
    ),
    Source(
        "outlook-fr",
        N_("Outlook contacts (French)"),
        (("Adresse de messagerie", "Prénom"),),
        (
            ("Adresse de messagerie", "email"),
            ("Adresse de messagerie 2", "email2"),
            ("Nom", "last_name"),
            ("Société", "company"),
            ("Rue (domicile)", "address1"),
            ("Rue (domicile) 2", "address2"),
            ("Ville (domicile)", "city"),
            ("Dép/Région (domicile)", "state"),
            ("Code postal (domicile)", "postal_code"),
            ("Pays/Région (domicile)", "country"),
            ("Téléphone (domicile)", "phone_home"),
            ("Téléphone (bureau)", "phone_work"),
            ("Tél. mobile", "phone_mobile"),
            ("Téléphone principal", "phone"),
            ("Anniversaire", "birth_date"),
            ("Catégories", "tags"),
        ),
        date_order="dmy",
        tag_separator=";",
    ),
    Source(
        "outlook-de",
        N_("Outlook contacts (German)"),
        (
            ("E-Mail-Adresse", "Straße privat"),
            ("E-Mail-Adresse", "Ort privat"),
            ("E-Mail-Adresse", "Telefon privat"),
        ),
        (
            ("E-Mail-Adresse", "email"),
            ("E-Mail 2: Adresse", "email2"),
            ("Straße privat", "address1"),
            ("Straße privat 2", "address2"),
            ("Ort privat", "city"),
            ("Region privat", "state"),
            ("Postleitzahl privat", "postal_code"),
            ("Land/Region privat", "country"),
            ("Telefon privat", "phone_home"),
            ("Telefon geschäftlich", "phone_work"),
            ("Mobiltelefon", "phone_mobile"),
            ("Haupttelefon", "phone"),
            ("Geburtstag", "birth_date"),
            ("Kategorien", "tags"),
        ),
        date_order="dmy",
        tag_separator=";",
    ),
)
SOURCE_BY_KEY = {s.key: s for s in SOURCES}

#: a phone's label (folded as :func:`phone_label_expr` folds it) → the field it goes to
PHONE_LABELS: dict[str, str] = {
    "main": "phone",
    "mobile": "phone_mobile",
    "cell": "phone_mobile",
    "home": "phone_home",
    "work": "phone_work",
    "pager": "phone_pager",
    "fax": "phone_fax",
    "home fax": "phone_fax",
    "work fax": "phone_fax",
}


def detect_source(headers: Iterable[str]) -> Source | None:
    """The known export these headers come from, or ``None`` (a file of its own).

    The source whose matching signature is the largest wins, so a file is never taken
    for a system on the strength of one header when another explains more of it.
    """
    present = frozenset(normalise_header(h or "") for h in headers)
    best: tuple[int, Source] | None = None
    for source in SOURCES:
        score = source.score(present)
        if score and (best is None or score > best[0]):
            best = (score, source)
    return best[1] if best else None
