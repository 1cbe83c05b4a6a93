"""Delimited text cut into records before it is parsed: the bytes of a .csv or .txt as
UTF-8 blocks, re-cut at record boundaries (a newline outside quotes), so that a million
rows are parsed block by block and never sit in memory at once.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from tillterm.i18n import N_, _
from tillterm.spreadsheet import refusals
from tillterm.spreadsheet.refusals import SpreadsheetError, mb

DELIMITERS = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab")}


def utf8_blocks(
    path: Path, encoding: str, where: list[int] | None = None, *, cr_only: bool = False
) -> Iterator[bytes]:
    """The file's bytes as UTF-8 without BOM, in blocks (UTF-8 files pass through).

    ``where[0]`` follows how many bytes of the file were read, for progress. With
    ``cr_only`` (an old Mac save, whose lines end with a lone CR) every CR becomes a
    newline, so the parser sees lines.
    """
    where = where if where is not None else [0]
    if cr_only:
        for block in utf8_blocks(path, encoding, where):
            yield block.replace(b"\r", b"\n")
        return
    with path.open("rb") as fh:
        if encoding in ("utf-8", "utf-8-sig"):
            first = True
            while block := fh.read(refusals.BLOCK_BYTES):
                where[0] += len(block)
                if first and block.startswith(codecs.BOM_UTF8):
                    block = block[3:]
                first = False
                yield block
            return
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        while block := fh.read(refusals.BLOCK_BYTES):
            where[0] += len(block)
            yield decoder.decode(block).lstrip("\ufeff").encode("utf-8")
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail.encode("utf-8")


def records(blocks: Iterator[bytes], name: str | None = None) -> Iterator[bytes]:
    """Re-cut blocks so each ends at a record boundary (a newline outside quotes).

    A record longer than :data:`refusals.MAX_RECORD_BYTES` is refused: it is a hostile file or a
    quote that is never closed, and carrying it on would take the whole file in memory.
    """
    carry = b""
    for block in blocks:
        if len(carry) > refusals.MAX_RECORD_BYTES:
            raise SpreadsheetError(
                _(
                    "{file} has a row longer than {size} "
                    "(a quote that is never closed?); it cannot be imported."
                ).format(file=name or _("the file"), size=mb(refusals.MAX_RECORD_BYTES))
            )
        buf = carry + block if carry else block
        end = len(buf)
        cut = -1
        # the parity of the quotes before ``end``, kept as ``end`` walks back: each byte
        # is counted once (counting from the start at every newline took minutes on a
        # block of many lines inside an unclosed quote)
        odd = buf.count(b'"') % 2
        while True:
            nl = buf.rfind(b"\n", 0, end)
            if nl < 0:
                break
            odd ^= buf.count(b'"', nl, end) % 2
            if not odd:
                cut = nl
                break
            end = nl
        if cut < 0:
            carry = buf
            continue
        yield buf[: cut + 1]
        carry = buf[cut + 1 :]
    if carry:
        yield carry


def split_header(first: bytes) -> tuple[bytes, bytes]:
    start = 0
    while True:
        nl = first.find(b"\n", start)
        if nl < 0:
            return first, b""
        if first.count(b'"', 0, nl) % 2 == 0:
            return first[: nl + 1], first[nl + 1 :]
        start = nl + 1


def guess_delimiter(header: str) -> str:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
