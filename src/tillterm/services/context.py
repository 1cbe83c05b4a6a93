"""One handle on every service, built once per app (or per command) and handed down.

Screens reach the use cases through ``self.services`` (the UI's base screen), never
by opening sessions themselves: where a transaction begins and ends is decided
here, in the application layer, the same for the register and for the CLI.

The engine is a callable, not an engine: the app opens its database behind the first
frame, and a service asked for it from a worker in that moment waits for it rather
than fail (the app's ``engine`` property does the waiting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.services.back_office import BackOffice
    from tillterm.services.customer_care import CustomerCare
    from tillterm.services.drawer import Drawer
    from tillterm.services.imports import Imports
    from tillterm.services.merges import Merges
    from tillterm.services.printing import ReceiptPrinter
    from tillterm.services.products import ProductCare
    from tillterm.services.settings import StoreSettings
    from tillterm.services.till import Till


@dataclass
class Services:
    """What a register (or a command) works with: its database, its name, its paper."""

    engine: Callable[[], Engine]
    register: str = "till"
    #: where this register's receipt files go (``None``: the configured folder)
    receipts_dir: Path | None = field(default=None)

    @cached_property
    def store_settings(self) -> StoreSettings:
        """The store's settings (imported on first use: it loads the ORM)."""
        from tillterm.services.settings import StoreSettings

        return StoreSettings(self.engine)

    @cached_property
    def till(self) -> Till:
        """This register's sales: its open sale, its lock, its receipts (imported on
        first use, from a worker: the sales domain loads the ORM, which the first frame
        must not wait for).

        One till, one lock, even when two workers ask at once: from Python 3.12
        ``cached_property`` no longer locks, so both may build one; ``setdefault`` (atomic)
        makes them hand back the same.
        """
        from tillterm.services.till import Till

        till: Till = self.__dict__.setdefault(
            "_till", Till(self.engine, self.register, self.receipts_dir, self.paper_width)
        )
        return till

    def paper_width(self) -> int:
        """This register's paper, in columns: receipts and reports are rendered at it."""
        return self.printer.paper_width()

    @cached_property
    def printer(self) -> ReceiptPrinter:
        """This register's receipt printer (``printer.toml``; none: nothing printed)."""
        from tillterm.services.printing import ReceiptPrinter

        return ReceiptPrinter(self.engine)

    @cached_property
    def imports(self) -> Imports:
        """Spreadsheets in and out (the Import screen, ``tillterm import`` / ``export``)."""
        from tillterm.services.imports import Imports

        return Imports(self.engine)

    @cached_property
    def customers(self) -> CustomerCare:
        """The customer use cases (search, profiles, saving, groups, tags, export)."""
        from tillterm.services.customer_care import CustomerCare

        return CustomerCare(self.engine)

    @cached_property
    def drawer(self) -> Drawer:
        """This register's cash drawer, X and Z reports (imported on first use)."""
        from tillterm.services.drawer import Drawer

        return Drawer(self.engine, self.register, self.paper_width)

    @cached_property
    def back_office(self) -> BackOffice:
        """Setting the store up: its details, tax rates and custom fields (F11)."""
        from tillterm.services.back_office import BackOffice

        return BackOffice(self.engine)

    @cached_property
    def merges(self) -> Merges:
        """Merging duplicate customers, and undoing merges."""
        from tillterm.services.merges import Merges

        return Merges(self.engine)

    @cached_property
    def products(self) -> ProductCare:
        """The back office's products: list, search, create/edit, import and export."""
        from tillterm.services.products import ProductCare

        return ProductCare(self.engine)
