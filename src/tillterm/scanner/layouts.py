"""Keyboard layouts a HID scanner may be set to: Linux key code → character.

A scanner does not send characters; it sends key positions, as if it were a keyboard of
the layout it is configured for (an AZERTY scanner holds Shift to type a digit). So the
decoder needs the *scanner's* layout, which may differ from the console's. The key codes
are the kernel's (``linux/input-event-codes.h``), written out here so decoding needs no
evdev (the test suite checks them against ``evdev.ecodes``).

Dead keys (``^`` on fr/de, ``´`` on de) are taken as their plain character: a scanner
never composes accented letters with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tillterm.i18n import _

# --- the kernel's key codes (stable ABI) ------------------------------------------
KEY_ESC = 1
KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0 = range(2, 12)
KEY_MINUS = 12
KEY_EQUAL = 13
KEY_BACKSPACE = 14
KEY_TAB = 15
KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P = range(16, 26)
KEY_LEFTBRACE = 26
KEY_RIGHTBRACE = 27
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L = range(30, 39)
KEY_SEMICOLON = 39
KEY_APOSTROPHE = 40
KEY_GRAVE = 41
KEY_LEFTSHIFT = 42
KEY_BACKSLASH = 43
KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M = range(44, 51)
KEY_COMMA = 51
KEY_DOT = 52
KEY_SLASH = 53
KEY_RIGHTSHIFT = 54
KEY_KPASTERISK = 55
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_SCROLLLOCK = 70
KEY_KP7, KEY_KP8, KEY_KP9 = 71, 72, 73
KEY_KPMINUS = 74
KEY_KP4, KEY_KP5, KEY_KP6 = 75, 76, 77
KEY_KPPLUS = 78
KEY_KP1, KEY_KP2, KEY_KP3 = 79, 80, 81
KEY_KP0 = 82
KEY_KPDOT = 83
KEY_102ND = 86
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_KPSLASH = 98
KEY_RIGHTALT = 100
KEY_HOME = 102
KEY_UP = 103
KEY_PAGEUP = 104
KEY_LEFT = 105
KEY_RIGHT = 106
KEY_END = 107
KEY_DOWN = 108
KEY_PAGEDOWN = 109
KEY_LEFTMETA = 125
KEY_RIGHTMETA = 126

#: keypad keys → the digit they give (for Alt+keypad "ASCII mode" scanners too)
KEYPAD_DIGITS = {
    KEY_KP0: 0,
    KEY_KP1: 1,
    KEY_KP2: 2,
    KEY_KP3: 3,
    KEY_KP4: 4,
    KEY_KP5: 5,
    KEY_KP6: 6,
    KEY_KP7: 7,
    KEY_KP8: 8,
    KEY_KP9: 9,
}
_KEYPAD = {code: str(d) for code, d in KEYPAD_DIGITS.items()} | {
    KEY_KPDOT: ".",
    KEY_KPMINUS: "-",
    KEY_KPPLUS: "+",
    KEY_KPASTERISK: "*",
    KEY_KPSLASH: "/",
}

# Physical key rows, left to right, as the tables below list them.
_NUMBER_ROW = (KEY_GRAVE, *range(KEY_1, KEY_0 + 1), KEY_MINUS, KEY_EQUAL)
_TOP_ROW = (*range(KEY_Q, KEY_P + 1), KEY_LEFTBRACE, KEY_RIGHTBRACE)
_HOME_ROW = (*range(KEY_A, KEY_L + 1), KEY_SEMICOLON, KEY_APOSTROPHE, KEY_BACKSLASH)
_BOTTOM_ROW = (KEY_102ND, *range(KEY_Z, KEY_M + 1), KEY_COMMA, KEY_DOT, KEY_SLASH)


@dataclass(frozen=True)
class Layout:
    """One layout: per key code, the character plain, with Shift, and with AltGr.

    ``caps`` holds the keys Caps Lock affects (letters whose Shift level is their
    upper case); on an AZERTY number row Caps Lock does nothing.
    """

    name: str
    plain: dict[int, str]
    shifted: dict[int, str]
    altgr: dict[int, str]
    caps: frozenset[int]


def _build(
    name: str, rows: dict[tuple[int, ...], tuple[str, str]], altgr: dict[int, str]
) -> Layout:
    plain: dict[int, str] = {KEY_SPACE: " "}
    shifted: dict[int, str] = {KEY_SPACE: " "}
    for keys, (lower, upper) in rows.items():
        if not (len(keys) == len(lower) == len(upper)):
            raise ValueError(f"layout {name}: row of {len(keys)} keys, {lower!r} / {upper!r}")
        for key, lo, up in zip(keys, lower, upper, strict=True):
            if lo != "\0":
                plain[key] = lo
            if up != "\0":
                shifted[key] = up
    plain |= _KEYPAD
    shifted |= _KEYPAD
    caps = frozenset(
        key for key, ch in plain.items() if ch.isalpha() and shifted.get(key) == ch.upper()
    )
    return Layout(name, plain, shifted, dict(altgr), caps)


US = _build(
    "us",
    {
        _NUMBER_ROW: ("`1234567890-=", "~!@#$%^&*()_+"),
        _TOP_ROW: ("qwertyuiop[]", "QWERTYUIOP{}"),
        _HOME_ROW: ("asdfghjkl;'\\", 'ASDFGHJKL:"|'),
        _BOTTOM_ROW: ("<zxcvbnm,./", ">ZXCVBNM<>?"),
    },
    {},
)

UK = _build(
    "uk",
    {
        _NUMBER_ROW: ("`1234567890-=", '¬!"£$%^&*()_+'),
        _TOP_ROW: ("qwertyuiop[]", "QWERTYUIOP{}"),
        _HOME_ROW: ("asdfghjkl;'#", "ASDFGHJKL:@~"),
        _BOTTOM_ROW: ("\\zxcvbnm,./", "|ZXCVBNM<>?"),
    },
    {KEY_GRAVE: "¦", KEY_4: "€"},
)

DE = _build(
    "de",
    {
        _NUMBER_ROW: ("^1234567890ß´", '°!"§$%&/()=?`'),
        _TOP_ROW: ("qwertzuiopü+", "QWERTZUIOPÜ*"),
        _HOME_ROW: ("asdfghjklöä#", "ASDFGHJKLÖÄ'"),
        _BOTTOM_ROW: ("<yxcvbnm,.-", ">YXCVBNM;:_"),
    },
    {
        KEY_2: "²",
        KEY_3: "³",
        KEY_7: "{",
        KEY_8: "[",
        KEY_9: "]",
        KEY_0: "}",
        KEY_MINUS: "\\",
        KEY_Q: "@",
        KEY_E: "€",
        KEY_RIGHTBRACE: "~",
        KEY_102ND: "|",
        KEY_M: "µ",
    },
)

FR = _build(
    "fr",
    {
        _NUMBER_ROW: ("²&é\"'(-è_çà)=", "\x001234567890°+"),
        _TOP_ROW: ("azertyuiop^$", "AZERTYUIOP¨£"),
        _HOME_ROW: ("qsdfghjklmù*", "QSDFGHJKLM%µ"),
        _BOTTOM_ROW: ("<wxcvbn,;:!", ">WXCVBN?./§"),
    },
    {
        KEY_2: "~",
        KEY_3: "#",
        KEY_4: "{",
        KEY_5: "[",
        KEY_6: "|",
        KEY_7: "`",
        KEY_8: "\\",
        KEY_9: "^",
        KEY_0: "@",
        KEY_MINUS: "]",
        KEY_EQUAL: "}",
        KEY_E: "€",
        KEY_RIGHTBRACE: "¤",
    },
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (US, UK, DE, FR)}

#: XKB names (``/etc/default/keyboard``) that mean one of ours
XKB_ALIASES = {"gb": "uk", "us": "us", "fr": "fr", "de": "de", "uk": "uk"}


def get_layout(name: str) -> Layout:
    """The layout called ``name`` (``us``, ``uk``/``gb``, ``de``, ``fr``)."""
    key = XKB_ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return LAYOUTS[key]
    except KeyError:
        known = ", ".join(sorted(LAYOUTS))
        raise ValueError(
            _("unknown scanner layout {name} (known: {known})").format(name=repr(name), known=known)
        ) from None


def encode(text: str, layout: Layout) -> list[tuple[int, bool, bool]]:
    """The key strokes ``(key, shift, altgr)`` that type ``text`` on ``layout``.

    The inverse of decoding; tests and the benchmark use it to play a scanner. Keypad
    keys are not used (a scanner types digits on the main row).
    """
    strokes: list[tuple[int, bool, bool]] = []
    for ch in text:
        for table, shift, alt in (
            (layout.plain, False, False),
            (layout.shifted, True, False),
            (layout.altgr, False, True),
        ):
            key = next((k for k, c in table.items() if c == ch and k not in _KEYPAD), None)
            if key is not None:
                strokes.append((key, shift, alt))
                break
        else:
            raise ValueError(
                _("{char} cannot be typed on the {layout} layout").format(
                    char=repr(ch), layout=layout.name
                )
            )
    return strokes
