"""Reading the members of a zip container (an Inspect ``.eval`` log) without ``inspect_ai``.

Python 3.11's ``zipfile`` parses the central directory of any zip but cannot decompress zstd members (method
93, which recent Inspect versions write); older Inspect versions wrote deflate (method 8). This module reads a
member's raw bytes itself and decompresses them in chunks with ``zlib`` or ``zstandard`` (across zstd frames:
Inspect splits large members into several), checking each member's CRC-32 and size. ``iter_json_array`` parses
a JSON array one element at a time from those chunks, so reading the sample summaries of a large log holds one
summary in memory rather than the whole member.

An Inspect log holds one member per sample besides the few this module is asked for, so its central directory
is read in one pass that keeps only each member's name and where its bytes are (``_central_directory``),
several times quicker than ``zipfile`` building a ``ZipInfo`` for every sample. Anything that pass does not
handle plainly (ZIP64, a comment, a damaged directory) is left to ``zipfile``, which judges the archive.

Every failure is a ``ContainerError`` naming the member and what is wrong; callers add the file name.
"""

from __future__ import annotations

import codecs
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scalegate.extras import requires_extra
from scalegate.inputs import BoundsError, load_json

__all__ = ["MAX_MEMBER_SIZE", "ContainerError", "ZipContainer", "is_zip", "iter_json_array"]

CHUNK = 1 << 16
MAX_MEMBER_SIZE = 256 << 20
"""Largest member read whole (a log header, its reductions), and largest single element of a streamed JSON
array, once inflated: a few hundred kilobytes of zip can inflate to gigabytes, so the bound is checked
against the size the archive declares before anything is decompressed (and decompressing past the declared
size is refused as corruption)."""
STORED, DEFLATED, ZSTANDARD = 0, 8, 93
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_END = struct.Struct("<4sHHHHIIH")
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_CENTRAL = struct.Struct("<4s4xHH4xIIIHHH8xI")  # the central directory header fields this module reads
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_UTF8_NAMES = 0x800


@dataclass(frozen=True, slots=True)
class Member:
    """Where a member's bytes are and what they should decompress to (the fields of ``zipfile.ZipInfo``
    this module reads)."""

    filename: str
    header_offset: int
    compress_size: int
    file_size: int
    CRC: int
    compress_type: int
    flag_bits: int


class ContainerError(Exception):
    """A zip container, or one of its members, that cannot be read."""


def is_zip(head: bytes) -> bool:
    """Whether the first bytes of a file are a zip local header."""
    return head.startswith(_LOCAL_SIGNATURE)


class ZipContainer:
    """An open zip file whose members are read as decompressed chunks; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] = path.open("rb")
        try:
            members = _central_directory(self._file)
            if members is None:
                with zipfile.ZipFile(self._file) as archive:
                    members = {info.filename: _member(info) for info in archive.infolist()}
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            self._file.close()
            raise ContainerError(f"not a readable zip archive ({exc})") from exc
        # the last member of a name wins, as in every zip reader (Inspect re-logs samples this way)
        self._members: dict[str, Member] = members

    def __enter__(self) -> ZipContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def names(self) -> set[str]:
        return set(self._members)

    def has(self, name: str) -> bool:
        return name in self._members

    def read(self, name: str, limit: int = MAX_MEMBER_SIZE) -> bytes:
        """A whole member, decompressed; ``ContainerError`` if it inflates to more than ``limit`` bytes."""
        info = self._members.get(name)
        if info is not None and info.file_size > limit:
            raise ContainerError(
                f"member {name} inflates to {info.file_size:,} bytes, more than the {limit:,} read whole"
            )
        return b"".join(self.chunks(name))

    def read_json(self, name: str) -> Any:
        try:
            return load_json(self.read(name))
        except BoundsError as exc:
            raise ContainerError(f"member {name}: {exc}") from exc

    def iter_json_array(self, name: str) -> Iterator[Any]:
        """The elements of a member holding a JSON array, one at a time."""
        try:
            yield from iter_json_array(self.chunks(name))
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
            raise ContainerError(f"member {name} is not a valid JSON array ({exc})") from exc

    def chunks(self, name: str) -> Iterator[bytes]:
        """A member's decompressed bytes in chunks; the CRC-32 and size are checked at the end."""
        info = self._members.get(name)
        if info is None:
            raise ContainerError(f"member {name} is missing")
        decompress = _decompressor(info, name)
        crc, size = 0, 0
        for raw in self._raw(info, name):
            try:
                data = decompress(raw)
            except (ContainerError, zlib.error) as exc:
                raise ContainerError(f"member {name} is corrupt ({exc})") from exc
            crc, size = zlib.crc32(data, crc), size + len(data)
            if size > info.file_size:
                raise ContainerError(f"member {name} decompresses past its declared size {info.file_size}")
            yield data
        if size != info.file_size or crc != info.CRC:
            raise ContainerError(f"member {name} is corrupt (size or CRC-32 does not match)")

    def _raw(self, info: Member, name: str) -> Iterator[bytes]:
        self._file.seek(info.header_offset)
        header = self._file.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise ContainerError(f"member {name} has no valid local header")
        fields = _LOCAL_HEADER.unpack(header)
        self._file.seek(info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
        remaining = info.compress_size
        while remaining > 0:
            block = self._file.read(min(CHUNK, remaining))
            if not block:
                raise ContainerError(f"member {name} is truncated")
            remaining -= len(block)
            yield block


def _member(info: zipfile.ZipInfo) -> Member:
    return Member(
        info.filename,
        info.header_offset,
        info.compress_size,
        info.file_size,
        info.CRC,
        info.compress_type,
        info.flag_bits,
    )


def _central_directory(file: IO[bytes]) -> dict[str, Member] | None:
    """Every member by name (the last of a name winning), read from the central directory in one pass; None
    when the archive is not a plain one this pass handles (ZIP64, an archive comment, anything inconsistent),
    for ``zipfile`` to read or refuse."""
    size = file.seek(0, os.SEEK_END)
    end_at = size - _END.size
    if end_at < 0:
        return None
    file.seek(max(end_at - 20, 0))
    tail = file.read()
    if end_at >= 20 and tail[:4] == _ZIP64_LOCATOR_SIGNATURE:
        return None
    signature, disk, start_disk, _, entries, cd_size, cd_offset, comment = _END.unpack(tail[-_END.size :])
    if signature != _END_SIGNATURE or comment or disk or start_disk or entries == 0xFFFF:
        return None
    cd_start = end_at - cd_size
    if cd_start < 0 or 0xFFFFFFFF in (cd_size, cd_offset):
        return None
    concat = cd_start - cd_offset  # bytes prepended to the archive, which zipfile allows too
    file.seek(cd_start)
    directory = file.read(cd_size)
    members: dict[str, Member] = {}
    unpack, fixed, pos, count = _CENTRAL.unpack_from, _CENTRAL.size, 0, 0
    while pos < cd_size:
        if pos + fixed > cd_size:
            return None
        sig, flags, method, crc, csize, usize, n_name, n_extra, n_comment, offset = unpack(directory, pos)
        if sig != _CENTRAL_SIGNATURE or 0xFFFFFFFF in (csize, usize, offset):
            return None
        raw = directory[pos + fixed : pos + fixed + n_name]
        name = raw.decode("utf-8") if flags & _UTF8_NAMES else raw.decode("cp437")
        members[name] = Member(name, offset + concat, csize, usize, crc, method, flags)
        pos += fixed + n_name + n_extra + n_comment
        count += 1
    return members if pos == cd_size and count == entries else None


def _decompressor(info: Member, name: str) -> Any:
    if info.flag_bits & 0x1:
        raise ContainerError(f"member {name} is encrypted")
    if info.compress_type == STORED:
        return lambda data: data
    if info.compress_type == DEFLATED:
        return zlib.decompressobj(-15).decompress
    if info.compress_type == ZSTANDARD:
        return _ZstdFrames().decompress
    raise ContainerError(f"member {name} uses unsupported compression method {info.compress_type}")


class _ZstdFrames:
    """Decompresses a zstd stream that may hold several frames one after another."""

    def __init__(self) -> None:
        with requires_extra("inspect", "reading a zstd-compressed Inspect log"):
            import zstandard

        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._error = zstandard.ZstdError

    def decompress(self, data: bytes) -> bytes:
        out: list[bytes] = []
        try:
            while data:
                out.append(self._obj.decompress(data))
                if not self._obj.eof:
                    break
                data = self._obj.unused_data
                self._obj = self._dctx.decompressobj()
        except self._error as exc:
            raise ContainerError(f"zstd: {exc}") from exc
        return b"".join(out)


def iter_json_array(chunks: Iterator[bytes]) -> Iterator[Any]:
    """Parse a JSON array from byte chunks, yielding each element as soon as it is complete.

    Raises ``ValueError`` (``json.JSONDecodeError`` is one) if the bytes are not exactly one JSON array.
    """
    return _ArrayParser(chunks).elements()


class _ArrayParser:
    """An incremental parser for one top-level JSON array; keeps only the unparsed tail of the text."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._source = iter(chunks)
        self._text = codecs.getincrementaldecoder("utf-8")()
        # Python's own integers here (faster than a bounded hook, per element of tens of thousands): the
        # readers bound the few integers they take from an element (``inputs.check_int``), and an integer
        # of more than 4,300 digits fails to parse.
        self._decoder = json.JSONDecoder()
        self._buf, self._pos, self._eof = "", 0, False

    def elements(self) -> Iterator[Any]:
        self._expect("[")
        if self._peek() == "]":
            self._pos += 1
        else:
            while True:
                yield self._value()
                delimiter = self._peek()
                self._pos += 1
                if delimiter == "]":
                    break
                if delimiter != ",":
                    raise ValueError(f"expected ',' or ']' in the array, found {delimiter!r}")
        if self._rest_is_not_blank():
            raise ValueError("extra data after the JSON array")

    def _more(self) -> bool:
        if self._eof:
            return False
        chunk = next(self._source, None)
        if len(self._buf) - self._pos > MAX_MEMBER_SIZE:
            raise BoundsError(f"an element of the array is larger than {MAX_MEMBER_SIZE:,} bytes")
        decoded = self._text.decode(chunk if chunk is not None else b"", final=chunk is None)
        self._buf, self._pos, self._eof = self._buf[self._pos :] + decoded, 0, chunk is None
        return True

    def _peek(self) -> str:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                raise ValueError("unexpected end of data")

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"expected {char!r}")
        self._pos += 1

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError:
                if self._more():
                    continue
                raise
            except RecursionError:
                raise BoundsError("an element of the array is nested too deep") from None
            if isinstance(value, int | float) and not self._number_ends(end) and self._more():
                continue  # the number may go on in the next chunk ("1" of "1e5")
            # No depth walk here: an element nested past the interpreter's limit fails to parse (above), and
            # the readers take only shallow fields of an element (a sample summary), never walking it whole.
            self._pos = end
            return value

    def _number_ends(self, end: int) -> bool:
        return end < len(self._buf) and self._buf[end] in ",] \t\r\n"

    def _rest_is_not_blank(self) -> bool:
        while True:
            if self._buf[self._pos :].strip():
                return True
            if not self._more():
                return False
