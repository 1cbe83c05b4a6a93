"""The terminal-wedge rule on its own: key times in, a verdict at each Enter out.

Issue 16 §5: a stall in the middle of a scan made a code of its tail (``111064`` from
``035751111064``), and an SSH stall that delivered ``crois`` Enter in one read made
typing a "scan". Times here are the terminal driver's (seconds, as ``Key.time``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tillterm.scanner.wedge import BrokenScan, BurstDetector, WedgeScan

PERSON = 0.15  # a person: 150 ms per key
SCANNER = 0.004  # a wedge scanner: 4 ms per key
BUNCHED = 0.00002  # one terminal read: the parser's microseconds between keys


class Keys:
    """Feed a detector text at a given pace; ``\\n`` is Enter, ``\\t`` another key."""

    def __init__(self, detector: BurstDetector | None = None, now: float = 1000.0) -> None:
        self.detector = detector or BurstDetector()
        self.now = now
        self.verdicts: list[WedgeScan | BrokenScan | None] = []

    def type(self, text: str, gap: float) -> Keys:
        for ch in text:
            if ch == "\n":
                self.verdicts.append(self.detector.enter(self.now))
            elif ch == "\t":
                self.detector.other_key()
            else:
                self.detector.character(self.now, ch)
            self.now += gap
        return self

    def wait(self, seconds: float) -> Keys:
        self.now += seconds
        return self

    @property
    def last(self) -> WedgeScan | BrokenScan | None:
        return self.verdicts[-1]


def code(verdict: WedgeScan | BrokenScan | None) -> str | None:
    return verdict.code if isinstance(verdict, WedgeScan) else None


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    assert code(Keys().type("4006381333931\n", SCANNER).last) == "4006381333931"
    assert code(Keys().type("4006381333931\n", BUNCHED).last) == "4006381333931"


def test_typing_is_typing() -> None:
    keys = Keys().type("croissant\n", PERSON)
    assert keys.last is None
    assert Keys().type("abc\n", SCANNER).last is None  # fast, but too short


@pytest.mark.parametrize("stall", [0.15, 1.0, 1.9])
@pytest.mark.parametrize("pace", [SCANNER, BUNCHED])
def test_a_stalled_scan_is_refused_whole_never_its_tail(stall: float, pace: float) -> None:
    keys = Keys().type("035751", pace).wait(stall).type("111064\n", pace)
    verdict = keys.last
    assert isinstance(verdict, BrokenScan)
    assert "".join(verdict.head.characters) == "035751"  # the field goes back before it
    # the cashier scans again: read whole
    assert code(keys.wait(0.8).type("035751111064\n", SCANNER).last) == "035751111064"


def test_two_stalls_in_one_scan_refuse_it_from_its_first_fragment() -> None:
    keys = Keys().type("0357", SCANNER).wait(0.5).type("511", SCANNER).wait(0.7)
    verdict = keys.type("11064\n", SCANNER).last
    assert isinstance(verdict, BrokenScan) and verdict.head.characters == list("0357")


@pytest.mark.parametrize("tail", ["4\n", "64\n"])
def test_a_short_tail_is_refused_too(tail: str) -> None:
    keys = Keys().type("03575111106"[: 12 - len(tail)], SCANNER).wait(0.4)
    assert isinstance(keys.type(tail, SCANNER).last, BrokenScan)


def test_in_a_question_an_enter_alone_after_a_stall_ends_a_broken_scan() -> None:
    """The stall came just before the Enter: in a question it would press a button."""

    def lone_enter(text: str, gap: float, pause: float, *, held: bool = True) -> object:
        keys = Keys().type(text, gap).wait(pause)
        return keys.detector.enter(keys.now, keys_held=held)

    assert isinstance(lone_enter("035751111064", SCANNER, 0.6), BrokenScan)
    # long after (the stall window is 2 s), an Enter is a person's
    assert lone_enter("035751111064", SCANNER, 2.5) is None
    # two or three fast keys are a person's roll-over, not a code
    assert lone_enter("the", 0.01, 0.3) is None
    # in a field the Enter goes through: the field holds the whole code (a scanner set to
    # send no Enter, and the cashier pressing it)
    assert lone_enter("035751111064", SCANNER, 0.6, held=False) is None


def test_a_fragment_long_before_starts_nothing() -> None:
    """After more than the stall window the earlier keys were stray: the next scan is whole."""
    keys = Keys().type("0357", SCANNER).wait(2.5).type("4006381333931\n", SCANNER)
    assert code(keys.last) == "4006381333931"


@pytest.mark.parametrize("at", [1, 2, 4])
@pytest.mark.parametrize("stall", [0.3, 1.0, 1.8])
def test_an_ssh_stall_never_makes_typing_a_scan(at: int, stall: float) -> None:
    """``crois``/``croissant`` Enter typed at 150 ms a key; the link stalls after ``at``
    characters and delivers the rest, Enter included, in one read."""
    for word in ("crois", "croissant"):
        keys = Keys().type(word[:at], PERSON).wait(stall).type(word[at:] + "\n", BUNCHED)
        assert keys.last is None, (word, at, stall)


def test_a_scan_right_after_typing_is_held_back_never_taken_whole_or_cut() -> None:
    """The cashier typed "Dub", then scanned within 2 s: it may as well be a scan whose
    first key came alone before a stall, so nothing is taken as a code (the field keeps
    every key); after Enter, or 2 s after the typing, a scan is read as usual."""
    keys = Keys().type("Dub", PERSON).wait(0.8).type("2900000000017\n", SCANNER)
    verdict = keys.last
    assert isinstance(verdict, BrokenScan) and verdict.head is None
    assert code(keys.type("2900000000017\n", SCANNER).last) == "2900000000017"
    keys = Keys().type("Dub", PERSON).wait(2.5).type("2900000000017\n", SCANNER)
    assert code(keys.last) == "2900000000017"
    # a scan stalled after its first key: refused, never its tail
    keys = Keys().type("0", SCANNER).wait(1.0).type("35751111064\n", SCANNER)
    assert isinstance(keys.last, BrokenScan)


def test_a_person_who_rolls_three_keys_then_types_on_is_typing() -> None:
    keys = Keys().type("the", 0.012).wait(0.2).type("atre\n", PERSON)
    assert keys.last is None


@pytest.mark.parametrize("after", ["\t", "\n"])
def test_a_key_after_a_codes_enter_never_poisons_the_next_code(after: str) -> None:
    """2D scanners send Enter then Down; the next code follows at once."""
    keys = Keys().type("4006381333931\n", SCANNER).type(after, SCANNER)
    keys.type("CUST-00042\n", SCANNER)
    assert [code(v) for v in keys.verdicts if v is not None] == ["4006381333931", "CUST-00042"]
    # and after a broken scan, the rescan is clean
    keys = Keys().type("0357", SCANNER).wait(1.0).type("51\n", SCANNER)
    assert isinstance(keys.last, BrokenScan)
    assert code(keys.type("\t", 0).type("035751\n", SCANNER).last) == "035751"


def test_a_clock_stepped_back_mid_scan_is_no_pause() -> None:
    keys = Keys().type("035751", SCANNER).wait(-5.0).type("111064\n", SCANNER)
    assert code(keys.last) == "035751111064"


@given(
    text=st.text(alphabet="0123456789ABCXYZ-", min_size=4, max_size=30),
    cut=st.integers(min_value=1, max_value=29),
    stall=st.floats(min_value=0.081, max_value=1.99),  # within the stall window
    pace=st.sampled_from([SCANNER, 0.002, 0.01, BUNCHED]),
)
def test_no_suffix_is_ever_a_code(text: str, cut: int, stall: float, pace: float) -> None:
    cut = min(cut, len(text) - 1)
    keys = Keys().type(text[:cut], pace).wait(stall).type(text[cut:] + "\n", pace)
    verdict = keys.last
    assert not isinstance(verdict, WedgeScan), verdict
