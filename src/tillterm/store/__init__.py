"""Where the data lives: engine and target, models, migrations, the search index,
staging for bulk writes, private files, and the user's configuration paths.

Public API: :func:`tillterm.store.engine.open_db` / :func:`open_target` (the engine
factory, schema at head), :func:`tillterm.store.engine.session_scope`,
:class:`tillterm.store.target.DbTarget` (checked before anything heavy loads).
Modules are imported by name, not from here: ``tillterm.store.target`` and
``tillterm.store.config`` are read at cold start, before SQLAlchemy loads.
"""
