"""The customer database: profiles and codes, groups, tags, custom fields, search."""

from tillterm.customers.profiles import (
    CustomerRecord,
    CustomerSummary,
    count_customers,
    create_customer,
    find_by_code,
    get_customer,
    search_customers,
    update_customer,
)

__all__ = [
    "CustomerRecord",
    "CustomerSummary",
    "count_customers",
    "create_customer",
    "find_by_code",
    "get_customer",
    "search_customers",
    "update_customer",
]
