"""``make bench``: run every benchmark and print its figures.

Each ``bench/bench_*.py`` has a ``main()`` that prints its own figures; this file adds
the foundation's (start-up time, ``--version`` time, idle memory) and runs the rest.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    only = set(sys.argv[1:])
    paths = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.name != "bench_startup.py", p.name))
    for path in paths:
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"\n== {name} ==", flush=True)
        _load(path).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
