"""A till's sales: basket, payments, lifecycle, refunds, receipts, reports, registers."""
