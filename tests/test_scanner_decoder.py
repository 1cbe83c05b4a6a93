"""The scan decoder, from the event sequences a real HID scanner produces."""

from __future__ import annotations

import pytest
from evdev import InputEvent, ecodes
from hypothesis import given, settings
from hypothesis import strategies as st
from scanner_fakes import Clock, decode_all, key, scan, tap

from tillterm.scanner import ScanDecoder
from tillterm.scanner import layouts as k
from tillterm.scanner.barcodes import gtin_check_ok
from tillterm.scanner.decoder import RESCAN
from tillterm.scanner.layouts import LAYOUTS, get_layout


def test_key_codes_are_the_kernels() -> None:
    """The layouts hard-code key numbers so decoding needs no evdev; they must be right."""
    names = [n for n in dir(k) if n.startswith("KEY_")]
    assert len(names) > 60
    for name in names:
        assert getattr(k, name) == getattr(ecodes, name), name


def _every_character(layout: str) -> str:
    tables = get_layout(layout)
    chars = {*tables.plain.values(), *tables.shifted.values(), *tables.altgr.values()}
    return "".join(sorted(chars - {" "}))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_character_of_every_layout(layout: str) -> None:
    text = _every_character(layout)
    decoder = ScanDecoder(layout)
    assert decode_all(decoder, scan(text, layout)) == [text]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("code", ["4006381333931", "CUST-00042", "Marie Dubois", "a1/B2.c3"])
def test_typical_codes_in_every_layout(layout: str, code: str) -> None:
    notices: list[str] = []
    decoder = ScanDecoder(layout, on_notice=notices.append)
    assert decode_all(decoder, scan(code, layout)) == [code]
    assert notices == []


def _ev(usec: int, etype: int, code: int, value: int) -> InputEvent:
    return InputEvent(1_760_000_000, usec, etype, code, value)


def test_recorded_us_trace() -> None:
    """As evtest prints a Honeywell scanner typing "A1" then Enter."""
    msc, key_, syn = ecodes.EV_MSC, ecodes.EV_KEY, ecodes.EV_SYN
    trace = [
        _ev(100, msc, 4, 0x700E1),
        _ev(100, key_, 42, 1),
        _ev(100, syn, 0, 0),
        _ev(1100, msc, 4, 0x70004),
        _ev(1100, key_, 30, 1),
        _ev(1100, syn, 0, 0),
        _ev(2100, msc, 4, 0x70004),
        _ev(2100, key_, 30, 0),
        _ev(2100, syn, 0, 0),
        _ev(2100, msc, 4, 0x700E1),
        _ev(2100, key_, 42, 0),
        _ev(2100, syn, 0, 0),
        _ev(3100, msc, 4, 0x7001E),
        _ev(3100, key_, 2, 1),
        _ev(3100, syn, 0, 0),
        _ev(4100, msc, 4, 0x7001E),
        _ev(4100, key_, 2, 0),
        _ev(4100, syn, 0, 0),
        _ev(5100, msc, 4, 0x70028),
        _ev(5100, key_, 28, 1),
        _ev(5100, syn, 0, 0),
        _ev(6100, msc, 4, 0x70028),
        _ev(6100, key_, 28, 0),
        _ev(6100, syn, 0, 0),
    ]
    assert decode_all(ScanDecoder("us"), trace) == ["A1"]


def test_azerty_digits_need_shift() -> None:
    """The classic: an AZERTY scanner's digits are Shift + the number row."""
    clock = Clock()
    events = key(clock, k.KEY_LEFTSHIFT, 1)
    for code in (k.KEY_4, k.KEY_0, k.KEY_0, k.KEY_6):
        events += tap(clock, code)
    events += key(clock, k.KEY_LEFTSHIFT, 0)
    events += tap(clock, k.KEY_1) + tap(clock, k.KEY_Q) + tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("fr"), events) == ["4006&a"]
    assert decode_all(ScanDecoder("us"), events) == ["$))^1q"]


def test_qwertz_and_uk_positions() -> None:
    clock = Clock()
    events = tap(clock, k.KEY_Y) + tap(clock, k.KEY_Z) + key(clock, k.KEY_RIGHTSHIFT, 1)
    events += tap(clock, k.KEY_2) + tap(clock, k.KEY_APOSTROPHE) + key(clock, k.KEY_RIGHTSHIFT, 0)
    events += tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("de"), events) == ['zy"Ä']
    assert decode_all(ScanDecoder("uk"), events) == ['yz"@']
    assert decode_all(ScanDecoder("us"), events) == ['yz@"']


def test_altgr_characters() -> None:
    assert decode_all(ScanDecoder("de"), scan("a@b€", "de")) == ["a@b€"]
    assert decode_all(ScanDecoder("fr"), scan("x@y#1", "fr")) == ["x@y#1"]


def test_key_repeat_is_ignored() -> None:
    clock = Clock()
    events = key(clock, k.KEY_5, 1)
    for _ in range(5):
        clock.advance(10_000)
        events += key(clock, k.KEY_5, 2)
    events += key(clock, k.KEY_5, 0) + tap(clock, k.KEY_6) + tap(clock, k.KEY_KPENTER)
    assert decode_all(ScanDecoder("us"), events) == ["56"]


def test_rollover_each_key_counts_when_it_goes_down() -> None:
    """A fast scanner presses the next key before releasing the last, Shift included:
    ``A``, ``b``, ``C`` with every press overlapping the previous release."""
    clock = Clock()
    events = key(clock, k.KEY_LEFTSHIFT, 1) + key(clock, k.KEY_A, 1)
    clock.advance(500)
    events += key(clock, k.KEY_LEFTSHIFT, 0) + key(clock, k.KEY_B, 1)  # b down, a still down
    clock.advance(500)
    events += key(clock, k.KEY_A, 0) + key(clock, k.KEY_RIGHTSHIFT, 1)
    events += key(clock, k.KEY_C, 1) + key(clock, k.KEY_B, 0)
    clock.advance(500)
    events += key(clock, k.KEY_ENTER, 1) + key(clock, k.KEY_C, 0) + key(clock, k.KEY_RIGHTSHIFT, 0)
    events += key(clock, k.KEY_ENTER, 0)
    assert decode_all(ScanDecoder("us"), events) == ["AbC"]


def test_caps_lock_inverts_letters_only() -> None:
    clock = Clock()
    events = tap(clock, k.KEY_CAPSLOCK) + tap(clock, k.KEY_A) + tap(clock, k.KEY_1)
    events += key(clock, k.KEY_LEFTSHIFT, 1) + tap(clock, k.KEY_B) + key(clock, k.KEY_LEFTSHIFT, 0)
    events += tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("us"), events) == ["A1b"]
    fr = tap(Clock(), k.KEY_CAPSLOCK)
    clock = Clock(usec=5000)
    fr += tap(clock, k.KEY_2) + tap(clock, k.KEY_Q) + tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("fr"), fr) == ["éA"]


def test_keypad_digits_and_enter() -> None:
    clock = Clock()
    events = [e for c in (k.KEY_KP1, k.KEY_KP2, k.KEY_KPDOT, k.KEY_KP3) for e in tap(clock, c)]
    events += tap(clock, k.KEY_KPENTER)
    assert decode_all(ScanDecoder("fr"), events) == ["12.3"]


def test_alt_keypad_ascii_mode() -> None:
    """Scanners in "Alt+keypad" mode type each byte as Alt + its decimal code."""
    clock = Clock()
    events: list[InputEvent] = []
    for byte in (65, 98, 51):
        events += key(clock, k.KEY_LEFTALT, 1)
        for digit in f"{byte:03d}":
            events += tap(clock, getattr(k, f"KEY_KP{digit}"))
        events += key(clock, k.KEY_LEFTALT, 0)
    events += tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("de"), events) == ["Ab3"]


def test_prefix_suffix_and_tab_terminator() -> None:
    decoder = ScanDecoder("us", prefix="]C1", suffix="#", tab_terminates=True)
    events = scan("]C1123456#", terminator=k.KEY_TAB)
    assert decode_all(decoder, events) == ["123456"]
    assert decode_all(decoder, scan("789")) == ["789"]  # absent prefix: code unchanged
    assert decode_all(ScanDecoder("us"), scan("12", terminator=k.KEY_TAB) + scan("")) == []


def test_stray_key_does_not_glue_onto_the_next_scan() -> None:
    clock = Clock()
    events = tap(clock, k.KEY_X)
    clock.advance(2_500_000)  # longer than the stall window: the scan is a fresh one
    events += scan("12345", clock=clock)
    assert decode_all(ScanDecoder("us"), events) == ["12345"]


def _stalled(code: str, at: int, stall_us: int, clock: Clock) -> list[InputEvent]:
    """``code`` scanned whole, but the link stalls ``stall_us`` after ``at`` characters."""
    events = scan(code[:at], clock=clock, terminator=None)
    clock.advance(stall_us)
    return events + scan(code[at:], clock=clock)


@pytest.mark.parametrize("stall_us", [150_000, 1_000_000, 1_900_000])
def test_a_stalled_scan_never_returns_its_tail(stall_us: int) -> None:
    """Issue 16: a 1 s wireless stall in ``035751111064`` gave ``111064`` as a code."""
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    assert decode_all(decoder, _stalled("035751111064", 6, stall_us, clock)) == []
    assert notices == [RESCAN]  # not "set the scanner to send Enter": it does
    clock.advance(500_000)  # the cashier scans again: read whole
    assert decode_all(decoder, scan("035751111064", clock=clock)) == ["035751111064"]


def test_a_stall_within_the_tail_keeps_it_refused() -> None:
    clock = Clock()
    events = scan("0357", clock=clock, terminator=None)
    clock.advance(800_000)
    events += _stalled("51111064", 3, 800_000, clock)
    assert decode_all(ScanDecoder("us"), events) == []


def test_lost_events_then_a_stall_still_refuse_the_tail() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    events = scan("4006", clock=clock, terminator=None)
    sec, usec = clock.stamp()
    events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0))
    events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    clock.advance(300_000)
    events += scan("381333931", clock=clock)
    assert decode_all(decoder, events) == []
    assert notices == [RESCAN]


def test_a_clock_stepped_back_mid_scan_neither_breaks_nor_times_it_negative() -> None:
    decoder = ScanDecoder("us")
    clock = Clock()
    events = scan("035751", clock=clock, terminator=None)
    clock.advance(-5_000_000)  # NTP steps the wall clock back between two keys
    events += scan("111064", clock=clock)
    assert decode_all(decoder, events) == ["035751111064"]
    timing = decoder.last_timing
    assert timing is not None and 0 <= timing.duration_ms < 100
    # and a stall after the step is still a stall
    notices: list[str] = []
    decoder.on_notice = notices.append
    events = scan("035751", clock=clock, terminator=None)
    clock.advance(-3_000_000)
    events += scan("1", clock=clock, terminator=None)
    clock.advance(1_000_000)
    events += scan("11064", clock=clock)
    assert decode_all(decoder, events) == []
    assert notices == [RESCAN]


def test_down_after_enter_never_poisons_the_next_code() -> None:
    """2D scanners send Enter then Down; the next code may follow at once (or not)."""
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    events = scan("4006381333931", clock=clock) + tap(clock, k.KEY_DOWN)
    events += scan("CUST-00042", clock=clock) + tap(clock, k.KEY_DOWN)
    clock.advance(1_000_000)
    events += scan("035751111064", clock=clock) + tap(clock, k.KEY_DOWN)
    expected = ["4006381333931", "CUST-00042", "035751111064"]
    assert decode_all(decoder, events) == expected
    assert notices == []
    # inside a code it is still not a character: that code is refused
    events = scan("12", clock=clock, terminator=None) + tap(clock, k.KEY_DOWN)
    events += scan("3", clock=clock)
    assert decode_all(decoder, events) == []


def test_gap_is_configurable_and_uses_event_time() -> None:
    slow = scan("12345", gap_us=150_000)
    assert decode_all(ScanDecoder("us"), slow) == []
    assert decode_all(ScanDecoder("us", gap_ms=200), slow) == ["12345"]


def test_no_enter_is_dropped_with_a_notice() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    events = scan("4006381333931", clock=clock, terminator=None)
    clock.advance(500_000)
    events += scan("4006381333931", clock=clock, terminator=None)
    clock.advance(500_000)
    events += scan("", clock=clock)
    assert decode_all(decoder, events) == []
    assert any("without Enter" in n for n in notices)


def test_enter_after_a_pause_is_not_a_scan() -> None:
    clock = Clock()
    events = scan("1234", clock=clock, terminator=None)
    clock.advance(2_000_000)
    events += tap(clock, k.KEY_ENTER)
    assert decode_all(ScanDecoder("us"), events) == []


def test_garbage_of_500_characters_is_refused() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    events = scan("x9" * 250) + scan("OK1", clock=Clock(T0_LATER))
    assert decode_all(decoder, events) == ["OK1"]
    assert any("longer than 256" in n for n in notices)


T0_LATER = 1_760_000_100


def test_control_characters_refuse_the_code() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    events = scan("12", clock=clock, terminator=None)
    events += key(clock, k.KEY_LEFTCTRL, 1) + tap(clock, k.KEY_J) + key(clock, k.KEY_LEFTCTRL, 0)
    events += scan("34", clock=clock)
    # GS (Alt+029), as GS1 scanners send between fields
    events += key(clock, k.KEY_LEFTALT, 1) + tap(clock, k.KEY_KP0) + tap(clock, k.KEY_KP2)
    events += tap(clock, k.KEY_KP9) + key(clock, k.KEY_LEFTALT, 0) + scan("5", clock=clock)
    events += tap(clock, ecodes.KEY_F1) + scan("6", clock=clock)
    events += tap(clock, k.KEY_ESC) + scan("7", clock=clock)
    assert decode_all(decoder, events) == []
    assert len(notices) == 4
    assert "control keys" in notices[0] and "control characters" in notices[1]
    assert decode_all(decoder, scan("8", clock=clock)) == ["8"]


def test_syn_dropped_refuses_the_damaged_code() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    clock = Clock()
    events = scan("4006", clock=clock, terminator=None)
    sec, usec = clock.stamp()
    events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0))
    # the kernel may deliver a partial packet before the next SYN_REPORT
    events.append(InputEvent(sec, usec, ecodes.EV_KEY, k.KEY_9, 1))
    events.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    events += scan("33931", clock=clock)  # the tail of the same scan
    assert decode_all(decoder, events) == []
    assert notices and "lost" in notices[0]
    clock.advance(300_000)
    assert decode_all(decoder, scan("4006381333931", clock=clock)) == ["4006381333931"]


def test_syn_dropped_resets_a_stuck_shift() -> None:
    clock = Clock()
    events = key(clock, k.KEY_LEFTSHIFT, 1)
    sec, usec = clock.stamp()
    events += [
        InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0),
        InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    ]
    # past the stall window (within it, lost keys may have been this code's head)
    clock.advance(2_500_000)
    events += scan("ab", clock=clock)
    assert decode_all(ScanDecoder("us"), events) == ["ab"]


def test_two_scanners_interleaved_each_get_their_own_code() -> None:
    first = scan("4006381333931", clock=Clock(usec=0))
    second = scan("CUST-00042", "fr", clock=Clock(usec=700))
    merged = sorted(first + second, key=lambda e: (e.sec, e.usec))
    decoders = {
        id(e): d
        for events, d in ((first, ScanDecoder("us")), (second, ScanDecoder("fr")))
        for e in events
    }
    got = [decoders[id(e)].feed(e) for e in merged]
    assert sorted(c for c in got if c) == ["4006381333931", "CUST-00042"]


def test_bare_enter_is_nothing() -> None:
    assert decode_all(ScanDecoder("us"), scan("") + scan("   ")) == []


def test_timing_of_the_last_code() -> None:
    decoder = ScanDecoder("us")
    decode_all(decoder, scan("12345", gap_us=4000))
    timing = decoder.last_timing
    assert timing is not None and timing.keys == 6
    assert timing.duration_ms == pytest.approx(20.0)
    assert timing.mean_gap_ms == pytest.approx(4.0)


# --- the layout hint -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["4006381333931", "96385074", "036000291452", "10614141000415"])
def test_known_gtins(code: str) -> None:
    assert gtin_check_ok(code)
    assert not gtin_check_ok(code[:-1] + str((int(code[-1]) + 1) % 10))


def test_wrong_layout_is_named_from_the_check_digit() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("us", on_notice=notices.append)
    assert decode_all(decoder, scan("4006381333931", "fr")) == ["$))^#*!###(#!"]
    assert len(notices) == 1 and '"fr"' in notices[0]


def test_wrong_check_digit_hints_at_the_layout() -> None:
    notices: list[str] = []
    decoder = ScanDecoder("uk", on_notice=notices.append)
    assert decode_all(decoder, scan("4006381333932")) == ["4006381333932"]
    assert len(notices) == 1 and "check digit" in notices[0] and "'uk'" in notices[0]


# --- fuzz -------------------------------------------------------------------------------

_events = st.lists(
    st.tuples(
        st.integers(0, 200_000),  # µs since the previous event
        st.sampled_from([ecodes.EV_SYN, ecodes.EV_KEY, ecodes.EV_MSC, ecodes.EV_LED, 99]),
        st.one_of(st.integers(0, 130), st.integers(0, 0x2FF)),
        st.integers(-1, 3),
    ),
    max_size=400,
)


@settings(max_examples=150, deadline=None)
@given(events=_events, layout=st.sampled_from(sorted(LAYOUTS)))
def test_fuzz_never_crashes_and_codes_are_clean(
    events: list[tuple[int, int, int, int]], layout: str
) -> None:
    decoder = ScanDecoder(layout, max_length=64, on_notice=lambda text: None)
    clock = Clock()
    for delta, etype, code, value in events:
        clock.advance(delta)
        sec, usec = clock.stamp()
        out = decoder.feed(InputEvent(sec, usec, etype, code, value))
        if out is not None:
            assert 0 < len(out) <= 64
            assert out == out.strip()
            assert all(ch.isprintable() for ch in out)


_typable = st.text(
    alphabet=st.sampled_from(sorted(set(_every_character("us") + "0123456789"))),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(code=_typable, layout=st.sampled_from(sorted(LAYOUTS)), msc=st.booleans())
def test_fuzz_round_trip(code: str, layout: str, msc: bool) -> None:
    tables = get_layout(layout)
    typable = {*tables.plain.values(), *tables.shifted.values(), *tables.altgr.values()}
    code = "".join(ch for ch in code if ch in typable).strip() or "0"
    decoder = ScanDecoder(layout, on_notice=lambda text: None)
    events = scan(code, layout, msc=msc) + scan(code, layout, clock=Clock(T0_LATER), msc=msc)
    assert decode_all(decoder, events) == [code, code]


def test_a_scanner_back_after_a_cut_refuses_only_the_cut_codes_rest() -> None:
    cut = ScanDecoder("us")
    clock = Clock()
    decode_all(cut, scan("035751", clock=clock, terminator=None))
    assert cut.cut_at == clock.us - 2000  # the last key press
    back = ScanDecoder("us")
    back.resume_cut(cut.cut_at)
    clock.advance(800_000)
    assert decode_all(back, scan("111064", clock=clock)) == []
    back.resume_cut(cut.cut_at)
    clock.advance(3_000_000)  # long after the cut: a fresh scan
    assert decode_all(back, scan("035751111064", clock=clock)) == ["035751111064"]
    assert ScanDecoder("us").cut_at == 0
