"""Alembic environment: runs against the engine ``open_db`` hands over."""

from __future__ import annotations

from alembic import context

from tillterm.migrations import include_object
from tillterm.models import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    from tillterm.db import build_engine

    engine = build_engine(config.get_main_option("sqlalchemy.url") or "tillterm.db")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
