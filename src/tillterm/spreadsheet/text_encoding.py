"""Which encoding wrote a text file: UTF-8 (with or without BOM), UTF-16 with a BOM or
without one (little- or big-endian, told by where the NUL bytes of its ASCII letters
fall), else Windows-1252 or Mac Roman — never Latin-1 — and whether its lines end with a
lone CR (Excel on a classic Mac). Decided from the bytes alone, before anything is parsed.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from tillterm.spreadsheet import refusals

#: bytes 0x80-0x9F: Mac Roman's accented lowercase letters (é 8E, ö 9A, ü 9F, è 8F);
#: in Windows-1252 the look-alikes Ž, š, Ÿ..., in Latin-1 invisible C1 controls
_MAC_LETTER = re.compile(rb"(?<=[A-Za-z])[\x80-\x9f](?=[a-z])")
#: bytes 0xC0-0xFF between letters: Windows-1252 / Latin-1 accented letters (é E9, ö F6)
_WIN_LETTER = re.compile(rb"(?<=[A-Za-z])[\xc0-\xff](?=[a-z])")


#: share of the ASCII-range code units a BOM-less UTF-16 head must show: a customer
#: list is mostly ASCII (headers, emails, digits), so nearly every other byte is NUL
_UTF16_ASCII_SHARE = 0.6


def utf16_without_bom(head: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` for UTF-16 text written without a BOM, else None.

    Some exporters (and Excel's "Unicode Text" passed through tools that strip the BOM)
    write UTF-16 bare. Text of a customer list is mostly ASCII, and an ASCII character in
    UTF-16 is a NUL byte and the letter: NULs at odd positions are little-endian, at even
    positions big-endian. A binary file has NULs scattered on both sides, and is still
    refused as binary; the head must also decode as that UTF-16.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or len(head) < 4:
        return None
    sample = head[: len(head) & ~1]
    even, odd = sample[0::2], sample[1::2]
    units = len(odd)
    for encoding, zeros, letters in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= _UTF16_ASCII_SHARE * units and letters.count(0) * 20 < units:
            try:
                sample.decode(encoding)
            except UnicodeDecodeError:
                # a head cut in a surrogate pair decodes once the last unit is dropped
                try:
                    sample[:-2].decode(encoding)
                except UnicodeDecodeError:
                    return None
            return encoding
    return None


def decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as fh:
            while block := fh.read(refusals.BLOCK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def eight_bit_encoding(head: bytes, cp1252_decodes: bool) -> str:
    """Windows-1252 or Mac Roman for a file that is not UTF-8.

    Latin-1 is never the answer: what it decodes bytes 0x80-0x9F to are C1 control
    characters, which no customer list holds, while Mac Roman writes its accented
    lowercase letters there (``Renée`` is ``Ren\\x8ee``, read ``RenŽe`` by Windows-1252).
    So a file that Windows-1252 cannot decode (it leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D
    undefined: Å, ç, è, ê, ù in Mac Roman) is Mac Roman, and one it can decode is Mac
    Roman when such bytes between letters outnumber Windows' own accented letters
    (0xC0-0xFF) between letters.
    """
    if not cp1252_decodes:
        return "mac_roman"
    mac = len(_MAC_LETTER.findall(head))
    windows = len(_WIN_LETTER.findall(head))
    return "mac_roman" if mac > windows else "cp1252"


def detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        if decodes(path, "utf-8-sig"):
            return "utf-8-sig"
        return eight_bit_encoding(head, decodes(path, "cp1252"))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if bare := utf16_without_bom(head):
        return bare
    if decodes(path, "utf-8"):
        return "utf-8"
    return eight_bit_encoding(head, decodes(path, "cp1252"))


def cr_only(head: bytes, encoding: str) -> bool:
    """Do the file's lines end with a lone CR (Excel on a classic Mac)?"""
    text = head.decode(encoding, errors="replace")
    return "\r" in text and "\n" not in text
