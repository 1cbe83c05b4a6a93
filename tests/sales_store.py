"""A small store for the sales tests: tax rates, a group, products and customers.

Built with the ORM directly so the sales tests do not depend on the customer core.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from sqlalchemy.engine import Engine

from tillterm.catalog.settings import update_settings
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup, Product, TaxRate


@dataclass(frozen=True)
class Store:
    standard: int
    reduced: int
    exempt: int
    vip: int
    wholesale: int
    coffee: int  # 4.50, reduced rate, barcode 3000000000017
    pen: int  # 24.90, store default rate, SKU PEN-1
    marie: int  # VIP (10 %), loyalty, no account
    paul: int  # own 5 % discount, account allowed, limit 100.00
    trade: int  # wholesale (15 %, tax exempt), account, no limit
    plain: int  # nothing special, no loyalty


def build_store(engine: Engine, *, inclusive: bool = True) -> Store:
    with session_scope(engine) as s:
        taxes = {}
        for name, rate in [
            ("Standard 20 %", D(20)),
            ("Reduced 5.5 %", D("5.5")),
            ("Tax exempt", D(0)),
        ]:
            t = TaxRate(name=name, name_key=name.casefold(), rate=rate)
            s.add(t)
            s.flush()
            taxes[name] = t.id
        update_settings(
            s,
            name="Test shop",
            default_tax_rate_id=taxes["Standard 20 %"],
            prices_include_tax=inclusive,
            loyalty_points_per_unit=D(1),
            loyalty_point_value_cents=1,
        )
        vip = CustomerGroup(name="VIP", name_key="vip", discount_percent=D(10))
        wholesale = CustomerGroup(
            name="Wholesale",
            name_key="wholesale",
            discount_percent=D(15),
            tax_rate_id=taxes["Tax exempt"],
        )
        s.add_all([vip, wholesale])
        s.flush()
        coffee = Product(
            sku="COF-1",
            barcode="3000000000017",
            name="Café moulu",
            price_cents=450,
            tax_rate_id=taxes["Reduced 5.5 %"],
        )
        pen = Product(sku="PEN-1", barcode="3000000000024", name="Stylo plume", price_cents=2490)
        s.add_all([coffee, pen])

        def customer(code: str, first: str, last: str, **kw: object) -> Customer:
            c = Customer(
                customer_code=code, code_key=code.casefold(), first_name=first, last_name=last, **kw
            )
            s.add(c)
            return c

        marie = customer("2900000000017", "Marie", "Dubois", group_id=vip.id, loyalty_enabled=True)
        paul = customer(
            "CARD-PAUL",
            "Paul",
            "Martin",
            discount_percent=D(5),
            on_account_allowed=True,
            balance_limit_cents=10000,
            loyalty_enabled=True,
        )
        trade = customer(
            "TRADE-1",
            "",
            "",
            company="Garage Leroy",
            group_id=wholesale.id,
            on_account_allowed=True,
        )
        plain = customer("PLAIN-1", "Jean", "Petit")
        s.flush()
        return Store(
            taxes["Standard 20 %"],
            taxes["Reduced 5.5 %"],
            taxes["Tax exempt"],
            vip.id,
            wholesale.id,
            coffee.id,
            pen.id,
            marie.id,
            paul.id,
            trade.id,
            plain.id,
        )  # type: ignore[arg-type]
