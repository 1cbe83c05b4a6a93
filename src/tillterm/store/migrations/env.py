"""Alembic environment: runs on the connection ``run_upgrade`` hands over.

That connection is already inside the upgrade's one transaction (see the package
docstring), so Alembic opens none of its own: ``begin_transaction`` below is a no-op on
an external transaction, and every revision up to the target runs inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import context

from tillterm.store.migrations import include_object, migration_engine
from tillterm.store.models import metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        transactional_ddl=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


config = context.config
given = config.attributes.get("connection")
if given is not None:
    run(given)
else:  # autogenerate, or Alembic's own commands: the same one-transaction connection
    engine = config.attributes.get("engine")
    if engine is None:  # pragma: no cover - the alembic CLI by hand
        from tillterm.store.engine import build_engine

        engine = build_engine(config.get_main_option("sqlalchemy.url") or "tillterm.db")
    runner = migration_engine(engine)
    try:
        with runner.connect() as conn, conn.begin():
            run(conn)
    finally:
        if runner is not engine:
            runner.dispose()
