"""Tags and custom fields: normalised, typed, validated."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tillterm.core.errors import ValidationFailed
from tillterm.customers.custom_fields import (
    clean_value,
    customer_values,
    define_field,
    delete_field,
    list_fields,
    set_customer_values,
    update_field,
)
from tillterm.customers.profiles import create_customer, get_customer
from tillterm.customers.tags import (
    list_tags,
    normalise_tag,
    parse_tags,
    set_customer_tags,
    tag_counts,
)
from tillterm.store.engine import session_scope


def test_tags_are_normalised_and_shared(any_engine: Engine) -> None:
    assert normalise_tag("  wine   club ") == "wine club"
    assert parse_tags("Bio, bio ,, wine club,WINE  club") == ["Bio", "wine club"]
    assert parse_tags(["a", " a", "B"]) == ["a", "B"]
    with session_scope(any_engine) as s:
        a = create_customer(s, {"first_name": "A", "tags": "Bio, wine club"})
        b = create_customer(s, {"first_name": "B", "tags": ["BIO"]})
        assert set_customer_tags(s, b.id, "bio, Newsletter") == ("bio", "Newsletter")
        assert list_tags(s) == ["Bio", "Newsletter", "wine club"]
        assert tag_counts(s) == {"Bio": 2, "Newsletter": 1, "wine club": 1}
        assert get_customer(s, a.id).tags == ("Bio", "wine club")
        assert set_customer_tags(s, a.id, []) == ()
        assert get_customer(s, a.id).tags == ()
        with pytest.raises(ValidationFailed) as caught:
            set_customer_tags(s, a.id, ["x" * 61])
        assert "tags" in caught.value.errors


def test_field_definitions(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        size = define_field(s, " Shoe  size ", "Number")
        assert (size.name, size.field_type) == ("Shoe size", "number")
        shop = define_field(s, "Shop", "choice", "Centre\nGare\n\ngare")
        assert shop.choices == ("Centre", "Gare")
        with pytest.raises(ValidationFailed) as caught:
            define_field(s, "shoe size", "colour")
        assert set(caught.value.errors) == {"name", "field_type"}
        with pytest.raises(ValidationFailed) as caught:
            define_field(s, "Empty", "choice", [])
        assert set(caught.value.errors) == {"choices"}
        renamed = update_field(s, shop.id, name="Preferred shop", choices=["Centre", "Marché"])
        assert renamed.choices == ("Centre", "Marché")
        assert [f.name for f in list_fields(s)] == ["Shoe size", "Preferred shop"]


@pytest.mark.parametrize(
    ("field_type", "typed", "stored"),
    [
        ("number", "38,5", "38.5"),
        ("number", " 42 ", "42"),
        ("number", "1.50", "1.5"),
        ("number", "-0", "0"),
        ("date", "25/12/2020", "2020-12-25"),
        ("date", "2020-12-25", "2020-12-25"),
        ("text", "  anything  ", "anything"),
        ("text", "", ""),
    ],
)
def test_values_are_stored_canonically(field_type: str, typed: str, stored: str) -> None:
    from tillterm.customers.custom_fields import CustomFieldDef

    assert clean_value(CustomFieldDef(1, "F", field_type, (), 1), typed) == stored


@pytest.mark.parametrize(
    ("field_type", "typed", "words"),
    [
        ("number", "big", "not a number"),
        ("number", "NaN", "not a number"),
        ("date", "31/02/2020", "real date"),
        ("choice", "Moon", "choose one of"),
        ("text", "x" * 501, "too long"),
    ],
)
def test_bad_values_are_refused(field_type: str, typed: str, words: str) -> None:
    from tillterm.customers.custom_fields import CustomFieldDef

    with pytest.raises(ValueError, match=words):
        clean_value(CustomFieldDef(1, "F", field_type, ("Centre",), 1), typed)


def test_customer_values(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        define_field(s, "Size", "number")
        note = define_field(s, "Note", "text")
        who = create_customer(s, {"first_name": "A", "custom": {"size": "40", "Note": "hi"}})
        assert customer_values(s, who.id) == {"Size": "40", "Note": "hi"}
        assert set_customer_values(s, who.id, {"Size": ""}) == {"Note": "hi"}
        with pytest.raises(ValidationFailed) as caught:
            set_customer_values(s, who.id, {"Size": "x", "Ghost": "1"})
        assert set(caught.value.errors) == {"custom:Size", "custom:Ghost"}
        delete_field(s, note.id)
        assert customer_values(s, who.id) == {}
