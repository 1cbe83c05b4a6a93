"""The one worker shape: a job's result, its expected failure and an unexpected one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conftest import wait_until
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tillterm.core.errors import TilltermError
from tillterm.ui.jobs import JobRunner


class JobScreen(JobRunner, Screen[None]):
    @dataclass
    class Loaded(Message):
        value: int

    @dataclass
    class LoadFailed(Message):
        error: str

    busy = False
    failed_groups: list[str]

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("idle", id="state")

    def on_mount(self) -> None:
        self.failed_groups = []

    def start(self, job) -> None:  # type: ignore[no-untyped-def]
        self.busy = True
        self.run_job(
            "load",
            job,
            self.Loaded,
            self.LoadFailed,
            description="loading the test value",
        )

    def on_job_screen_loaded(self, message: Loaded) -> None:
        self.busy = False
        self.query_one("#state", Static).update(f"value {message.value}")

    def on_job_screen_load_failed(self, message: LoadFailed) -> None:
        self.busy = False
        self.query_one("#state", Static).update(f"refused: {message.error}")

    def job_failed(self, group: str, error: BaseException) -> None:
        self.busy = False
        self.failed_groups.append(group)


def _app():  # type: ignore[no-untyped-def]
    from tillterm.ui.app import TilltermApp

    class Bare(TilltermApp):
        def on_ready(self) -> None:  # no register, no database: just the screen
            self.push_screen(JobScreen())

    return Bare


async def test_a_result_reaches_the_screen(engine) -> None:  # type: ignore[no-untyped-def]
    app = _app()(engine, scanner=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen), "the job screen")
        screen = app.screen
        screen.start(lambda: 42)
        await wait_until(pilot, lambda: not screen.busy, "the job to end")
        assert str(screen.query_one("#state", Static).render()) == "value 42"


async def test_an_expected_failure_is_the_screens_to_say(engine, _failure_log: Path) -> None:  # type: ignore[no-untyped-def]
    def refuse() -> int:
        raise TilltermError("The database is locked by another program.")

    app = _app()(engine, scanner=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen), "the job screen")
        screen = app.screen
        screen.start(refuse)
        await wait_until(pilot, lambda: not screen.busy, "the job to end")
        assert "refused: The database is locked" in str(screen.query_one("#state").render())
        assert screen.failed_groups == []
        assert not app._notifications
    assert not _failure_log.exists()


async def test_an_unexpected_failure_is_told_logged_and_resets_the_screen(
    engine,  # type: ignore[no-untyped-def]
    _failure_log: Path,
) -> None:
    def bug() -> int:
        return {}["missing"]  # a KeyError nobody planned for

    app = _app()(engine, scanner=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JobScreen), "the job screen")
        screen = app.screen
        screen.start(bug)
        await wait_until(pilot, lambda: screen.failed_groups == ["load"], "the failure hook")
        assert not screen.busy
        said = [n.message for n in app._notifications]
        assert len(said) == 1 and said[0].startswith(
            "Unexpected error while loading the test value: 'missing'"
        )
        assert str(_failure_log) in said[0]
        # the screen still works: the next job delivers
        screen.start(lambda: 7)
        await wait_until(
            pilot, lambda: "value 7" in str(screen.query_one("#state").render()), "value 7"
        )
    logged = _failure_log.read_text()
    assert "loading the test value" in logged and "KeyError: 'missing'" in logged
    assert "Traceback" in logged
    assert _failure_log.stat().st_mode & 0o777 == 0o600
