"""Learning a scanner's layout from one scan of a known code (issue 16 §5).

A QWERTZ scanner read as ``us`` turns ``yz-2023`` into ``zy/2023`` silently; one scan of
a code the cashier knows, replayed on every layout, names the scanner's.
"""

from __future__ import annotations

import itertools

import pytest
from scanner_fakes import decode_all, scan

from tillterm.demo.seeding import loyalty_card_code
from tillterm.scanner import ScanDecoder
from tillterm.scanner.layouts import LAYOUTS
from tillterm.scanner.learn import DEMO_CARD, find_layout


def _read(code: str, scanner: str, read_as: str) -> tuple[str, tuple[tuple[int, bool, bool], ...]]:
    decoder = ScanDecoder(read_as)
    [decoded] = decode_all(decoder, scan(code, scanner))
    return decoded, decoder.last_strokes


def test_the_default_code_is_the_demo_stores_first_loyalty_card() -> None:
    assert loyalty_card_code(1) == DEMO_CARD


def test_qwertz_read_as_us_is_named() -> None:
    decoded, strokes = _read("yz-2023", "de", "us")
    assert decoded == "zy/2023"  # the silent mistake of the issue
    found = find_layout("yz-2023", decoded, strokes, "us")
    assert found.layout == "de" and found.alike == ("de",) and not found.current_ok


@pytest.mark.parametrize(("scanner", "read_as"), list(itertools.permutations(sorted(LAYOUTS), 2)))
@pytest.mark.parametrize("code", ["yz-2023", "Qa.Wm/7", DEMO_CARD])
def test_every_layout_read_as_every_other(scanner: str, read_as: str, code: str) -> None:
    decoded, strokes = _read(code, scanner, read_as)
    found = find_layout(code, decoded, strokes, read_as, prefer=(read_as, "us"))
    assert scanner in found.alike
    if decoded == code:
        # the layouts type it alike: nothing to change
        assert found.current_ok and found.layout == read_as
    else:
        assert not found.current_ok and found.layout in found.alike
        assert decode_all(ScanDecoder(found.layout), scan(code, scanner)) == [code]


def test_digits_only_tell_azerty_from_the_rest() -> None:
    decoded, strokes = _read(DEMO_CARD, "fr", "us")
    found = find_layout(DEMO_CARD, decoded, strokes, "us")
    assert found.layout == "fr" and found.alike == ("fr",)
    decoded, strokes = _read(DEMO_CARD, "de", "us")
    found = find_layout(DEMO_CARD, decoded, strokes, "us")
    assert found.current_ok and set(found.alike) == {"us", "uk", "de"}


def test_prefix_and_suffix_are_trimmed_as_the_decoder_does() -> None:
    decoder = ScanDecoder("us", prefix="*")
    [decoded] = decode_all(decoder, scan("*yz-2023", "de"))
    assert decoded == "}zy/2023"  # a de "*" is a us "}": the prefix is not even trimmed
    found = find_layout("yz-2023", decoded, decoder.last_strokes, "us", prefix="*")
    assert found.layout == "de"


def test_another_barcode_is_not_taken_for_the_known_code() -> None:
    decoded, strokes = _read("4006381333931", "us", "us")
    found = find_layout(DEMO_CARD, decoded, strokes, "us")
    assert found.layout is None and found.alike == ()
