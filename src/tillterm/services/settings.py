"""The store's settings (name, currency, tax, loyalty, receipt footer) for a register.

Settings live in the database, shared by every register of the store; the app reads
them once its database is open to put the store's name in the header. Pricing reads
them again on every change (:mod:`tillterm.catalog.settings` says why they are never
cached), so this service only answers "what are they now".

Imported when first asked for (``Services.store_settings``), in a worker: it loads the
ORM, which the register's first frame must not wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tillterm.catalog.settings import StoreInfo, load_settings
from tillterm.store.engine import session_scope

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["StoreInfo", "StoreSettings"]


class StoreSettings:
    """Reads the store's settings in a transaction of its own."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def load(self) -> StoreInfo:
        """The settings as stored now; a brand-new database gets its defaults written."""
        with session_scope(self._engine()) as session:
            return load_settings(session)
