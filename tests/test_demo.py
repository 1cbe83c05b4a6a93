"""The demo store looks like a real one."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tillterm.db import session_scope
from tillterm.demo import _read_names, ean13, generate_customers, seed_demo
from tillterm.models import Customer, CustomerGroup, CustomerTag, Product, TaxRate
from tillterm.settings import load_settings


def test_name_lists_are_big_enough_and_accented() -> None:
    first, last = _read_names("first_names.txt"), _read_names("last_names.txt")
    assert len(set(first)) >= 300
    assert len(set(last)) >= 1000
    assert any("é" in name for name in first + last)


def test_ean13_check_digit() -> None:
    assert ean13("400638133393") == "4006381333931"


def test_common_prefixes_match_many_customers() -> None:
    rows = list(generate_customers(5000))
    by_prefix = Counter(str(r["last_name"])[:2].lower() for r in rows)
    assert by_prefix.most_common(1)[0][1] > 100
    assert len({r["customer_code"] for r in rows}) == 5000
    assert all(r["phone_digits"] for r in rows)


def test_seed_demo_fills_every_part_of_the_store(any_engine: Engine) -> None:
    summary = seed_demo(any_engine, customers=400, products=60)
    assert summary.customers == 400
    with session_scope(any_engine) as s:
        count = s.exec(select(func.count()).select_from(Customer)).one()[0]
        assert count == 400
        assert s.exec(select(func.count()).select_from(Product)).one()[0] == 60
        assert s.exec(select(func.count()).select_from(CustomerGroup)).one()[0] == 5
        assert s.exec(select(func.count()).select_from(TaxRate)).one()[0] >= 3
        assert s.exec(select(func.count()).select_from(CustomerTag)).one()[0] > 0
        grouped = s.exec(select(func.count()).where(Customer.group_id.is_not(None))).one()[0]
        assert 0 < grouped < 400
        settings = load_settings(s)
        assert settings.default_tax is not None
        assert settings.name
    assert seed_demo(any_engine, customers=10).skipped
