"""A realistic demo store: tax rates, groups, tags, products and customers.

Names come from real French and English name lists (``demo_data/``) with a skewed
frequency, so common prefixes ("mar", "dub") match many customers, as in a real store.
Rows go in through SQLAlchemy Core in batches: a million customers is a bulk job, not a
million ORM objects.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from itertools import accumulate, islice
from queue import Empty
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from tillterm.core.errors import TilltermError
from tillterm.customers.phones import PhoneForms, digits_text
from tillterm.store import product_index, staging
from tillterm.store.models import (
    Customer,
    CustomerGroup,
    CustomerTag,
    CustomField,
    Product,
    StoreSettings,
    Tag,
    TaxRate,
    table_of,
)
from tillterm.store.search_index import bulk_insert

BATCH = 40_000

CITIES = [
    ("Paris", "750{:02d}", "France", 20),
    ("Lyon", "6900{}", "France", 9),
    ("Marseille", "130{:02d}", "France", 16),
    ("Toulouse", "31000", "France", 1),
    ("Nantes", "44000", "France", 1),
    ("Bordeaux", "33000", "France", 1),
    ("Lille", "59000", "France", 1),
    ("Strasbourg", "67000", "France", 1),
    ("Montpellier", "34000", "France", 1),
    ("Rennes", "35000", "France", 1),
    ("Nice", "06000", "France", 1),
    ("Grenoble", "38000", "France", 1),
    ("Dijon", "21000", "France", 1),
    ("Angers", "49000", "France", 1),
    ("Besançon", "25000", "France", 1),
    ("Orléans", "45000", "France", 1),
    ("Saint-Étienne", "42000", "France", 1),
    ("Clermont-Ferrand", "63000", "France", 1),
    ("Montréal", "H2X 1Y4", "Canada", 1),
    ("Québec", "G1R 4P5", "Canada", 1),
    ("Trois-Rivières", "G9A 5H7", "Canada", 1),
    ("London", "SW1A 1AA", "United Kingdom", 1),
    ("Manchester", "M1 1AE", "United Kingdom", 1),
    ("Bristol", "BS1 4DJ", "United Kingdom", 1),
    ("Bruxelles", "1000", "Belgique", 1),
    ("Genève", "1201", "Suisse", 1),
]
STREETS = [
    "rue de la République",
    "rue Victor-Hugo",
    "avenue Jean-Jaurès",
    "boulevard Voltaire",
    "rue du Faubourg Saint-Antoine",
    "place de l'Église",
    "rue des Écoles",
    "rue Pasteur",
    "chemin des Vignes",
    "allée des Tilleuls",
    "rue de la Gare",
    "avenue du Général-Leclerc",
    "rue Émile-Zola",
    "impasse des Lilas",
    "quai de la Loire",
    "rue Saint-Honoré",
    "High Street",
    "Station Road",
    "Church Lane",
    "rue Sainte-Catherine",
    "boulevard René-Lévesque",
]
DOMAINS = [
    "gmail.com",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "outlook.com",
    "yahoo.fr",
    "sfr.fr",
    "hotmail.com",
    "icloud.com",
    "example.org",
]
COMPANIES = [
    "Boulangerie",
    "Atelier",
    "Cabinet",
    "Garage",
    "Librairie",
    "Studio",
    "Ferme",
    "Pharmacie",
    "Café",
    "Fromagerie",
    "Menuiserie",
    "Agence",
]
TITLES = ["M.", "Mme", "Dr", "Mr", "Mrs", "Ms", ""]
FIVE, TEN = Decimal(5), Decimal(10)

TAX_RATES = [
    ("Standard 20 %", Decimal("20")),
    ("Reduced 5.5 %", Decimal("5.5")),
    ("Intermediate 10 %", Decimal("10")),
    ("Out of province", Decimal("0")),
    ("Tax exempt", Decimal("0")),
]
GROUPS = [
    ("VIP", "Best customers: 10 % off everything", Decimal("10"), None),
    ("Wholesale", "Trade accounts, tax exempt", Decimal("15"), "Tax exempt"),
    ("Student", "Students with a valid card", Decimal("5"), None),
    ("Staff", "Employees of the store", Decimal("20"), None),
    ("Newsletter readers", "Signed up for the monthly newsletter", None, None),
]
TAGS = [
    "newsletter",
    "wedding 2026",
    "bio",
    "gluten-free",
    "wine club",
    "birthday club",
    "b2b",
    "collector",
    "late payer",
    "gift cards",
]
PRODUCTS = [
    ("Café moulu", 450),
    ("Thé vert", 620),
    ("Baguette tradition", 130),
    ("Croissant", 110),
    ("Pain au chocolat", 125),
    ("Camembert", 390),
    ("Comté 18 mois", 1290),
    ("Beurre doux", 285),
    ("Confiture d'abricot", 475),
    ("Miel de lavande", 890),
    ("Huile d'olive", 1150),
    ("Vin rouge Bordeaux", 1450),
    ("Cidre brut", 420),
    ("Chocolat noir", 310),
    ("Madeleines", 345),
    ("Savon de Marseille", 390),
    ("Carnet A5", 550),
    ("Stylo plume", 2490),
    ("Tote bag", 900),
    ("Carte cadeau 20 €", 2000),
    ("Bougie parfumée", 1890),
    ("Jus de pomme", 329),
    ("Farine T65", 189),
    ("Sel de Guérande", 420),
]
SIZES = ["", " 250 g", " 500 g", " 1 kg", " bio", " — lot de 2", " format familial"]


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    products: int
    groups: int
    skipped: bool = False
    existing_customers: int = 0


def _read_names(name: str) -> list[str]:
    text = resources.files("tillterm.demo.names").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def ean13(body12: str) -> str:
    """Append the EAN-13 check digit to a 12-digit body."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


#: EAN-13 weights applied to a pair of digits ("47" → 4 + 3 × 7): six lookups per code
_PAIR_WEIGHT = {f"{a}{b}": a + 3 * b for a in range(10) for b in range(10)}


def loyalty_card_code(n: int) -> str:
    """The demo's loyalty cards: in-store EAN-13 numbers starting with 29."""
    body = f"29{n:010d}"
    w = _PAIR_WEIGHT
    total = (
        w[body[0:2]] + w[body[2:4]] + w[body[4:6]] + w[body[6:8]] + w[body[8:10]] + w[body[10:12]]
    )
    return f"{body}{(10 - total % 10) % 10}"


def _skewed_stream(rng: random.Random, names: list[str], chunk: int = 4096) -> Iterator[str]:
    """Names with a Zipf-like skew: a few very common, a long tail of rare ones."""
    order = names[:]
    rng.shuffle(order)
    weights = list(accumulate(1.0 / (rank + 8) ** 0.8 for rank in range(len(order))))
    while True:
        yield from rng.choices(order, cum_weights=weights, k=chunk)


def _phone(rnd: Callable[[], float], country: str) -> str:
    def num(low: int, high: int) -> int:
        return low + int(rnd() * (high - low + 1))

    if country == "United Kingdom":
        return f"+44 7{num(100, 999)} {num(100000, 999999)}"
    if country == "Canada":
        # with its +1: the demo store is French, where "(514) …" would be a wrong number
        return f"+1 ({('514', '418', '819')[num(0, 2)]}) {num(200, 999)}-{num(1000, 9999)}"
    return (
        f"0{1 + int(rnd() * 7)} {int(rnd() * 100):02d} {int(rnd() * 100):02d} "
        f"{int(rnd() * 100):02d} {int(rnd() * 100):02d}"
    )


_PHONE_PUNCTUATION = str.maketrans("", "", " ()-+./")


def _forms(phone: str) -> PhoneForms:
    """The search forms :func:`tillterm.customers.phones.phone_forms` gives one of
    :func:`_phone`'s numbers in the demo store's region (FR: its country is left blank),
    built from the three shapes drawn there: a million library parses would double the
    demo's time (tests/test_phones.py checks they agree)."""
    found = phone.translate(_PHONE_PUNCTUATION)
    if phone.startswith("+44"):  # +44 7…: a British mobile
        nsn = found[2:]
        return PhoneForms((found, "0" + nsn, found), (nsn,))
    if phone.startswith("+1"):  # +1 (514) …: a Canadian number (its trunk prefix is 1)
        return PhoneForms((found, found, found), (found[1:],))
    nsn = found[1:]  # 0X XX XX XX XX
    return PhoneForms((found, found, "33" + nsn), (nsn,))


def _digits(*phones: str) -> str:
    return digits_text(_forms(p) for p in phones if p)


#: the tables written here: statements on SQLModel's class attributes type as ``bool``
#: and ``int | None``, on the Core tables as column expressions
_TAX = table_of(TaxRate)
_SETTINGS = table_of(StoreSettings)
_GROUP = table_of(CustomerGroup)
_TAG = table_of(Tag)
_CUSTOMER = table_of(Customer)


def _count(conn: Connection, model: type[SQLModel]) -> int:
    return int(conn.execute(select(func.count()).select_from(table_of(model))).scalar_one())


def _ensure_reference_data(conn: Connection) -> tuple[list[int], dict[str, int], list[int]]:
    tax_ids: dict[str, int] = {}
    for name, rate in TAX_RATES:
        key = name.casefold()
        found = conn.execute(select(_TAX.c.id).where(_TAX.c.name_key == key)).scalar()
        if found is None:
            found = conn.execute(
                insert(_TAX).values(name=name, name_key=key, rate=rate).returning(_TAX.c.id)
            ).scalar_one()
        tax_ids[name] = int(found)
    settings = conn.execute(select(_SETTINGS.c.name)).scalar()
    values = {
        "name": "Épicerie Dubois & Fils",
        "currency": "EUR",
        "default_tax_rate_id": tax_ids["Standard 20 %"],
        "prices_include_tax": True,
        "loyalty_points_per_unit": Decimal(1),
        "loyalty_point_value_cents": 1,
        "receipt_footer": "Merci de votre visite ! Thank you!",
    }
    if settings is None:
        conn.execute(insert(_SETTINGS).values(id=1, **values))
    elif settings == StoreSettings().name:  # the schema's untouched defaults: a new store
        conn.execute(update(_SETTINGS).where(_SETTINGS.c.id == 1).values(**values))
    group_ids = []
    for name, description, discount, tax in GROUPS:
        key = name.casefold()
        found = conn.execute(select(_GROUP.c.id).where(_GROUP.c.name_key == key)).scalar()
        if found is None:
            found = conn.execute(
                insert(_GROUP)
                .values(
                    name=name,
                    name_key=key,
                    description=description,
                    discount_percent=discount,
                    tax_rate_id=tax_ids.get(tax) if tax else None,
                    created_at=dt.datetime.now(dt.UTC),
                )
                .returning(_GROUP.c.id)
            ).scalar_one()
        group_ids.append(int(found))
    tag_ids = []
    for name in TAGS:
        key = name.casefold()
        found = conn.execute(select(_TAG.c.id).where(_TAG.c.name_key == key)).scalar()
        if found is None:
            found = conn.execute(
                insert(_TAG).values(name=name, name_key=key).returning(_TAG.c.id)
            ).scalar_one()
        tag_ids.append(int(found))
    if _count(conn, CustomField) == 0:
        conn.execute(
            insert(CustomField),
            [
                {
                    "name": "Shoe size",
                    "name_key": "shoe size",
                    "field_type": "number",
                    "choices": "",
                    "position": 1,
                },
                {
                    "name": "Preferred shop",
                    "name_key": "preferred shop",
                    "field_type": "choice",
                    "choices": "Centre\nGare\nMarché",
                    "position": 2,
                },
            ],
        )
    return group_ids, tax_ids, tag_ids


def _products(conn: Connection, rng: random.Random, count: int, tax_ids: dict[str, int]) -> int:
    existing = _count(conn, Product)
    rows = []
    for n in range(existing, existing + count):
        base, price = PRODUCTS[n % len(PRODUCTS)]
        variant = n // len(PRODUCTS)
        size = SIZES[variant % len(SIZES)]
        name = f"{base}{size}" + (f" #{variant // len(SIZES)}" if variant >= len(SIZES) else "")
        reduced = base.split()[0] in {"Café", "Thé", "Baguette", "Croissant", "Pain", "Farine"}
        rows.append(
            {
                "sku": f"SKU-{n + 1:06d}",
                "barcode": ean13(f"3{n + 1:011d}"),
                "name": name,
                "price_cents": price + (variant % 7) * 10,
                "tax_rate_id": tax_ids["Reduced 5.5 %"] if reduced else None,
                "active": True,
            }
        )
        if len(rows) >= BATCH:
            conn.execute(insert(Product), rows)
            rows.clear()
    if rows:
        conn.execute(insert(Product), rows)
    return count


def _given(consent: object, when: object) -> tuple[object, str]:
    """A demo consent's record: given on the form when the customer signed up."""
    return (when, "form") if consent else (None, "")


#: the customer columns a generated row fills, in table order (``id`` is assigned later)
CUSTOMER_COLUMNS: tuple[str, ...] = tuple(c.name for c in _CUSTOMER.columns if c.name != "id")


def generate_customers(
    count: int, *, start: int = 0, seed: int = 2026, group_ids: list[int] | None = None
) -> Iterator[dict[str, object]]:
    """Yield customer rows as plain dicts (also used by benchmarks to write CSV files)."""
    names = CUSTOMER_COLUMNS
    for row in _customer_tuples(count, start=start, seed=seed, group_ids=group_ids):
        yield dict(zip(names, row, strict=True))


def _customer_tuples(
    count: int,
    *,
    start: int = 0,
    seed: int = 2026,
    group_ids: list[int] | None = None,
    sqlite_ready: bool = False,
) -> Iterator[tuple[object, ...]]:
    """Customer rows as tuples in :data:`CUSTOMER_COLUMNS` order.

    Written for speed (a million rows is the benchmark size): one ``random()`` per
    decision, names drawn in chunks. With ``sqlite_ready`` the values are already in
    the form SQLAlchemy's SQLite types store (``0``/``1``, ISO text timestamps, percent
    thousandths), so the bulk insert hands them to the driver untouched;
    ``tests/test_demo.py`` checks both forms store the same rows.
    """
    rng = random.Random(seed + start)
    rnd = rng.random
    firsts = _skewed_stream(rng, _read_names("first_names.txt"))
    lasts = _skewed_stream(rng, _read_names("last_names.txt"))
    ascii_cache: dict[str, str] = {}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    groups = group_ids or []
    born = dt.date(1940, 1, 1)
    three_years = 3 * 365 * 86400
    step = three_years / max(count, 1)
    if sqlite_ready:
        now = now.replace(tzinfo=None)
        yes: object = 1
        no: object = 0
        five: object = 5000
        ten: object = 10000

        def stamp(value: dt.datetime) -> object:
            return value.isoformat(" ", "microseconds")

        def day(value: dt.date) -> object:
            return value.isoformat()

    else:
        yes, no, five, ten = True, False, FIVE, TEN

        def stamp(value: dt.datetime) -> object:
            return value

        def day(value: dt.date) -> object:
            return value

    def pick(seq: list[str] | tuple[str, ...]) -> str:
        return seq[int(rnd() * len(seq))]

    for n in range(start, start + count):
        fn, ln = next(firsts), next(lasts)
        city, postcode, country, spread = CITIES[int(rnd() * len(CITIES))]
        postal = postcode.format(1 + int(rnd() * spread)) if "{" in postcode else postcode
        phone = _phone(rnd, country)
        mobile = _phone(rnd, country) if rnd() < 0.2 else ""
        work = _phone(rnd, country) if rnd() < 0.05 else ""
        fa = ascii_cache.get(fn) or ascii_cache.setdefault(fn, _ascii(fn))
        la = ascii_cache.get(ln) or ascii_cache.setdefault(ln, _ascii(ln))
        roll = rnd()
        email = "" if roll < 0.08 else f"{fa}.{la}{n % 997 if roll < 0.6 else ''}@{pick(DOMAINS)}"
        company = f"{pick(COMPANIES)} {ln}" if rnd() < 0.08 else ""
        # customers join over the last three years in id order, as in a real store (and
        # the created-at index then grows at its end instead of all over)
        age = int(three_years - (n - start + rnd()) * step)
        created = stamp(now - dt.timedelta(seconds=age))
        code = loyalty_card_code(n + 1)
        group = groups[int(rnd() * len(groups))] if groups and rnd() < 0.3 else None
        address2 = "" if rnd() < 0.9 else f"Appartement {1 + int(rnd() * 60)}"
        birth = day(born + dt.timedelta(days=int(rnd() * 65 * 365))) if rnd() < 0.5 else None
        reg_no = f"{100_000_000 + int(rnd() * 9e8)}" if company else ""
        vat = f"FR{10 + int(rnd() * 89)}{100_000_000 + int(rnd() * 9e8)}" if company else ""
        discount = (five if rnd() < 0.5 else ten) if rnd() < 0.03 else None
        on_account = yes if company or rnd() < 0.02 else no
        limit = 50000 if company else (20000 if rnd() < 0.02 else None)
        optin = yes if roll < 0.4 else no
        # the order of CUSTOMER_COLUMNS (models.Customer)
        yield (
            code,  # customer_code
            code,  # code_key
            fn,
            ln,
            email,
            phone,
            group,
            optin,  # marketing_opt_in
            f"{1 + int(rnd() * 180)} {pick(STREETS)}",  # address1
            address2,
            city,
            "Québec" if country == "Canada" else "",  # state
            postal,
            country,
            birth,
            pick(TITLES),
            company,
            reg_no,
            vat,
            f"https://www.{la}.fr" if company else "",  # website
            "",  # phone_home
            work,
            mobile,
            "",  # phone_pager
            "",  # phone_fax
            "",  # email2
            discount,
            None,  # tax_rate_id
            no,  # tax_exempt
            on_account,
            limit,  # balance_limit_cents
            yes if rnd() < 0.6 else no,  # loyalty_enabled
            optin,  # consent_email
            # drawn here, in the tuple's order: the demo's numbers stay what they were
            (by_mail := yes if rnd() < 0.1 else no),  # consent_mail
            (by_phone := yes if rnd() < 0.05 else no),  # consent_phone
            # each consent given: when the customer signed up, on the form
            *_given(optin, created),  # marketing_opt_in_at, _via
            *_given(optin, created),  # consent_email_at, _via
            *_given(by_mail, created),  # consent_mail_at, _via
            *_given(by_phone, created),  # consent_phone_at, _via
            "",  # notes
            _digits(phone, mobile, work),
            created,  # created_at
            created,  # updated_at
            None,  # archived_at
        )


def seed_demo(
    engine: Engine,
    *,
    customers: int = 2000,
    products: int = 500,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Fill the database with a demo store. A database with customers is left alone.

    On SQLite a large store is generated by a second process while this one inserts
    (a million customers is CPU-bound on both sides), and each batch goes in through
    :func:`tillterm.store.search_index.bulk_insert`, which indexes it for search in one
    statement. On PostgreSQL see :func:`_seed_postgresql`.
    """
    with engine.begin() as conn:
        existing = _count(conn, Customer)
        if existing:
            return DemoSummary(0, 0, 0, skipped=True, existing_customers=existing)
        group_ids, tax_ids, tag_ids = _ensure_reference_data(conn)
        rng = random.Random(seed)
        # the product word index catches up once, not a trigger per row
        with product_index.bulk_insert(conn):
            _products(conn, rng, products, tax_ids)
    if engine.dialect.name == "postgresql":
        done = _seed_postgresql(engine, customers, seed, group_ids, tag_ids, rng, progress)
        return DemoSummary(customers=done, products=products, groups=len(group_ids))
    done = 0
    try:
        for batch in _batches(engine, customers, seed, group_ids):
            done += _insert_customers(engine, batch, tag_ids, rng)
            if progress:
                progress(done)
    finally:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 1000")
    return DemoSummary(customers=done, products=products, groups=len(group_ids))


#: let the write-ahead log grow while seeding: checkpointing every 4 MB rewrites the same
#: index pages over and over (the connection's default is restored at the end)
WAL_PAGES = 50_000
#: below this, a helper process costs more than it saves
PARALLEL_FROM = 100_000


def _batches(
    engine: Engine, count: int, seed: int, group_ids: list[int]
) -> Iterator[list[tuple[object, ...]]]:
    sqlite_ready = engine.dialect.name == "sqlite"
    staged = sqlite_ready and staging.can_attach()
    if not sqlite_ready or count < PARALLEL_FROM:
        rows = _customer_tuples(count, seed=seed, group_ids=group_ids, sqlite_ready=sqlite_ready)
        while batch := list(islice(rows, BATCH)):
            yield batch
        return
    yield from _helper_batches(
        _produce, (count, seed, group_ids, staged), "the customers made so far are kept"
    )


def _helper_batches(
    target: Callable[..., None], args: tuple[Any, ...], outcome: str
) -> Iterator[Any]:
    """What a helper process running ``target(queue, *args)`` puts in its queue, until
    it puts ``None``; ``outcome``: what a person is told is left if the helper dies."""
    # fork: the helper needs nothing but this module, and spawn would re-run the caller's
    # script; it never touches the parent's database connections and leaves through
    # os._exit (multiprocessing's own exit), so they are not closed behind our back.
    ctx = (
        multiprocessing.get_context("fork")
        if "fork" in multiprocessing.get_all_start_methods()
        else multiprocessing.get_context("spawn")
    )
    queue = ctx.Queue(maxsize=2)
    worker = ctx.Process(
        target=target,
        args=(queue, *args),
        name="tillterm-demo",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            try:
                batch = queue.get(timeout=1)
            except Empty:
                if worker.is_alive():
                    continue
                raise TilltermError(
                    f"The demo generator stopped unexpectedly; {outcome}."
                ) from None
            if batch is None:
                return
            yield batch
    finally:
        worker.join(timeout=5)
        if worker.is_alive():  # the consumer stopped early (an error): do not leave it behind
            worker.terminate()


def _produce(queue: Any, count: int, seed: int, group_ids: list[int], staged: bool) -> None:
    """The helper process: generate SQLite-ready batches and hand them over.

    With ``staged`` each batch is handed over as a staged SQLite image
    (``tillterm.store.staging``): turning the rows into stored values is then done here,
    on the other core, and the inserting process copies them in with one statement.
    """
    rows = _customer_tuples(count, seed=seed, group_ids=group_ids, sqlite_ready=True)
    while batch := list(islice(rows, BATCH)):
        queue.put(_stage(batch) if staged else batch)
    queue.put(None)


def _seed_postgresql(
    engine: Engine,
    count: int,
    seed: int,
    group_ids: list[int],
    tag_ids: list[int],
    rng: random.Random,
    progress: Callable[[int], None] | None,
) -> int:
    """The customers of a PostgreSQL demo store: ``COPY``, one transaction, indexes planned.

    Rows bound one by one cost a round of the pipeline each (a million customers took
    about nine minutes); ``COPY`` text, written by a helper process on the other core
    for a large store, goes in at the server's own pace. The store is new, so its
    secondary indexes (search included) are built once at the end and the tables
    analysed (:func:`tillterm.store.staging.planned_indexes`). All or nothing: a demo
    that fails leaves no customer behind.
    """
    done = 0
    columns = ["id", *CUSTOMER_COLUMNS]
    with engine.begin() as conn:
        first_id = _last_customer_id(conn) + 1
        with staging.planned_indexes(conn, ("customer", "customer_tag"), count):
            for payload, size in _pg_batches(count, seed, group_ids, first_id):
                staging.copy_in(conn, "customer", columns, payload)
                links = [
                    (customer_id, tag)
                    for customer_id in range(first_id + done, first_id + done + size)
                    if rng.random() < 0.25
                    for tag in rng.sample(tag_ids, rng.choice([1, 1, 2]))
                ]
                if links:
                    staging.copy_in(
                        conn, "customer_tag", ["customer_id", "tag_id"], staging.copy_text(links)
                    )
                done += size
                if progress:
                    progress(done)
        # the ids were written, not drawn: new customers number on from the last one
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('customer', 'id'), "
            "(SELECT coalesce(max(id), 0) + 1 FROM customer), false)"
        )
    staging.vacuum_loaded(engine, ("customer", "customer_tag"))
    return done


def _pg_batches(
    count: int, seed: int, group_ids: list[int], first_id: int
) -> Iterator[tuple[bytes, int]]:
    """``COPY`` payloads of the customers (and how many each holds), numbered from
    ``first_id``: made here for a small store, by a helper process for a large one."""
    if count < PARALLEL_FROM:
        rows = _customer_tuples(count, seed=seed, group_ids=group_ids, sqlite_ready=True)
        made = 0
        while batch := list(islice(rows, BATCH)):
            yield staging.copy_text(batch, first_id + made), len(batch)
            made += len(batch)
        return
    yield from _helper_batches(
        _produce_copy, (count, seed, group_ids, first_id), "no customer was added"
    )


def _produce_copy(queue: Any, count: int, seed: int, group_ids: list[int], first_id: int) -> None:
    """The helper process of a PostgreSQL demo: ``COPY`` text batches, numbered."""
    rows = _customer_tuples(count, seed=seed, group_ids=group_ids, sqlite_ready=True)
    made = 0
    while batch := list(islice(rows, BATCH)):
        queue.put((staging.copy_text(batch, first_id + made), len(batch)))
        made += len(batch)
    queue.put(None)


def _stage(rows: list[tuple[object, ...]]) -> bytes:
    return staging.rows_image(CUSTOMER_COLUMNS, rows)


def _insert_customers(
    engine: Engine, rows: list[tuple[object, ...]] | bytes, tag_ids: list[int], rng: random.Random
) -> int:
    with engine.begin() as conn:
        if isinstance(rows, bytes):  # a staged image from the helper process
            if not staging.attach(conn):
                raise TilltermError("The demo could not stage its customers; try again.")
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
            with bulk_insert(conn):
                ids = _staged_insert(conn, rows)
            staging.clear(conn)
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {WAL_PAGES}")
            with bulk_insert(conn):
                ids = _fast_sqlite_insert(conn, rows)
        else:
            names = CUSTOMER_COLUMNS
            ids = list(
                conn.execute(
                    insert(_CUSTOMER).returning(_CUSTOMER.c.id, sort_by_parameter_order=True),
                    [dict(zip(names, row, strict=True)) for row in rows],
                ).scalars()
            )
        links = []
        for customer_id in ids:
            if rng.random() < 0.25:
                for tag in rng.sample(tag_ids, rng.choice([1, 1, 2])):
                    links.append((customer_id, tag))
        if links:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    "INSERT INTO customer_tag (customer_id, tag_id) VALUES (?, ?)", links
                )
            else:
                conn.execute(
                    insert(CustomerTag), [{"customer_id": c, "tag_id": t} for c, t in links]
                )
    return len(ids)


def _staged_insert(conn: Connection, staged: bytes) -> list[int]:
    """Copy a staged batch in (inside :func:`bulk_insert`'s transaction: ids follow on)."""
    first_id = _last_customer_id(conn) + 1
    staging.insert(conn, "customer", list(CUSTOMER_COLUMNS), staged)
    return list(range(first_id, _last_customer_id(conn) + 1))


def _last_customer_id(conn: Connection) -> int:
    """The highest customer id so far (0 for none): new ids follow on from it."""
    return int(conn.execute(select(func.coalesce(func.max(_CUSTOMER.c.id), 0))).scalar_one())


def _fast_sqlite_insert(conn: Connection, rows: list[tuple[object, ...]]) -> list[int]:
    """Insert SQLite-ready tuples through the driver's ``executemany``.

    Several times faster than Core: no per-value type processing (the generator already
    wrote the stored form) and no per-row statement bookkeeping.
    """
    first_id = _last_customer_id(conn) + 1
    names = ", ".join(["id", *CUSTOMER_COLUMNS])
    marks = ", ".join("?" * (len(CUSTOMER_COLUMNS) + 1))
    data = [(first_id + offset, *row) for offset, row in enumerate(rows)]
    conn.exec_driver_sql(f"INSERT INTO customer ({names}) VALUES ({marks})", data)
    return list(range(first_id, first_id + len(rows)))
