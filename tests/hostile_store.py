"""A store full of hostile text: markup, click actions, control characters, wide text.

Customers whose names are Rich/Textual markup go in through the customer core, as a
cashier or an import would put them (they are text, and allowed); control characters
cannot go in that way any more, so they are written straight into the rows, as an older
version (or another program) may have left them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine

from tillterm import sales
from tillterm.customers.groups import create_group
from tillterm.customers.profiles import create_customer
from tillterm.store.engine import session_scope
from tillterm.store.models import Customer, CustomerGroup, Product

ESC, BEL, BS = "\x1b", "\x07", "\x08"
#: sets the terminal's clipboard to "evil" when written raw (OSC 52)
CLIPBOARD = f"{ESC}]52;c;ZXZpbA=={ESC}\\"
CLEAR = f"{ESC}[2J"

#: text that must be shown exactly as written and never obeyed
MARKUP = (
    "[/]",
    "[bold]Bold",
    "[@click=app.quit]Quit[/]",
    "[@click=screen.void_sale]Marie[/]",
    "[link=https://evil.example]Link[/link]",
    "Ltd. [DO NOT USE]",
)
#: text a terminal draws in its own way: still text, stored and shown as it is
WIDE = ("👩‍💻 Zoë", "שלום עליכם", "Ame\u0301lie Nguyễn", "北京市朝阳区" * 8)
CONTROLS = (ESC, BEL, BS, "\x00", "\x9b", "\u202e", "\ud800")


@dataclass(frozen=True)
class Hostile:
    closer: int  # first name "[/]", email and city with "[/]"
    clicker: int  # "[@click=screen.void_sale]Marie[/]"
    quitter: int  # "[@click=app.quit]Quit[/]"
    bracket: int  # company "Ltd. [DO NOT USE]"
    control: int  # last name sets the clipboard, city clears the screen (stored raw)
    wide: int  # emoji, right-to-left, combining marks, a long CJK address
    group: int  # "VIP [/]"
    pen: int  # a product, barcode 3000000000024


def build_hostile(engine: Engine) -> Hostile:
    with session_scope(engine) as s:
        group = create_group(s, "VIP [/]", description="[bold]best[/] customers").id
        # an older version stored whatever it was given: so do we, straight into the row
        s.add(CustomerGroup(name=f"Old{ESC}[2J", name_key="old-ctl", description=BEL))
        pen = Product(sku="PEN-1", barcode="3000000000024", name="[b]Pen[/b] 👩‍💻", price_cents=990)
        s.add(pen)
        s.flush()
        closer = create_customer(
            s,
            {
                "first_name": "[/]",
                "last_name": "Closer",
                "email": "a[/]@example.com",
                "city": "Paris [/]",
                "customer_code": "HOS-1",
                "group": "VIP [/]",
                "notes": "[bold]notes[/]\n[@click=app.quit]x[/]",
            },
        ).id
        clicker = create_customer(
            s,
            {
                "first_name": "[@click=screen.void_sale]Marie[/]",
                "last_name": "Clique",
                "customer_code": "HOS-2",
            },
        ).id
        quitter = create_customer(
            s,
            {
                "first_name": "[@click=app.quit]Quit[/]",
                "last_name": "[link=https://evil.example]Link[/link]",
                "customer_code": "HOS-3",
            },
        ).id
        bracket = create_customer(
            s,
            {"first_name": "Bob", "last_name": "Bracket", "company": "Ltd. [DO NOT USE]"},
        ).id
        control = create_customer(
            s, {"first_name": "Eve", "last_name": "Control", "customer_code": "HOS-5"}
        ).id
        s.exec(
            update(Customer)
            .where(Customer.id == control)
            .values(
                last_name=f"Control{CLIPBOARD}",
                city=f"{CLEAR}Lyon{BEL}{BS}",
                email=f"eve{ESC}[31m@example.com",
                notes=f"line{ESC}[2J\r\nnext\u202eevil",
            )
        )
        s.exec(update(CustomerGroup).where(CustomerGroup.id == group).values(description=BEL))
        wide = create_customer(
            s,
            {
                "first_name": WIDE[0],
                "last_name": WIDE[1],
                "company": WIDE[2],
                "address1": WIDE[3][:100],
                "customer_code": "HOS-6",
            },
        ).id
        pen_id = pen.id
    return Hostile(closer, clicker, quitter, bracket, control, wide, group, pen_id)


def sell(engine: Engine, register: str, customer_id: int, product_id: int) -> int:
    """A completed sale of one product to ``customer_id`` (paid by card)."""
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, register)
        sales.add_product(s, sale_id, product_id)
        sales.attach_customer(s, sale_id, customer_id)
        sales.add_payment(s, sale_id, sales.CARD)
        sales.complete_sale(s, sale_id)
    return sale_id


def park(engine: Engine, register: str, customer_id: int, product_id: int) -> int:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, register)
        sales.add_product(s, sale_id, product_id)
        sales.attach_customer(s, sale_id, customer_id)
        sales.park_sale(s, sale_id)
    return sale_id


def open_sale(engine: Engine, register: str, product_id: int) -> int:
    with session_scope(engine) as s:
        sale_id = sales.ensure_open_sale(s, register)
        sales.add_product(s, sale_id, product_id)
    return sale_id


def control_free(text: str) -> bool:
    """No C0/C1 control (line breaks aside), bidi control or lone surrogate in ``text``."""
    return not any(
        (ord(ch) < 0x20 and ch != "\n")
        or 0x7F <= ord(ch) <= 0x9F
        or 0x202A <= ord(ch) <= 0x202E
        or 0x2066 <= ord(ch) <= 0x2069
        or 0xD800 <= ord(ch) <= 0xDFFF
        for ch in text
    )
