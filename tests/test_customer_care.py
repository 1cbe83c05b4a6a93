"""The customer use cases (``services.customer_care``): one transaction each, plain answers."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tillterm.core.errors import NotFound, TilltermError, ValidationFailed
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import create_customer, get_customer
from tillterm.services.context import Services
from tillterm.services.customer_care import (
    CustomerCare,
    Duplicates,
    GroupSaved,
    Invalid,
    Saved,
)
from tillterm.store.engine import session_scope


@pytest.fixture
def care(any_engine: Engine) -> CustomerCare:
    return Services(lambda: any_engine).customers


def test_services_hand_out_one_customer_care(any_engine: Engine) -> None:
    services = Services(lambda: any_engine)
    assert services.customers is services.customers


def test_save_answers_saved_invalid_or_duplicates(care: CustomerCare, any_engine: Engine) -> None:
    saved = care.save({"first_name": "Marie", "email": "marie@example.com"})
    assert isinstance(saved, Saved) and saved.record.first_name == "Marie"
    refused = care.save({"first_name": "Ann", "email": "not an email", "birth_date": "31/02"})
    assert isinstance(refused, Invalid) and set(refused.errors) == {"email", "birth_date"}
    twin = care.save({"first_name": "Mary", "email": "MARIE@example.com"})
    assert isinstance(twin, Duplicates)
    assert [d.customer.id for d in twin.candidates] == [saved.record.id]
    assert twin.candidates[0].reasons == ("same email",)
    anyway = care.save({"first_name": "Mary", "email": "marie@example.com"}, allow_duplicates=True)
    assert isinstance(anyway, Saved) and anyway.record.id != saved.record.id
    changed = care.save({"last_name": "Dubois"}, customer_id=saved.record.id)
    assert isinstance(changed, Saved) and changed.record.display_name == "Marie Dubois"
    with session_scope(any_engine) as s:  # nothing refused was written
        assert get_customer(s, saved.record.id).last_name == "Dubois"
        assert len(care.page("", {}).rows) == 2


def test_a_code_taken_meanwhile_is_invalid_not_an_error(care: CustomerCare) -> None:
    care.save({"first_name": "Ann", "customer_code": "CARD-7"})
    answer = care.save({"first_name": "Bob", "customer_code": "card-7"}, allow_duplicates=True)
    assert isinstance(answer, Invalid) and "customer_code" in answer.errors


def test_pages_counts_opening_and_lookups(care: CustomerCare, any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        vip = create_group(s, "VIP")
        for n in range(7):
            create_customer(s, {"first_name": "Many", "last_name": f"Row {n}", "group": "VIP"})
        create_customer(s, {"first_name": "Solo", "customer_code": "SOLO-1"})
    first = care.page("many", {}, limit=5)
    assert len(first.rows) == 5 and first.more
    rest = care.page("many", {}, offset=5, limit=5)
    assert len(rest.rows) == 2 and not rest.more
    assert care.count("many", {}) == 7
    assert care.count("", {"group_id": vip.id}) == 7
    solo = care.find_by_code(" solo-1 ")
    assert solo is not None and care.find_by_code("nobody") is None
    opened = care.open(solo.id)
    assert opened.record == solo and opened.activity.sales_count == 0
    start = care.start_form(solo.id)
    assert start.opened == opened and ("VIP", vip.id) in start.choices.groups
    assert care.start_form(None).opened is None
    with pytest.raises(NotFound):
        care.open(10_000)


def test_archive_restore_delete(care: CustomerCare) -> None:
    saved = care.save({"first_name": "Paul"})
    assert isinstance(saved, Saved)
    who = saved.record.id
    assert care.archive(who).archived and care.page("paul", {}).rows == ()
    assert not care.restore(who).archived and len(care.page("paul", {}).rows) == 1
    care.delete(who)
    with pytest.raises(NotFound):
        care.get(who)


def test_groups_and_tags(care: CustomerCare) -> None:
    made = care.save_group(None, "Staff", discount_percent=None)
    assert isinstance(made, GroupSaved) and made.group.name == "Staff"
    clash = care.save_group(None, "staff")
    assert isinstance(clash, Invalid) and "name" in clash.errors
    renamed = care.save_group(made.group.id, "Team")
    assert isinstance(renamed, GroupSaved) and [g.name for g in care.groups()] == ["Team"]
    saved = care.save({"first_name": "Ann", "group": "Team"})
    assert isinstance(saved, Saved)
    assert care.set_tags(saved.record.id, "bio, b2b") == ("b2b", "bio")
    assert care.tags() == {"b2b": 1, "bio": 1}
    with pytest.raises(ValidationFailed):
        care.set_tags(saved.record.id, ["x" * 500])
    assert care.delete_group(made.group.id) == 1
    assert care.groups() == ()
    with pytest.raises(TilltermError):
        care.set_tags(10_000, "bio")
