"""What tillterm relies on inside psycopg, checked against the installed version.

``store/deadline.py`` bounds every wait of a PostgreSQL connection by overriding
``psycopg.Connection.wait`` and calling ``psycopg.waiting.wait`` with a timeout, whose
expiry psycopg signals with ``errors._WaitTimeout``. A psycopg release that renames or
reshapes any of them shows here first, not as a register frozen by a paused server.
pyproject pins psycopg to the minor series these were read from.
"""

from __future__ import annotations

import inspect

import psycopg
from psycopg import errors, waiting


def test_installed_psycopg_is_in_the_pinned_series() -> None:
    major, minor = (int(part) for part in psycopg.__version__.split(".")[:2])
    assert (major, minor) == (3, 3), f"psycopg {psycopg.__version__}: re-read store/deadline.py"


def test_connection_wait_keeps_its_signature() -> None:
    wait = psycopg.Connection.__dict__.get("wait")
    assert wait is not None, "psycopg.Connection.wait is gone"
    assert list(inspect.signature(wait).parameters) == ["self", "gen", "interval", "timeout"]


def test_waiting_wait_takes_a_timeout_and_signals_it() -> None:
    params = inspect.signature(waiting.wait).parameters
    assert list(params)[:2] == ["gen", "fileno"] and "timeout" in params and "interval" in params
    assert issubclass(errors._WaitTimeout, Exception)
