"""A till's sales: basket, payments, lifecycle, refunds, receipts, reports, registers.

Lines, customer, payments and the life of a sale on a named register.

Every use case here is one small transaction (the caller wraps it in
``session_scope``), so each scan, quantity change or payment is on disk the moment the
screen shows it: a crash, a power cut or a dropped SSH session loses nothing, and the
next start finds the register's open sale with :func:`find_open_sale`.

States: ``open`` (being rung up), ``parked`` (put aside, resumable on any register),
``completed`` and ``voided`` (final). A register has at most one open sale: a partial
unique index (``uq_sale_open_register``) says so, and two scans that both find no sale
open both insert with ``ON CONFLICT DO NOTHING`` and then read the one that won
(:func:`_register_sale`), so they land on the same sale. A refund is a sale of its own
(``kind="refund"``) pointing at the original, so completed sales are never rewritten;
a return of some lines is one too, each of its lines pointing at the line it returns
(:mod:`~tillterm.sales.returns`, which also records returns without a receipt).

Receipt numbers (``R0000001``...) are the store's, one sequence for every register:
taken from ``receipt_counter`` in the completing transaction, after every check, so a
number belongs to a committed sale or to none (gap-free, never reused). Completion also
keeps what the sale was sold under (customer name and code, group name) and the receipt
text as printed; the file is written after the commit and ``receipt_filed_at`` records
it, so a crash in between is repaired at the next start (:func:`receipts_to_file`).

Balances are sums of ledger rows (:class:`~tillterm.store.models.LoyaltyEntry`,
:class:`~tillterm.store.models.AccountEntry`), written only when a sale completes. The checks
that guard them (balance limit, points available, refund once) run after taking a write
lock — the customer's row on PostgreSQL, the database's write lock on SQLite — so two
registers selling to one customer at once queue instead of both spending the same
points or the same credit.

Screens get frozen dataclasses (:class:`SaleView`...), never ORM rows, and reach
these use cases through :class:`tillterm.services.till.Till`. Everything public is
named here; the modules behind it (``basket``, ``payments``, ``lifecycle``,
``refunds``, ``listings``, ``reading``, ``statements``) are the package's own.
"""

from __future__ import annotations

from tillterm.sales.basket import (
    add_misc_item,
    add_product,
    attach_customer,
    change_quantity,
    detach_customer,
    enter_text,
    find_customer_row,
    override_price,
    remove_line,
    scan_code,
    set_line_discount,
    set_quantity,
    set_sale_discount,
    split_quantity,
)
from tillterm.sales.lifecycle import (
    complete_sale,
    describe_void,
    park_sale,
    receipt_number,
    resume_sale,
    sale_changed_by,
    stamp_change,
    void_sale,
)
from tillterm.sales.listings import (
    LastSale,
    ReceiptToFile,
    find_sale_by_receipt,
    last_completed,
    list_completed,
    list_parked,
    receipts_to_file,
    recent_sales,
)
from tillterm.sales.payments import (
    add_payment,
    remove_payment,
)
from tillterm.sales.reading import (
    account_balance_cents,
    code_key,
    customer_label,
    ensure_open_sale,
    find_open_sale,
    get_sale,
    loyalty_balance,
    year_to_date_cents,
)
from tillterm.sales.receipts import (
    database_folder,
    file_receipt,
    mark_receipt_filed,
    receipt_as_shown,
    receipts_folder,
    render_receipt,
    write_receipt,
)
from tillterm.sales.refunds import (
    describe_refund,
    refund_sale,
)
from tillterm.sales.registers import (
    MAX_NAME,
    RegisterClaim,
    claim_register,
    clean_name,
    lock_file,
)
from tillterm.sales.reports import (
    NO_CUSTOMER,
    NO_GROUP,
    GroupReport,
    GroupSales,
    report_csv,
    sales_by_group,
)
from tillterm.sales.returns import (
    NO_RECEIPT_METHODS,
    RETURN_ORDER,
    MethodRoom,
    MoneyBack,
    NoReceiptItem,
    ReturnableLine,
    ReturnableSale,
    ReturnPart,
    ReturnPlan,
    describe_plan,
    plan_return,
    return_lines,
    return_without_receipt,
    returnable_sale,
)
from tillterm.sales.views import (
    ACCOUNT,
    CARD,
    CASH,
    COMPLETED,
    LOYALTY,
    MAX_QUANTITY,
    METHOD_LABELS,
    METHODS,
    OPEN,
    PARKED,
    REFUND,
    SALE,
    VOIDED,
    CompletedSale,
    LineView,
    ParkedSale,
    PaymentMethod,
    PaymentRefused,
    PaymentView,
    SaleCustomer,
    SaleError,
    SaleKind,
    SaleState,
    SaleView,
    ScanOutcome,
)

__all__ = [
    "ACCOUNT",
    "CARD",
    "CASH",
    "COMPLETED",
    "LOYALTY",
    "MAX_NAME",
    "MAX_QUANTITY",
    "METHODS",
    "METHOD_LABELS",
    "NO_CUSTOMER",
    "NO_GROUP",
    "NO_RECEIPT_METHODS",
    "OPEN",
    "PARKED",
    "REFUND",
    "RETURN_ORDER",
    "SALE",
    "VOIDED",
    "CompletedSale",
    "GroupReport",
    "GroupSales",
    "LastSale",
    "LineView",
    "MethodRoom",
    "MoneyBack",
    "NoReceiptItem",
    "ParkedSale",
    "PaymentMethod",
    "PaymentRefused",
    "PaymentView",
    "ReceiptToFile",
    "RegisterClaim",
    "ReturnPart",
    "ReturnPlan",
    "ReturnableLine",
    "ReturnableSale",
    "SaleCustomer",
    "SaleError",
    "SaleKind",
    "SaleState",
    "SaleView",
    "ScanOutcome",
    "account_balance_cents",
    "add_misc_item",
    "add_payment",
    "add_product",
    "attach_customer",
    "change_quantity",
    "claim_register",
    "clean_name",
    "code_key",
    "complete_sale",
    "customer_label",
    "database_folder",
    "describe_plan",
    "describe_refund",
    "describe_void",
    "detach_customer",
    "ensure_open_sale",
    "enter_text",
    "file_receipt",
    "find_customer_row",
    "find_open_sale",
    "find_sale_by_receipt",
    "get_sale",
    "last_completed",
    "list_completed",
    "list_parked",
    "lock_file",
    "loyalty_balance",
    "mark_receipt_filed",
    "override_price",
    "park_sale",
    "plan_return",
    "receipt_as_shown",
    "receipt_number",
    "receipts_folder",
    "receipts_to_file",
    "recent_sales",
    "refund_sale",
    "remove_line",
    "remove_payment",
    "render_receipt",
    "report_csv",
    "resume_sale",
    "return_lines",
    "return_without_receipt",
    "returnable_sale",
    "sale_changed_by",
    "sales_by_group",
    "scan_code",
    "set_line_discount",
    "set_quantity",
    "set_sale_discount",
    "split_quantity",
    "stamp_change",
    "void_sale",
    "write_receipt",
    "year_to_date_cents",
]
