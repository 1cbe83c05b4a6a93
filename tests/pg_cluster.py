"""A throwaway PostgreSQL server for the tests that stop, restart and pause it.

The shared test server (``TILLTERM_TEST_PG_URL``) is never stopped: these tests make
their own cluster with ``initdb`` on a free port, start it with ``pg_ctl`` and remove it
afterwards. ``initdb`` refuses to run as root, so under root the cluster runs as the
``postgres`` user (``runuser``), in a folder it owns under the system's temporary
directory (pytest's own ``tmp_path`` is private to root, and postgres could not enter
it). The tests are skipped, saying why, where the server's programs are missing.

``pause`` sends SIGSTOP to the postmaster and every backend: the TCP connections stay
open and the kernel keeps acknowledging them, exactly what a network partition looks
like from a register; ``resume`` sends SIGCONT.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

#: where Debian's PostgreSQL 15 keeps its server programs (``pg_config`` is asked too)
BIN_DIRS = ("/usr/lib/postgresql/15/bin",)
RUN_AS = "postgres"


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates = [Path(d) for d in BIN_DIRS]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
            candidates.append(Path(out.stdout.strip()))
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PgCluster:
    """One PostgreSQL server of our own: start, stop, restart, pause, resume."""

    def __init__(self, bindir: Path, base: Path, as_user: str | None) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.log = base / "server.log"
        self.port = free_port()
        self._as_user = as_user

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_user is not None:
            command = ["runuser", "-u", self._as_user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}{tail}")
        return done

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: sessions are told; ``immediate``: like a crash)."""
        self.resume()  # a paused server cannot stop
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop",
                  check=False)  # fmt: skip

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _pids(self) -> list[int]:
        """The postmaster and all its children (backends, checkpointer, walwriter...)."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().split()[0])
        pids = [postmaster]
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == postmaster:
                    pids.append(int(entry))
        return pids

    def _signal(self, signum: int) -> None:
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def pause(self) -> None:
        """The server hangs: every one of its processes stopped (SIGSTOP)."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """A started cluster of our own, removed afterwards; skips when it cannot be made."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL server programs not found (looked in {', '.join(BIN_DIRS)})")
    as_user: str | None = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing: initdb refuses root")
        try:
            import pwd

            entry = pwd.getpwnam(RUN_AS)
        except KeyError:
            pytest.skip(f"running as root and there is no {RUN_AS} user to run initdb as")
        as_user = RUN_AS
    base = Path(tempfile.mkdtemp(prefix="tillterm-pg-"))
    if as_user is not None:
        os.chown(base, entry.pw_uid, entry.pw_gid)
    cluster = PgCluster(bindir, base, as_user)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
