"""Rules with no I/O: money, dates, errors, text folding and typed-text safety, pricing.

Everything above builds on these; nothing here imports SQLAlchemy, polars or Textual,
so a rule can be tested (and read) on its own.
"""
