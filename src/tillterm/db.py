"""``tillterm.db.open_db``, the engine factory named in earlier issues.

The engine now lives in :mod:`tillterm.store.engine`; this name keeps working for
scripts that open a store by hand.
"""

from tillterm.store.engine import open_db, session_scope

__all__ = ["open_db", "session_scope"]
