"""Open a database the normal way, and die by a signal at the N-th SQL statement.

A test-only hook, installed here and nowhere in the product: a ``before_cursor_execute``
listener on every engine counts the statements ``open_db`` runs (checks, the upgrade's
DDL and data moves) and sends this process ``SIGNAL`` just before statement ``N``
(``commit``: just before the upgrade's COMMIT).

- ``python killed_open.py TARGET N SIGNAL``: once, on TARGET (an SQLite path or a URL).
  N = 0 kills nowhere; then the number of statements is printed.
- ``python killed_open.py --batch TEMPLATE WORKDIR SIGNAL N1 N2 ...``: for each N, copy
  the SQLite file TEMPLATE to ``WORKDIR/N.db`` and open that copy in a forked child
  (the imports are paid once). Prints one line per N: ``N killed|finished``.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tillterm.store.engine import open_db

SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "HUP": signal.SIGHUP}


def arm(point: str, signame: str) -> list[int]:
    """Install the counting listener; returns the (mutable) statement count."""
    count = [0]
    sig = SIGNALS[signame]

    def before(*_args: Any) -> None:
        count[0] += 1
        if point.isdigit() and count[0] == int(point):
            os.kill(os.getpid(), sig)

    def before_commit(_conn: Any) -> None:
        # the upgrade's commit: Alembic is imported only to upgrade, after the WAL switch
        if point == "commit" and "alembic" in sys.modules:
            os.kill(os.getpid(), sig)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "commit", before_commit)
    return count


def open_once(target: str, point: str, signame: str) -> int:
    count = arm(point, signame)
    engine = open_db(target)
    engine.dispose()
    return count[0]


def batch(template: Path, workdir: Path, signame: str, points: list[str]) -> None:
    for point in points:
        copy = workdir / f"{point}.db"
        shutil.copyfile(template, copy)
        pid = os.fork()
        if pid == 0:  # the child: open the copy and (normally) never come back
            try:
                open_once(str(copy), point, signame)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        outcome = "killed" if os.WIFSIGNALED(status) else "finished"
        print(point, outcome, flush=True)


def main(argv: list[str]) -> None:
    if argv[0] == "--batch":
        batch(Path(argv[1]), Path(argv[2]), argv[3], argv[4:])
        return
    target, point, signame = argv
    print(open_once(target, point, signame), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
