"""Another register on the same SQLite file: a process of its own, driven line by line.

Run as ``python db_peer.py DB``; it opens the database through tillterm (Python's
``sqlite3``), keeps its connection open between commands (a register holding the
database), and answers each line of stdin with one line:

- ``add LAST``: create a customer named Peer LAST → ``ok``
- ``count LAST``: how many customers have that last name → ``N``
- ``integrity``: ``PRAGMA integrity_check`` → ``ok`` or the first problem
- ``quit``: close the connection and leave → ``bye``
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from tillterm.customers.profiles import create_customer
from tillterm.store.engine import open_db, session_scope


def main() -> int:
    engine = open_db(sys.argv[1])
    with engine.connect() as conn:  # open now: the database is held from the start
        conn.execute(text("SELECT 1"))
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "add":
            with session_scope(engine) as session:
                create_customer(session, {"first_name": "Peer", "last_name": arg})
            answer = "ok"
        elif command == "count":
            with engine.connect() as conn:
                answer = str(
                    conn.execute(
                        text("SELECT count(*) FROM customer WHERE last_name = :n"), {"n": arg}
                    ).scalar_one()
                )
        elif command == "integrity":
            with engine.connect() as conn:
                answer = str(conn.execute(text("PRAGMA integrity_check")).scalar_one())
        elif command == "quit":
            engine.dispose()
            print("bye", flush=True)
            return 0
        else:
            answer = f"unknown command {command}"
        print(answer, flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
