"""Customer groups: unique names, discount and tax, deletion keeps the customers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine

from tillterm.core.errors import NotFound, ValidationFailed
from tillterm.customers.groups import (
    create_group,
    delete_group,
    find_group,
    get_group,
    list_groups,
    update_group,
)
from tillterm.customers.profiles import archive_customer, create_customer, get_customer
from tillterm.store.engine import session_scope
from tillterm.store.models import TaxRate


def test_create_list_and_count_members(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        tax = TaxRate(name="Tax exempt", name_key="tax exempt", rate=Decimal(0))
        s.add(tax)
        s.flush()
        vip = create_group(s, "  VIP ", "Best customers", Decimal("10"))
        trade = create_group(s, "Wholesale", discount_percent="15,5", tax_rate_id=tax.id)
        for n in range(3):
            create_customer(s, {"first_name": f"V{n}", "group_id": vip.id})
        gone = create_customer(s, {"first_name": "Old", "group": "vip"})
        archive_customer(s, gone.id)
        create_customer(s, {"first_name": "Nobody"})
    with session_scope(any_engine) as s:
        groups = list_groups(s)
    assert [(g.name, g.member_count) for g in groups] == [("VIP", 3), ("Wholesale", 0)]
    assert groups[0].description == "Best customers"
    assert groups[0].discount_percent == Decimal("10")
    assert groups[1] == trade
    assert trade.discount_percent == Decimal("15.5")
    assert trade.tax_rate_name == "Tax exempt"
    with session_scope(any_engine) as s:
        found = find_group(s, "vip")
        assert found is not None and found.id == vip.id
        assert find_group(s, "nope") is None


def test_names_are_unique_and_values_checked(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        create_group(s, "VIP")
        with pytest.raises(ValidationFailed) as caught:
            create_group(s, " vip ", "x" * 501, discount_percent="150", tax_rate_id=999)
        assert set(caught.value.errors) == {
            "name",
            "description",
            "discount_percent",
            "tax_rate_id",
        }
        assert "already a group" in caught.value.errors["name"]
        with pytest.raises(ValidationFailed):
            create_group(s, "   ")
        with pytest.raises(ValidationFailed):
            create_group(s, "bad\x00name")
        assert len(list_groups(s)) == 1


def test_rename_and_edit(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        vip = create_group(s, "VIP", discount_percent=Decimal(10))
        create_group(s, "Staff")
        renamed = update_group(s, vip.id, name="Very Important", discount_percent=None)
        assert renamed.name == "Very Important" and renamed.discount_percent is None
        assert update_group(s, vip.id, name="very important").name == "very important"
        with pytest.raises(ValidationFailed) as caught:
            update_group(s, vip.id, name="STAFF")
        assert "Staff" in caught.value.errors["name"] or "STAFF" in caught.value.errors["name"]
        with pytest.raises(TypeError):
            update_group(s, vip.id, colour="red")
        with pytest.raises(NotFound):
            update_group(s, 999, name="X")


def test_delete_releases_the_customers(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        vip = create_group(s, "VIP")
        ids = [create_customer(s, {"first_name": f"V{n}", "group_id": vip.id}).id for n in range(2)]
    with session_scope(any_engine) as s:
        assert delete_group(s, vip.id) == 2
    with session_scope(any_engine) as s:
        assert [get_customer(s, i).group_id for i in ids] == [None, None]
        with pytest.raises(NotFound):
            get_group(s, vip.id)
