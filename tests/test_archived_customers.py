"""Archived customers (issue 18): the archived-only filter and restoring, on both engines.

The list a manager sees under "Show: archived only" holds archived customers and erased
ones (they carry no identity), never customers merged into another (they are part of
their survivor); its count agrees with its pages, as the default list's does.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tillterm.core.errors import TilltermError
from tillterm.customers.custom_fields import define_field
from tillterm.customers.groups import create_group
from tillterm.customers.merging import merge_customers, undo_merge
from tillterm.customers.privacy import erase_customer, erased_code
from tillterm.customers.profiles import (
    archive_customer,
    count_customers,
    create_customer,
    get_customer,
    search_customers,
)
from tillterm.services.customer_care import CustomerCare
from tillterm.store.engine import session_scope


def _store(engine: Engine) -> dict[str, int]:
    """Eight Dubois and two others; some archived, one merged away, one erased."""
    ids: dict[str, int] = {}
    with session_scope(engine) as s:
        define_field(s, "Club", "text")
        club = create_group(s, "Club")
        for n in range(8):
            record = create_customer(
                s,
                {
                    "first_name": f"Name{n}",
                    "last_name": "Dubois",
                    "customer_code": f"DUB-{n}",
                    "group_id": club.id if n % 2 else None,
                },
            )
            ids[f"dubois{n}"] = record.id
        # codes given, not drawn: a drawn code starting with "2" made "dub-2" find Paul
        # Roy too ("dub" in his custom value, "2" his code's start), one run in thirty
        ids["martin"] = create_customer(
            s, {"first_name": "Anne", "last_name": "Martin", "customer_code": "MAR-1"}
        ).id
        # found by a custom value only, not by its words
        ids["custom"] = create_customer(
            s,
            {
                "first_name": "Paul",
                "last_name": "Roy",
                "customer_code": "ROY-1",
                "custom": {"Club": "dubois"},
            },
        ).id
        ids["club"] = club.id
        for key in ("dubois1", "dubois2", "dubois5", "martin", "custom"):
            archive_customer(s, ids[key])
        merge = merge_customers(s, ids["dubois0"], [ids["dubois3"]])  # dubois3: merged away
        ids["merge"] = merge.id
        erase_customer(s, ids["dubois6"], via="cli", actor="test")  # archived, no name
    return ids


def _ids(engine: Engine, typed: str, **filters: object) -> list[int]:
    with session_scope(engine) as s:
        return [c.id for c in search_customers(s, typed, limit=100, **filters)]


def _count(engine: Engine, typed: str, **filters: object) -> int:
    with session_scope(engine) as s:
        return count_customers(s, typed, **filters)


def test_archived_only_lists_archived_and_erased_never_merged(any_engine: Engine) -> None:
    ids = _store(any_engine)
    archived = sorted(ids[k] for k in ("dubois1", "dubois2", "dubois5", "dubois6", "martin"))
    archived_or_custom = sorted([*archived, ids["custom"]])
    assert _ids(any_engine, "", archived_only=True) == archived_or_custom
    assert _count(any_engine, "", archived_only=True) == 6
    # the words of the erased one are gone: "dubois" finds the archived Dubois and the
    # archived customer whose custom value says dubois, never the merged-away one
    dubois = [ids[k] for k in ("dubois1", "dubois2", "dubois5")]
    assert sorted(_ids(any_engine, "dubois", archived_only=True)) == sorted(
        [*dubois, ids["custom"]]
    )
    assert _count(any_engine, "dubois", archived_only=True) == 4
    assert _ids(any_engine, "dub-2", archived_only=True) == [ids["dubois2"]]
    assert _count(any_engine, "dub-2", archived_only=True) == 1
    assert _ids(any_engine, "dub-3", archived_only=True) == []  # merged away
    assert _count(any_engine, "dub-3", archived_only=True) == 0
    assert _ids(any_engine, erased_code(ids["dubois6"]), archived_only=True) == [ids["dubois6"]]
    # with another filter: the archived Dubois of the group (1 and 5; 3 merged away)
    assert _ids(any_engine, "dubois", archived_only=True, group_id=ids["club"]) == [
        ids["dubois1"],
        ids["dubois5"],
    ]
    assert _count(any_engine, "dubois", archived_only=True, group_id=ids["club"]) == 2
    # the active list and "active and archived" stay what they were
    active = [ids[k] for k in ("dubois0", "dubois4", "dubois7")]
    assert _ids(any_engine, "dubois") == active
    assert _count(any_engine, "dubois") == 3
    assert sorted(_ids(any_engine, "dubois", include_archived=True)) == sorted(
        [*active, *dubois, ids["custom"]]
    )
    assert _count(any_engine, "dubois", include_archived=True) == 7


def test_archived_only_pages_add_up_to_the_count(any_engine: Engine) -> None:
    _store(any_engine)
    for typed in ("", "dubois", "name", "d"):
        whole = _ids(any_engine, typed, archived_only=True)
        assert whole, typed
        paged: list[int] = []
        with session_scope(any_engine) as s:
            for offset in range(0, len(whole) + 2, 2):
                page = search_customers(s, typed, limit=2, offset=offset, archived_only=True)
                paged.extend(c.id for c in page)
        assert paged == whole, typed
        assert _count(any_engine, typed, archived_only=True) == len(whole), typed


def test_restore_brings_an_archived_customer_back(any_engine: Engine) -> None:
    ids = _store(any_engine)
    care = CustomerCare(lambda: any_engine)
    restored = care.restore(ids["dubois2"])
    assert restored.archived_at is None
    with session_scope(any_engine) as s:
        assert get_customer(s, ids["dubois2"]).archived_at is None
    assert ids["dubois2"] in _ids(any_engine, "dubois")
    assert ids["dubois2"] not in _ids(any_engine, "dubois", archived_only=True)
    assert _count(any_engine, "dubois", archived_only=True) == 3


def test_restore_refuses_erased_and_merged_customers(any_engine: Engine) -> None:
    ids = _store(any_engine)
    care = CustomerCare(lambda: any_engine)
    with pytest.raises(TilltermError, match="erased"):
        care.restore(ids["dubois6"])
    with pytest.raises(TilltermError, match=r"merged into Name0 Dubois \(DUB-0\): undo the merge"):
        care.restore(ids["dubois3"])
    with session_scope(any_engine) as s:
        assert get_customer(s, ids["dubois6"]).archived_at is not None
        assert get_customer(s, ids["dubois3"]).archived_at is not None
        # once the merge is undone, the customer is theirs to restore (it was active)
        undo_merge(s, ids["merge"])
        assert get_customer(s, ids["dubois3"]).archived_at is None
