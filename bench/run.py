"""``make bench``: run every benchmark and print its figures.

Each ``bench/bench_*.py`` has a ``main()`` that prints its own figures; this file adds
the foundation's (start-up time, ``--version`` time, idle memory) and runs the rest.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass in a benchmark looks its module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    only = set(sys.argv[1:])
    speed = _load(HERE / "machine_speed.py")
    print(speed.speed_line(), flush=True)
    failed: list[str] = []
    paths = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.name != "bench_startup.py", p.name))
    for path in paths:
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"\n== {name} ==", flush=True)
        # each benchmark reads its own flags from the command line: the names given
        # here are not its (bench_register's parser refused them and ended the run)
        sys.argv = [str(path)]
        try:
            if _load(path).main():  # a benchmark whose own checks failed says so
                failed.append(name)
        except Exception:  # one benchmark that breaks leaves the others' figures
            traceback.print_exc()
            failed.append(name)
    print(f"\n{speed.speed_line()}", flush=True)
    if failed:
        print(f"\nchecks failed in: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
