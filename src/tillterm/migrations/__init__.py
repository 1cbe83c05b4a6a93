"""The schema's history, as Alembic migrations shipped inside the package.

Revision ids are the file names in ``versions/`` (``0001_initial``...), numbered so the
head is the highest. That lets ``open_db`` tell "at head", "older" and "newer than this
tillterm" from a directory listing, without importing Alembic on every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
KNOWN_REVISIONS: tuple[str, ...] = tuple(
    sorted(p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
)
HEAD_REVISION: str = KNOWN_REVISIONS[-1] if KNOWN_REVISIONS else ""


#: database objects that are not SQLAlchemy tables (the search index: FTS5 tables and
#: their shadow tables on SQLite, expression indexes on PostgreSQL) are named like this
UNMODELLED_PREFIX = "search_"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic hook: leave the search index out of models-vs-database comparisons."""
    return not (reflected and compare_to is None and (name or "").startswith(UNMODELLED_PREFIX))


def alembic_config(engine: Engine) -> object:
    """An Alembic ``Config`` pointing at the shipped scripts and bound to ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def run_upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction per step."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)  # type: ignore[arg-type]
