"""Customer profiles: validation, codes, duplicates, activity."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import wait_until_blocking
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from tillterm.core.errors import NotFound, TilltermError
from tillterm.customers import codes as card_codes
from tillterm.customers import profiles as customers
from tillterm.customers.custom_fields import define_field
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import (
    CODE_ALPHABET,
    ValidationFailed,
    archive_customer,
    create_customer,
    customer_activity,
    delete_customer,
    find_by_code,
    find_duplicates,
    get_customer,
    normalise_code,
    restore_customer,
    update_customer,
    validate_customer,
)
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import AccountEntry, Customer, LoyaltyEntry, Sale, TaxRate, utcnow

FULL = {
    "first_name": "  Marie ",
    "last_name": "Dubois",
    "email": "marie.dubois@example.fr",
    "phone": "06 12 34 56 78",
    "marketing_opt_in": "yes",
    "address1": "12 rue de la République",
    "address2": "Bâtiment B",
    "city": "Paris",
    "state": "Île-de-France",
    "postal_code": "75011",
    "country": "France",
    "birth_date": "25/12/1980",
    "title": "Mme",
    "company": "Atelier Dubois",
    "company_reg_no": "123 456 789",
    "vat_number": "FR12345678901",
    "website": "www.atelier-dubois.fr",
    "phone_home": "01 23 45 67 89",
    "phone_work": "+33 1 98 76 54 32",
    "phone_mobile": "07.11.22.33.44",
    "phone_pager": "",
    "phone_fax": "(01) 11-22-33-44",
    "email2": "compta@atelier-dubois.fr",
    "discount_percent": "12,5",
    "on_account_allowed": "x",
    "balance_limit": "250,00",
    "loyalty_enabled": True,
    "consent_email": "oui",
    "consent_mail": "no",
    "consent_phone": 0,
    "notes": "Prefers the\nmorning.",
    "tags": "wine club, Bio, wine  CLUB",
    "custom": {"shoe size": "38,5", "Preferred shop": "gare"},
}


@pytest.fixture
def store(any_engine: Engine) -> Engine:
    with session_scope(any_engine) as s:
        create_group(s, "VIP", discount_percent=Decimal(10))
        s.add(TaxRate(name="Tax exempt", name_key="tax exempt", rate=Decimal(0)))
        define_field(s, "Shoe size", "number")
        define_field(s, "Preferred shop", "choice", ["Centre", "Gare"])
    return any_engine


def test_create_reads_every_field_as_typed(store: Engine) -> None:
    with session_scope(store) as s:
        made = create_customer(s, {**FULL, "group": "vip", "tax_rate": "TAX EXEMPT"})
    with session_scope(store) as s:
        read = get_customer(s, made.id)
    assert read == made
    assert read.first_name == "Marie" and read.display_name == "Marie Dubois"
    assert read.birth_date == dt.date(1980, 12, 25)
    assert read.discount_percent == Decimal("12.5")
    assert read.balance_limit == Decimal("250.00")
    assert read.marketing_opt_in and read.on_account_allowed and read.consent_email
    assert not read.consent_mail and not read.consent_phone
    assert read.group_name == "VIP" and read.tax_rate_name == "Tax exempt"
    assert read.tags == ("Bio", "wine club")
    assert read.custom == {"Shoe size": "38.5", "Preferred shop": "Gare"}
    assert read.notes == "Prefers the\nmorning."
    assert read.phone_mobile == "07.11.22.33.44"  # stored as typed
    assert read.created_at.tzinfo is not None and read.archived_at is None
    with session_scope(store) as s:
        digits = s.exec(select(Customer.phone_digits).where(Customer.id == made.id)).scalar()
        (summary,) = customers.search_customers(s, "dubois")
    assert summary.created_at == read.created_at and summary.group_name == "VIP"
    assert summary.display_name == "Marie Dubois" and not summary.archived
    # each phone as typed, national (trunk 0) and E.164, then each national significant
    # number (tillterm.customers.phones)
    assert digits == (
        "0612345678 33612345678 0123456789 33123456789 33198765432 0198765432 "
        "0711223344 33711223344 0111223344 33111223344 "
        "612345678 123456789 198765432 711223344 111223344"
    )


def test_every_problem_is_reported_at_once(store: Engine) -> None:
    bad = {
        "first_name": "x" * 101,
        "email": "marie@",
        "email2": "no at sign",
        "birth_date": "31/02/1980",
        "phone": "06 12 AB",
        "phone_work": "12",
        "postal_code": "75011!",
        "discount_percent": "120",
        "balance_limit": "-5",
        "website": "not a site",
        "marketing_opt_in": "maybe",
        "group": "Nope",
        "tax_rate_id": 9999,
        "customer_code": "bad\x00code",
        "custom": {"Shoe size": "big", "Preferred shop": "Moon", "Hat": "L"},
        "tags": ["x" * 61],
    }
    with session_scope(store) as s:
        errors = validate_customer(s, bad)
        with pytest.raises(ValidationFailed) as caught:
            create_customer(s, bad)
    assert caught.value.errors == errors
    assert set(errors) == {
        "first_name", "email", "email2", "birth_date", "phone", "phone_work", "postal_code",
        "discount_percent", "balance_limit", "website", "marketing_opt_in", "group_id",
        "tax_rate_id", "custom:Shoe size", "custom:Preferred shop", "custom:Hat", "tags",
        "customer_code",
    }  # fmt: skip
    assert "31/02/1980" in errors["birth_date"] and "real date" in errors["birth_date"]
    assert "between 0 and 100" in errors["discount_percent"]
    assert "Nope" in errors["group_id"]
    assert "Centre, Gare" in errors["custom:Preferred shop"]
    message = str(caught.value)
    assert message.startswith("18 things to correct") and "Date of birth" in message
    with session_scope(store) as s:
        assert s.exec(select(func.count()).select_from(Customer)).scalar() == 0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("birth_date", (dt.date.today() + dt.timedelta(days=1)).isoformat(), "future"),
        ("birth_date", "25/12/80", "4 digits"),
        ("birth_date", "1850-01-01", "1900"),
        ("birth_date", "soon", "not a date"),
        ("discount_percent", "-1", "between 0 and 100"),
        ("discount_percent", "10.1234", "3 decimals"),
        ("discount_percent", "ten", "not a percentage"),
        ("balance_limit", "lots", "not an amount"),
        ("phone", "+33 6 12 +34", "digits"),
        ("phone", "1" * 21, "6 to 20 digits"),
        ("email", "a b@c.fr", "email"),
        ("email", "marie@example", "email"),
        ("notes", "x" * 10_001, "too long"),
        ("city", "Paris\x00", "cannot be printed"),
        ("customer_code", "c" * 65, "too long"),
    ],
)
def test_each_rule_speaks_plainly(engine: Engine, field: str, value: str, words: str) -> None:
    with session_scope(engine) as s:
        errors = validate_customer(s, {"first_name": "Ann", field: value})
    assert list(errors) == [field]
    assert words in errors[field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "Émilie.Noël+shop@exemple.co.uk"),
        ("phone", "+44 7911 123456"),
        ("phone", "+1 (514) 555-0199"),
        ("postal_code", "H2X 1Y4"),
        ("postal_code", "SW1A 1AA"),
        ("website", "https://www.example.com/shop?x=1"),
        ("website", "boulangerie-noël.fr"),
        ("birth_date", "1980-12-25"),
        ("birth_date", "25.12.1980"),
        ("birth_date", dt.date(1980, 12, 25)),
        ("discount_percent", "7.5 %"),
        ("discount_percent", Decimal("0")),
        ("balance_limit", "€ 1 000,50"),
        ("balance_limit", Decimal("0")),
    ],
)
def test_reasonable_values_pass(engine: Engine, field: str, value: object) -> None:
    with session_scope(engine) as s:
        assert validate_customer(s, {"first_name": "Ann", field: value}) == {}


def test_someone_must_be_named(engine: Engine) -> None:
    with session_scope(engine) as s:
        assert "first_name" in validate_customer(s, {"first_name": "  ", "city": "Lyon"})
        for field in ("first_name", "last_name", "company", "email"):
            value = "a@b.fr" if field == "email" else "X"
            assert validate_customer(s, {field: value}) == {}
        marie = create_customer(s, {"first_name": "Marie"})
        assert "first_name" in validate_customer(s, {"first_name": ""}, customer_id=marie.id)
        assert validate_customer(s, {"city": "Lyon"}, customer_id=marie.id) == {}
        update_customer(s, marie.id, {"first_name": "", "company": "Atelier"})
        with pytest.raises(ValidationFailed) as caught:  # sees the change just made
            update_customer(s, marie.id, {"company": ""})
        assert list(caught.value.errors) == ["first_name"]


def test_unknown_fields_are_a_programming_error(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(TypeError):
        create_customer(s, {"first_name": "A", "favourite_colour": "red"})
    with session_scope(engine) as s:
        made = create_customer(s, {"first_name": "A", "id": 999, "created_at": "ignored"})
    assert made.id != 999


def test_generated_codes_are_short_typeable_and_unique(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        codes = [create_customer(s, {"first_name": f"C{n}"}).customer_code for n in range(40)]
    assert len(set(codes)) == 40
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_codes_compare_trimmed_and_case_insensitively(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        marie = create_customer(s, {"first_name": "Marie", "last_name": "Dubois",
                                    "customer_code": " Card-77 "})  # fmt: skip
        assert marie.customer_code == "Card-77"
        with pytest.raises(ValidationFailed) as caught:
            create_customer(s, {"first_name": "Paul", "customer_code": "CARD-77"})
        assert "Marie Dubois" in caught.value.errors["customer_code"]
        paul = create_customer(s, {"first_name": "Paul", "customer_code": ""})
        with pytest.raises(ValidationFailed) as caught:
            update_customer(s, paul.id, {"customer_code": "card-77  "})
        assert "Marie Dubois" in caught.value.errors["customer_code"]
        assert update_customer(s, marie.id, {"customer_code": "CARD-77"}).customer_code == "CARD-77"
        assert (
            update_customer(s, paul.id, {"customer_code": ""}).customer_code == paul.customer_code
        )
        found = find_by_code(s, "  card-77\n")
        assert found is not None and found.id == marie.id
        assert find_by_code(s, "nope") is None
        assert find_by_code(s, "") is None
        assert find_by_code(s, "\x00") is None
    assert normalise_code("  AbC ") == "abc"
    with session_scope(any_engine) as s:
        spaced = create_customer(s, {"first_name": "Sp", "customer_code": " AB  12 "})
        assert spaced.customer_code == "AB  12"
        found = find_by_code(s, "ab  12")
        assert found is not None and found.id == spaced.id


def _create_many(path: str, seed: int, count: int, start: object, out: object) -> None:
    """One register (a process of its own) creating customers with blank codes."""
    card_codes._code_rng = random.Random(seed)  # both registers draw the same codes
    engine = open_db(path)
    start.wait()  # type: ignore[attr-defined]
    made = []
    for n in range(count):
        with session_scope(engine) as s:
            made.append(create_customer(s, {"first_name": f"P{seed}-{n}"}).customer_code)
    out.put(made)  # type: ignore[attr-defined]
    engine.dispose()


def test_two_registers_never_share_a_code_sqlite(db_path: Path) -> None:
    open_db(db_path).dispose()
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_create_many, args=(str(db_path), 7, 12, start, out)) for _ in "ab"]
    for p in procs:
        p.start()
    results = [out.get(timeout=60), out.get(timeout=60)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    codes = results[0] + results[1]
    assert len(codes) == len(set(codes)) == 24  # same draws, yet no code given twice
    engine = open_db(db_path)
    with session_scope(engine) as s:
        assert s.exec(select(func.count(func.distinct(Customer.code_key)))).scalar() == 24
    engine.dispose()


def test_two_registers_never_share_a_code_postgresql(pg_engine: Engine) -> None:
    local = threading.local()

    class SameDrawsPerThread:
        def choice(self, seq: str) -> str:
            if not hasattr(local, "rng"):
                local.rng = random.Random(3)
            return local.rng.choice(seq)

    original, card_codes._code_rng = card_codes._code_rng, SameDrawsPerThread()
    first_inserted = threading.Event()
    codes: dict[str, str] = {}
    errors: list[BaseException] = []
    b_backend: list[int] = []

    def b_waits_on_a_lock() -> bool:
        with pg_engine.connect() as conn:
            waiting = conn.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": b_backend[0]},
            ).scalar()
        return bool(waiting == "Lock")

    def register_a() -> None:
        try:
            with session_scope(pg_engine) as s:
                codes["a"] = create_customer(s, {"first_name": "A"}).customer_code
                first_inserted.set()
                # B's insert of the same code now waits on this one: commit only then
                wait_until_blocking(
                    lambda: b_backend and b_waits_on_a_lock(), "B's insert to wait on A's lock"
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def register_b() -> None:
        first_inserted.wait(10)
        try:
            with session_scope(pg_engine) as s:
                b_backend.append(
                    s.connection().execute(text("SELECT pg_backend_pid()")).scalar_one()
                )
                codes["b"] = create_customer(s, {"first_name": "B"}).customer_code
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=register_a), threading.Thread(target=register_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        card_codes._code_rng = original
    assert not errors
    expected = random.Random(3)
    first = "".join(expected.choice(CODE_ALPHABET) for _ in range(8))
    second = "".join(expected.choice(CODE_ALPHABET) for _ in range(8))
    assert codes == {"a": first, "b": second}


def test_update_changes_only_what_is_given(store: Engine) -> None:
    with session_scope(store) as s:
        made = create_customer(s, FULL)
        time.sleep(0.01)
        changed = update_customer(s, made.id, {"city": "Lyon", "tags": ["b2b"],
                                               "custom": {"Shoe size": ""}})  # fmt: skip
    assert changed.city == "Lyon"
    assert changed.tags == ("b2b",)
    assert changed.custom == {"Preferred shop": "Gare"}
    assert changed.email == made.email and changed.birth_date == made.birth_date
    assert changed.updated_at > made.updated_at
    with session_scope(store) as s:
        with pytest.raises(ValidationFailed):
            update_customer(s, made.id, {"email": "broken", "city": "Nice"})
        assert get_customer(s, made.id).city == "Lyon"
        with pytest.raises(NotFound):
            update_customer(s, 12345, {"city": "Nice"})


def test_archive_restore_and_delete(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        made = create_customer(s, {"first_name": "Gone"})
        archived = archive_customer(s, made.id)
        assert archived.archived_at is not None and archived.archived
        assert restore_customer(s, made.id).archived_at is None
        sold = create_customer(s, {"first_name": "Buyer"})
        s.add(Sale(register_name="R1", state="completed", customer_id=sold.id))
        s.flush()
        with pytest.raises(TilltermError):
            delete_customer(s, sold.id)
        delete_customer(s, made.id)
        with pytest.raises(NotFound):
            get_customer(s, made.id)


def test_duplicates_by_email_code_and_phone_digits(any_engine: Engine) -> None:
    with session_scope(any_engine) as s:
        marie = create_customer(s, {"first_name": "Marie", "email": "Marie.D@example.fr",
                                    "phone": "06 12 34 56 78", "customer_code": "M1"})  # fmt: skip
        create_customer(s, {"first_name": "Other", "email": "marie.d.other@example.fr",
                            "phone_mobile": "06 12 34 56 79"})  # fmt: skip
        found = find_duplicates(
            s, {"email": "marie.d@EXAMPLE.fr", "phone_work": "+0612345678", "customer_code": "m1 "}
        )
        assert [d.customer.id for d in found] == [marie.id]
        assert set(found[0].reasons) == {"same email", "same phone number", "same customer code"}
        assert find_duplicates(s, {"email2": "marie.d@example.fr"})[0].reasons == ("same email",)
        assert find_duplicates(s, {"phone": "06.12.34.56.78"})[0].reasons == ("same phone number",)
        assert find_duplicates(s, {"email": "marie@example.fr", "phone": "0612"}) == []
        assert find_duplicates(s, {"customer_code": "m1\x00", "email": "\x00"}) == []
        assert validate_customer(s, {"first_name": "A", "group": "V\x00"}) != {}
        assert find_duplicates(s, {"email": "marie.d@example.fr"}, exclude_id=marie.id) == []


def test_activity_adds_up_the_ledgers(any_engine: Engine) -> None:
    now = utcnow()
    last_year = now.replace(year=now.year - 1)
    with session_scope(any_engine) as s:
        who = create_customer(s, {"first_name": "Shopper"})
        for state, kind, total, when in [
            ("completed", "sale", 5000, now),
            ("completed", "sale", 3000, last_year),
            ("completed", "refund", -1000, now),
            ("parked", "sale", 9999, None),
            ("voided", "sale", 7777, now),
        ]:
            sale = Sale(register_name="R1", customer_id=who.id, state=state, kind=kind,
                        total_cents=total, completed_at=when)  # fmt: skip
            s.add(sale)
        s.add(LoyaltyEntry(customer_id=who.id, points=50, reason="sale"))
        s.add(LoyaltyEntry(customer_id=who.id, points=-20, reason="redeemed"))
        s.add(AccountEntry(customer_id=who.id, amount_cents=2500, reason="on account"))
        s.add(AccountEntry(customer_id=who.id, amount_cents=-1000, reason="payment"))
    with session_scope(any_engine) as s:
        activity = customer_activity(s, who.id)
    assert activity.year_to_date_spend == Decimal("40.00")
    assert activity.loyalty_balance == 30
    assert activity.account_balance == Decimal("15.00")
    assert activity.sales_count == 2
    assert len(activity.recent_sales) == 5
    assert {line.points for line in activity.loyalty_ledger} == {50, -20}
    assert {line.amount for line in activity.account_ledger} == {
        Decimal("25.00"),
        Decimal("-10.00"),
    }
    with session_scope(any_engine) as s, pytest.raises(NotFound):
        customer_activity(s, 999_999)
