"""Merging duplicate customers, and undoing a merge exactly (issue 18).

A merge moves sales and ledgers to the customer kept and hides the others (their
cards lead to it); undo puts back exactly what the merge moved and changed, so the
export of every customer and of the ledgers is byte for byte what it was, while what
was sold to the customer kept after the merge stays with it.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from sales_store import Store, build_store
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import TilltermError
from tillterm.customers import custom_fields, merging, profiles
from tillterm.customers.duplicates import possible_duplicates
from tillterm.services.context import Services
from tillterm.spreadsheet.export import export_customers
from tillterm.store.engine import open_db, session_scope

REG = "till-1"


def _sell(engine: Engine, code: str, method: str = "card") -> sales.CompletedSale:
    """One pen (24.90) sold to the customer whose card is ``code``."""
    with session_scope(engine) as s:
        sales.scan_code(s, REG, "3000000000024")
        view = sales.scan_code(s, REG, code).view
        assert view is not None
        sales.add_payment(s, view.id, method)
        return sales.complete_sale(s, view.id)


def _twin(engine: Engine, store: Store) -> int:
    """A second record of Paul Martin (same email), with its own card, tag and field."""
    with session_scope(engine) as s:
        custom_fields.define_field(s, "Shoe size", "text")
        profiles.update_customer(
            s, store.paul, {"email": "paul@martin.fr", "tags": "vip", "postal_code": "75011"}
        )
        twin = profiles.create_customer(
            s,
            {
                "customer_code": "OLD-PAUL",
                "first_name": "Paul",
                "last_name": "Martin",
                "email": "paul@martin.fr",
                "phone_mobile": "06 98 76 54 32",
                "city": "Paris",
                "postal_code": "75011",
                "on_account_allowed": True,
                "loyalty_enabled": True,
                "tags": "newsletter",
                "custom": {"Shoe size": "43"},
            },
        )
    return twin.id


def _ledgers(engine: Engine) -> list[tuple[Any, ...]]:
    """Every sale's and ledger entry's owner and printed name: what a merge may move."""
    with engine.connect() as conn:
        rows: list[tuple[Any, ...]] = []
        for sql in (
            "SELECT 'sale', id, customer_id, customer_name, customer_code, total_cents "
            "FROM sale ORDER BY id",
            "SELECT 'loyalty', id, customer_id, points, sale_id FROM loyalty_entry ORDER BY id",
            "SELECT 'account', id, customer_id, amount_cents, sale_id FROM account_entry "
            "ORDER BY id",
            "SELECT 'tag', customer_id, tag_id FROM customer_tag ORDER BY 2, 3",
            "SELECT 'custom', customer_id, field_id, value FROM custom_field_value ORDER BY 2, 3",
            "SELECT 'stamps', id, updated_at, archived_at, phone_digits FROM customer ORDER BY id",
        ):
            rows.extend(tuple(r) for r in conn.execute(text(sql)))
    return rows


def _exports(engine: Engine, folder: Path) -> tuple[bytes, bytes]:
    folder.mkdir()
    export_customers(engine, folder / "active.csv")
    export_customers(engine, folder / "all.csv", include_archived=True)
    return (folder / "active.csv").read_bytes(), (folder / "all.csv").read_bytes()


def _sums(engine: Engine, customer_id: int) -> tuple[int, int]:
    with session_scope(engine) as s:
        return (
            sales.loyalty_balance(s, customer_id),
            sales.account_balance_cents(s, customer_id),
        )


def _entry_sums(engine: Engine, customer_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        points = conn.execute(
            text("SELECT coalesce(sum(points), 0) FROM loyalty_entry WHERE customer_id = :c"),
            {"c": customer_id},
        ).scalar_one()
        cents = conn.execute(
            text("SELECT coalesce(sum(amount_cents), 0) FROM account_entry WHERE customer_id = :c"),
            {"c": customer_id},
        ).scalar_one()
    return int(points), int(cents)


def test_merge_then_undo_gives_back_byte_identical_exports(
    any_engine: Engine, tmp_path: Path
) -> None:
    store = build_store(any_engine)
    twin = _twin(any_engine, store)
    _sell(any_engine, "CARD-PAUL", "account")
    _sell(any_engine, "OLD-PAUL", "account")
    _sell(any_engine, "OLD-PAUL")
    before = _ledgers(any_engine)
    exported = _exports(any_engine, tmp_path / "before")
    paul_before = _sums(any_engine, store.paul)
    twin_before = _sums(any_engine, twin)

    merges = Services(lambda: any_engine).merges
    # the twin's city and mobile come over (Paul has none); Paul keeps his own email
    done = merges.merge(store.paul, [twin], {"loyalty_enabled": 0})
    assert done.moved["sale"] == 2 and done.moved["account_entry"] == 1
    with session_scope(any_engine) as s:
        paul = profiles.get_customer(s, store.paul)
        assert (paul.city, paul.phone_mobile, paul.tags) == (
            "Paris",
            "06 98 76 54 32",
            ("newsletter", "vip"),
        )
        assert paul.custom == {"Shoe size": "43"}
        assert [c.id for c in profiles.search_customers(s, "Paul Martin")] == [store.paul]
        assert [c.id for c in profiles.search_customers(s, "Martin", include_archived=True)] == [
            store.paul
        ]
        assert profiles.count_customers(s, "Martin", include_archived=True) == 1
        # a receipt keeps the name and the card it was printed with
        printed = s.execute(
            text("SELECT DISTINCT customer_code FROM sale WHERE customer_id = :c"),
            {"c": store.paul},
        ).scalars()
        assert sorted(printed) == ["CARD-PAUL", "OLD-PAUL"]
    together = (paul_before[0] + twin_before[0], paul_before[1] + twin_before[1])
    assert _sums(any_engine, store.paul) == _entry_sums(any_engine, store.paul) == together
    assert _sums(any_engine, twin) == (0, 0)
    # an export of everyone, archived included, leaves the merged-away customer out
    merged_active, merged_all = _exports(any_engine, tmp_path / "merged")
    assert b"OLD-PAUL" not in merged_all and b"CARD-PAUL" in merged_active

    undone = merges.undo(done.id)
    assert undone.restored == (twin,) and undone.kept == ()
    assert _ledgers(any_engine) == before
    assert _exports(any_engine, tmp_path / "after") == exported
    assert _sums(any_engine, store.paul) == paul_before
    assert _sums(any_engine, twin) == _entry_sums(any_engine, twin) == twin_before
    with pytest.raises(merging.MergeRefused, match="undone already"):
        merges.undo(done.id)


def test_an_old_card_attaches_the_survivor_and_what_followed_stays_with_it(
    any_engine: Engine,
) -> None:
    store = build_store(any_engine)
    twin = _twin(any_engine, store)
    _sell(any_engine, "OLD-PAUL", "account")
    with session_scope(any_engine) as s:  # a sale to the twin left open on another till
        sales.scan_code(s, "till-2", "3000000000024")
        open_sale = sales.scan_code(s, "till-2", "OLD-PAUL").view
        assert open_sale is not None
    merges = Services(lambda: any_engine).merges
    done = merges.merge(store.paul, [twin])
    with session_scope(any_engine) as s:
        found = profiles.find_by_code(s, " old-paul ")
        assert found is not None and found.id == store.paul
        sales.add_payment(s, open_sale.id, "card")
        finished = sales.complete_sale(s, open_sale.id)  # completed after the merge
    assert finished.customer is not None and finished.customer.id == store.paul
    after = _sell(any_engine, "OLD-PAUL", "account")  # the old card, scanned at the till
    assert after.customer is not None and after.customer.id == store.paul
    # 24.90 sold to the twin, then 24.90 - Paul's own 5 %: one account now
    assert after.customer.account_balance == D("48.55")
    merges.undo(done.id)
    with session_scope(any_engine) as s:
        found = profiles.find_by_code(s, "OLD-PAUL")
        assert found is not None and found.id == twin and not found.archived
        owners = s.execute(
            text("SELECT customer_id FROM sale WHERE id IN (:a, :b)"),
            {"a": after.id, "b": finished.id},
        ).scalars()
    assert set(owners) == {store.paul}
    # both sales made after the merge: 23.65 on account + 23 and 23 points
    assert _sums(any_engine, store.paul) == _entry_sums(any_engine, store.paul) == (46, 2365)
    assert _sums(any_engine, twin) == _entry_sums(any_engine, twin) == (24, 2490)


def test_undo_is_refused_while_a_later_merge_of_the_same_customers_stands(
    engine: Engine,
) -> None:
    store = build_store(engine)
    twin = _twin(engine, store)
    merges = Services(lambda: engine).merges
    first = merges.merge(store.paul, [twin])
    second = merges.merge(store.paul, [store.plain])
    with pytest.raises(merging.MergeRefused, match=f"Undo merge {second.id} first"):
        merges.undo(first.id)
    with pytest.raises(merging.MergeRefused, match="merged away already"):
        merges.merge(store.marie, [twin])
    with pytest.raises(merging.MergeRefused, match="with itself"):
        merges.merge(store.marie, [store.marie])
    merges.undo(second.id)
    merges.undo(first.id)
    with session_scope(engine) as s, pytest.raises(TilltermError, match="part of a merge"):
        profiles.delete_customer(s, store.plain)  # no sales, but a merge names them
    records = merges.of_customer(store.paul)
    assert [(r.id, r.undone_at is not None) for r in records] == [
        (second.id, True),
        (first.id, True),
    ]
    assert records[1].absorbed == (("OLD-PAUL", "Paul Martin"),)


def test_a_field_changed_after_the_merge_is_kept_by_undo(engine: Engine) -> None:
    store = build_store(engine)
    twin = _twin(engine, store)
    merges = Services(lambda: engine).merges
    done = merges.merge(store.paul, [twin])
    with session_scope(engine) as s:
        profiles.update_customer(s, store.paul, {"city": "Lyon"})
    undone = merges.undo(done.id)
    assert undone.kept == ("city",)
    with session_scope(engine) as s:
        paul = profiles.get_customer(s, store.paul)
    # the mobile the merge brought is taken back; the city typed since stays
    assert (paul.city, paul.phone_mobile, paul.tags, paul.custom) == ("Lyon", "", ("vip",), {})


def test_possible_duplicates_by_email_phone_and_name_with_postcode(engine: Engine) -> None:
    store = build_store(engine)
    twin = _twin(engine, store)
    with session_scope(engine) as s:
        by_phone = profiles.create_customer(
            s, {"first_name": "P.", "last_name": "M.", "phone": "06.98.76.54.32"}
        )
        by_name = profiles.create_customer(
            s, {"first_name": "paul", "last_name": "MARTIN", "postal_code": "75011"}
        )
        profiles.create_customer(
            s, {"first_name": "Paul", "last_name": "Martin", "postal_code": "69001"}
        )
        found = {d.customer.id: d.reasons for d in possible_duplicates(s, twin)}
    assert found == {
        store.paul: ("same email", "same name and postal code"),
        by_phone.id: ("same phone number",),
        by_name.id: ("same name and postal code",),
    }


def test_cli_merge_prints_the_number_and_unmerge_undoes_it(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = open_db(db_path)
    try:
        store = build_store(engine)
        twin = _twin(engine, store)
    finally:
        engine.dispose()
    assert run_cli(["customers", "merge", "--db", str(db_path), "CARD-PAUL", "OLD-PAUL"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == "merge 1" and "Merged 1 customer(s)" in out.err
    assert run_cli(["customers", "merge", "--db", str(db_path), "CARD-PAUL", "NOBODY"]) == 1
    assert "no customer with code “NOBODY”" in capsys.readouterr().err
    assert run_cli(["customers", "unmerge", "--db", str(db_path), "1"]) == 0
    assert "Undid merge 1" in capsys.readouterr().out
    assert run_cli(["customers", "unmerge", "--db", str(db_path), "1"]) == 1
    assert "undone already" in capsys.readouterr().err
    engine = open_db(db_path)
    try:
        with session_scope(engine) as s:
            assert not profiles.get_customer(s, twin).archived
    finally:
        engine.dispose()


def test_a_card_follows_merges_of_merges_and_a_merged_customer_is_found_no_more(
    engine: Engine,
) -> None:
    store = build_store(engine)
    twin = _twin(engine, store)
    merges = Services(lambda: engine).merges
    merges.merge(store.paul, [twin])
    last = merges.merge(store.marie, [store.paul])
    with session_scope(engine) as s:
        found = profiles.find_by_code(s, "OLD-PAUL")
        assert found is not None and found.id == store.marie
        assert profiles.search_customers(s, "OLD-PAUL", include_archived=True) == []
        outcome = sales.scan_code(s, REG, "CARD-PAUL")
    assert outcome.kind == "customer" and outcome.view is not None
    assert outcome.view.customer is not None and outcome.view.customer.id == store.marie
    merges.undo(last.id)
    with session_scope(engine) as s:
        found = profiles.find_by_code(s, "OLD-PAUL")
        assert found is not None and found.id == store.paul
