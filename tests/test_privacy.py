"""Privacy requests on real databases: consents carry their date and means, a customer's
data is exported whole, an erased customer is found by nothing they were while the
store's books stay exactly as they were."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from conftest import run_cli
from sales_store import Store, build_store
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.core.errors import ValidationFailed
from tillterm.customers import custom_fields, privacy, profiles
from tillterm.customers.search import SearchFilters
from tillterm.spreadsheet.importing import run_import
from tillterm.store.engine import open_db, session_scope
from tillterm.store.models import (
    AccountEntry,
    Customer,
    CustomFieldValue,
    LoyaltyEntry,
    PrivacyRequest,
    Sale,
    SaleLine,
)

REG = "till-1"


@pytest.fixture
def store(any_engine: Engine) -> Store:
    return build_store(any_engine)


def _row(engine: Engine, customer_id: int) -> dict[str, object]:
    with session_scope(engine) as s:
        row = s.execute(select(Customer.__table__).where(Customer.__table__.c.id == customer_id))
        return dict(row.one()._mapping)


def _sell(engine: Engine, code: str, *items: str, method: str = "card") -> sales.SaleView:
    with session_scope(engine) as s:
        for item in (code, *items):
            sales.scan_code(s, REG, item)
        sale_id = sales.ensure_open_sale(s, REG)
    with session_scope(engine) as s:
        sales.add_payment(s, sale_id, method)
    with session_scope(engine) as s:
        return sales.complete_sale(s, sale_id)


def test_consents_carry_their_date_and_means(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        rec = profiles.create_customer(
            s, {"first_name": "Zoé", "marketing_opt_in": True, "consent_mail": False}
        )
    row = _row(any_engine, rec.id)
    assert row["marketing_opt_in_via"] == "form" and row["marketing_opt_in_at"] is not None
    assert row["consent_mail_at"] is None and row["consent_mail_via"] == ""  # never asked
    given_at = row["marketing_opt_in_at"]
    with session_scope(any_engine) as s:  # another field changes: the consent's record stays
        profiles.update_customer(s, rec.id, {"city": "Lyon", "marketing_opt_in": True})
    assert _row(any_engine, rec.id)["marketing_opt_in_at"] == given_at
    with session_scope(any_engine) as s:  # withdrawn at the till
        profiles.update_customer(s, rec.id, {"marketing_opt_in": False}, via="register")
    row = _row(any_engine, rec.id)
    assert row["marketing_opt_in"] is False and row["marketing_opt_in_via"] == "register"
    assert row["marketing_opt_in_at"] is not None and row["marketing_opt_in_at"] >= given_at
    with session_scope(any_engine) as s, pytest.raises(ValueError, match="unknown means"):
        profiles.update_customer(s, rec.id, {"consent_phone": True}, via="telepathy")


def test_an_import_stamps_the_consents_it_gives_or_changes(
    any_engine: Engine, store: Store, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "Customer code,First name,Consent: email,Consent: phone\n"
        "IMP-1,Ana,yes,no\nIMP-2,Ben,no,no\n",
        encoding="utf-8",
    )
    run_import(any_engine, first)
    with session_scope(any_engine) as s:
        rows = {
            r.customer_code: r
            for r in s.execute(
                select(
                    Customer.customer_code,
                    Customer.consent_email_via,
                    Customer.consent_email_at,
                    Customer.consent_phone_via,
                ).where(Customer.customer_code.in_(["IMP-1", "IMP-2"]))  # type: ignore[attr-defined]
            )
        }
    assert rows["IMP-1"].consent_email_via == "import" and rows["IMP-1"].consent_email_at
    assert rows["IMP-2"].consent_email_via == "" and rows["IMP-1"].consent_phone_via == ""
    second = tmp_path / "second.csv"
    second.write_text(
        "Customer code,First name,Consent: email,Consent: phone\n"
        "IMP-1,Ana,yes,no\nIMP-2,Ben,yes,no\n",
        encoding="utf-8",
    )
    run_import(any_engine, second)
    with session_scope(any_engine) as s:
        ana, ben = s.execute(
            select(Customer.consent_email_at, Customer.consent_email_via)
            .where(Customer.customer_code.in_(["IMP-1", "IMP-2"]))  # type: ignore[attr-defined]
            .order_by(Customer.customer_code)
        ).all()
    assert ana.consent_email_at == rows["IMP-1"].consent_email_at  # unchanged: not restamped
    assert ben.consent_email_via == "import" and ben.consent_email_at is not None


def test_export_holds_everything_about_the_customer(
    any_engine: Engine, store: Store, tmp_path: Path
) -> None:
    done = _sell(any_engine, "CARD-PAUL", "3000000000024", "3000000000017", method="account")
    with session_scope(any_engine) as s:
        profiles.update_customer(s, store.paul, {"consent_email": True, "notes": "VIP; no calls"})
        folder = tmp_path / "paul"
        written = privacy.export_customer(s, store.paul, folder, via="cli", actor="tester")
    assert sorted(p.name for p in written) == [
        "customer.json",
        "ledgers.csv",
        "profile.csv",
        "sales.csv",
    ]
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in written)  # a person's data: private
    doc = json.loads((folder / "customer.json").read_text(encoding="utf-8"))
    assert doc["profile"]["first_name"] == "Paul" and doc["profile"]["notes"] == "VIP; no calls"
    email = next(c for c in doc["consents"] if c["consent"] == "Contact by email")
    assert email["given"] is True and email["via"] == "form" and email["at"]
    assert [s["receipt_no"] for s in doc["sales"]] == [done.receipt_no]
    assert doc["sales"][0]["total"] == f"{done.total:.2f}"
    assert {ln["description"] for ln in doc["sales"][0]["lines"]} == {"Stylo plume", "Café moulu"}
    assert doc["ledgers"]["account"][0]["amount"] == f"{done.total:.2f}"
    with (folder / "sales.csv").open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2
    with session_scope(any_engine) as s:
        log = s.execute(select(PrivacyRequest.kind, PrivacyRequest.via)).all()
    assert [tuple(r) for r in log] == [("export", "cli")]


def test_erasure_keeps_the_books_and_leaves_nothing_to_find(
    any_engine: Engine, store: Store
) -> None:
    done = _sell(any_engine, "CARD-PAUL", "3000000000024", method="account")
    with session_scope(any_engine) as s:
        profiles.update_customer(
            s,
            store.paul,
            {"email": "paul.martin@example.fr", "phone": "06 98 76 54 32", "city": "Lyon"},
        )
        balance_before = sales.loyalty_balance(s, store.paul)
        account_before = s.execute(
            select(func.sum(AccountEntry.amount_cents)).where(
                AccountEntry.customer_id == store.paul
            )
        ).scalar()
        lines_before = s.execute(
            select(SaleLine.description, SaleLine.total_cents).where(SaleLine.sale_id == done.id)
        ).all()
        receipt_before = s.execute(select(Sale.receipt_text).where(Sale.id == done.id)).scalar()
    assert receipt_before is not None and "Paul Martin" in receipt_before
    with session_scope(any_engine) as s:
        erased = privacy.erase_customer(s, store.paul, via="app", actor="till-1")
    assert erased.code == f"ERASED-{store.paul}" and erased.sales == 1
    with session_scope(any_engine) as s:
        everyone = SearchFilters(include_archived=True)
        for former in ("Paul", "Martin", "paul.martin", "0698765432", "98 76", "CARD-PAUL", "Lyon"):
            found = profiles.search_customers(s, former, filters=everyone)
            assert store.paul not in {c.id for c in found}, former
        assert profiles.find_by_code(s, "CARD-PAUL") is None
        # the books: same lines, same totals, same ledgers, same receipt number
        assert sales.loyalty_balance(s, store.paul) == balance_before
        assert (
            s.execute(
                select(func.sum(AccountEntry.amount_cents)).where(
                    AccountEntry.customer_id == store.paul
                )
            ).scalar()
            == account_before
        )
        assert (
            s.execute(
                select(SaleLine.description, SaleLine.total_cents).where(
                    SaleLine.sale_id == done.id
                )
            ).all()
            == lines_before
        )
        sale = s.execute(
            select(
                Sale.customer_name, Sale.customer_code, Sale.receipt_text, Sale.total_cents
            ).where(Sale.id == done.id)
        ).one()
        assert sale.customer_name == privacy.ERASED and sale.customer_code == erased.code
        assert sale.total_cents == int(done.total * 100)
        assert "Paul Martin" not in sale.receipt_text and "CARD-PAUL" not in sale.receipt_text
        assert receipt_before.count("\n") == sale.receipt_text.count("\n")
        assert done.receipt_no in sale.receipt_text
        listed = sales.list_completed(s)
        assert all("Paul" not in (c.customer_name or "") for c in listed)
        row = s.execute(select(Customer.__table__).where(Customer.__table__.c.id == store.paul))
        kept = dict(row.one()._mapping)
        assert all(not kept[c] for c in privacy.IDENTITY_TEXT)
        assert kept["archived_at"] is not None and kept["consent_email"] is False
        log = s.execute(select(PrivacyRequest.kind, PrivacyRequest.detail)).all()
        assert [tuple(r) for r in log] == [("erase", "")]
    with session_scope(any_engine) as s, pytest.raises(privacy.PrivacyRefused, match="already"):
        privacy.erase_customer(s, store.paul, via="app", actor="till-1")


def test_every_customer_column_is_either_erased_or_kept_on_purpose() -> None:
    columns = set(Customer.__table__.c.keys())
    classified = set(privacy.IDENTITY_TEXT) | set(privacy.IDENTITY_OTHER) | set(privacy.KEPT)
    assert columns == classified, "a new customer column must be classified for erasure"


def test_a_customer_on_an_open_sale_is_not_erased(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        sales.scan_code(s, REG, "2900000000017")  # Marie on the open sale
    with session_scope(any_engine) as s, pytest.raises(privacy.PrivacyRefused, match="open sale"):
        privacy.erase_customer(s, store.marie, via="cli", actor="x")
    assert _row(any_engine, store.marie)["first_name"] == "Marie"


def test_erasure_removes_tags_custom_values_and_notes(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s:
        custom_fields.define_field(s, "Shoe size", "text")
    with session_scope(any_engine) as s:
        profiles.update_customer(
            s,
            store.plain,
            {"tags": "regular, baker", "notes": "Bakery", "custom": {"Shoe size": "42"}},
        )
        assert profiles.get_customer(s, store.plain).custom == {"Shoe size": "42"}
    with session_scope(any_engine) as s:
        privacy.erase_customer(s, store.plain, via="cli", actor="x")
    with session_scope(any_engine) as s:
        rec = profiles.get_customer(s, store.plain)
        assert rec.tags == () and rec.custom == {} and rec.notes == ""
        assert (
            s.execute(
                select(func.count()).where(CustomFieldValue.customer_id == store.plain)
            ).scalar()
            == 0
        )
        assert (
            s.execute(select(func.count()).where(LoyaltyEntry.customer_id == store.plain)).scalar()
            == 0
        )  # Jean had none; nothing was added either


def test_cli_export_and_erase(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    engine = open_db(db)
    build_store(engine)
    engine.dispose()
    out = tmp_path / "paul-data"
    assert run_cli(["customers", "export-data", "CARD-PAUL", "--db", str(db), "-o", str(out)]) == 0
    assert "Wrote 4 files" in capsys.readouterr().out
    assert run_cli(["customers", "export-data", "CARD-PAUL", "--db", str(db), "-o", str(out)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert run_cli(["customers", "erase", "NOPE", "--db", str(db), "--yes"]) == 2
    # no terminal to confirm on (pytest's stdin): refused without --yes, nothing changed
    assert run_cli(["customers", "erase", "CARD-PAUL", "--db", str(db)]) == 1
    assert "add --yes" in capsys.readouterr().err
    assert run_cli(["customers", "erase", "CARD-PAUL", "--db", str(db), "--yes"]) == 0
    assert "Erased customer CARD-PAUL" in capsys.readouterr().out
    engine = open_db(db)
    try:
        with session_scope(engine) as s:
            assert profiles.find_by_code(s, "CARD-PAUL") is None
            assert s.execute(select(func.count()).select_from(PrivacyRequest)).scalar() == 2
    finally:
        engine.dispose()


def test_validation_still_refuses_bad_input_with_via(any_engine: Engine, store: Store) -> None:
    with session_scope(any_engine) as s, pytest.raises(ValidationFailed):
        profiles.create_customer(s, {"email": "not-an-email"}, via="register")


def test_erasing_a_survivor_erases_whom_it_absorbed_and_its_merge_cannot_come_back(
    any_engine: Engine, store: Store
) -> None:
    from tillterm.customers import merging

    with session_scope(any_engine) as s:
        profiles.update_customer(s, store.plain, {"email": "jean.petit@example.fr"})
        done = merging.merge_customers(s, store.paul, [store.plain])
    with session_scope(any_engine) as s:
        erased = privacy.erase_customer(s, store.paul, via="cli", actor="x")
    assert erased.code == f"ERASED-{store.paul}"
    with session_scope(any_engine) as s:
        everyone = SearchFilters(include_archived=True)
        for former in ("Jean", "Petit", "jean.petit", "PLAIN-1", "Paul", "CARD-PAUL"):
            found = profiles.search_customers(s, former, filters=everyone)
            assert not {store.paul, store.plain} & {c.id for c in found}, former
        assert profiles.find_by_code(s, "PLAIN-1") is None
        absorbed = profiles.get_customer(s, store.plain)
        assert absorbed.first_name == "" and absorbed.email == ""
        assert s.execute(select(func.count()).select_from(PrivacyRequest)).scalar() == 2
    with session_scope(any_engine) as s, pytest.raises(merging.MergeRefused, match="erased"):
        merging.undo_merge(s, done.id)
