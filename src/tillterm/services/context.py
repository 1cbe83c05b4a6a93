"""One handle on every service, built once per app (or per command) and handed down.

Screens reach the use cases through ``self.services`` (the UI's base screen), never
by opening sessions themselves: where a transaction begins and ends is decided
here, in the application layer, the same for the register and for the CLI.

The engine is a callable, not an engine: the app opens its database behind the first
frame, and a service asked for it from a worker in that moment waits for it rather
than fail (the app's ``engine`` property does the waiting).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from tillterm.services.customer_care import CustomerCare


@dataclass
class Services:
    """What a register (or a command) works with: its database, its name, its paper."""

    engine: Callable[[], Engine]
    register: str = "till"
    #: where this register's receipt files go (``None``: the configured folder)
    receipts_dir: Path | None = field(default=None)

    @functools.cached_property
    def customers(self) -> CustomerCare:
        """The customer use cases (search, profiles, saving, groups, tags, export)."""
        from tillterm.services.customer_care import CustomerCare

        return CustomerCare(self.engine)
