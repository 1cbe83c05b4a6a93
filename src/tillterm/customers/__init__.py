"""The customer database: profiles and codes, groups, tags, custom fields, search.

Its public API, by module:

- ``records``: the read models handed out (``CustomerRecord``, ``CustomerSummary``,
  ``CustomerActivity``, ``Duplicate``);
- ``fields``: the field registry the form, the importer and the exporter read;
- ``profiles``: create, update, archive, restore, delete (and, re-exported there,
  everything below, where callers have always found it);
- ``validation``: cleaning and checking typed values; ``codes``: card codes;
- ``reading``: summaries, a whole profile, ``search_customers``/``count_customers``;
- ``search``: what a typed text means and the tiered word-index lookup;
- ``duplicates``, ``activity``; ``groups``, ``tags``, ``custom_fields``.

Screens and commands use it through ``tillterm.services.customer_care``, which owns the
transactions; the import uses it directly, in its own transaction.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tillterm.customers.profiles import (
        archive_customer,
        count_customers,
        create_customer,
        customer_activity,
        delete_customer,
        find_by_code,
        find_duplicates,
        get_customer,
        restore_customer,
        search_customers,
        update_customer,
        validate_customer,
    )
    from tillterm.customers.records import (
        CustomerActivity,
        CustomerRecord,
        CustomerSummary,
        Duplicate,
    )
    from tillterm.customers.search import SearchFilters

#: where each public name lives; read on first use, so that importing the field
#: registry alone (the export's child process) never loads SQLAlchemy and the models
_HOMES = {
    **dict.fromkeys(
        (
            "archive_customer",
            "count_customers",
            "create_customer",
            "customer_activity",
            "delete_customer",
            "find_by_code",
            "find_duplicates",
            "get_customer",
            "restore_customer",
            "search_customers",
            "update_customer",
            "validate_customer",
        ),
        "profiles",
    ),
    **dict.fromkeys(
        ("CustomerActivity", "CustomerRecord", "CustomerSummary", "Duplicate"), "records"
    ),
    "SearchFilters": "search",
}

__all__ = [
    "CustomerActivity",
    "CustomerRecord",
    "CustomerSummary",
    "Duplicate",
    "SearchFilters",
    "archive_customer",
    "count_customers",
    "create_customer",
    "customer_activity",
    "delete_customer",
    "find_by_code",
    "find_duplicates",
    "get_customer",
    "restore_customer",
    "search_customers",
    "update_customer",
    "validate_customer",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
