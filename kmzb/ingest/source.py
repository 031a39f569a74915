"""Reading and decoding one extract file: its bytes, un-gzipped, as UTF-8 text in chunks of whole records.

The contract allows UTF-8 (BOM or not) or Windows-1250 for the whole file. The file is read as UTF-8
first; a chunk that is not valid UTF-8 raises NotUtf8, and the caller reads the file again as
Windows-1250. A chunk always ends after a line feed outside double quotes (or at the end of the file),
so no record is split between chunks; each knows the physical line it starts on (the header is line 1).
"""

from __future__ import annotations

import gzip
import queue
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, TypeVar

import numpy as np
import pyarrow as pa

from kmzb.ingest.contract import ExtractError

CHUNK_BYTES = 32 << 20
BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"


class NotUtf8(Exception):
    """The file is not valid UTF-8: read it again as Windows-1250."""


@dataclass
class Chunk:
    data: bytes  # UTF-8, whole records
    first_line: int  # physical line of its first byte
    done: int  # bytes of the file (compressed, if gzipped) read so far
    record_ends: RecordEnds | None = None  # the line feeds that end its records (None: not known)


@dataclass
class RecordEnds:
    """The line feeds outside double quotes in a text starting at a record's start: those that end a
    record (doubled quotes keep the parity)."""

    offsets: np.ndarray  # byte offset of each
    lines: np.ndarray  # how many line feeds precede each (the physical line it ends, from 0)


def _open(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """(the stream of the file's content, the raw file whose position tells the progress)."""
    try:
        raw = open(path, "rb")
        magic = raw.read(2)
        raw.seek(0)
    except OSError as e:
        raise ExtractError(path, f"cannot read the file: {e.strerror or e}") from None
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if path.name.endswith(".gz"):
        raw.close()
        raise ExtractError(path, "named .gz but not gzip data")
    return raw, raw


def _blocks(path: Path, size: int) -> Iterator[tuple[bytes, int]]:
    """The file's content in blocks of `size` bytes, with the raw file position after each."""
    stream, raw = _open(path)
    gz = stream is not raw
    with raw, stream:
        while True:
            try:
                block = stream.read(size)
            except (OSError, EOFError, zlib.error) as e:
                if gz and not getattr(e, "errno", None):
                    raise ExtractError(path, f"corrupt gzip data: {e}") from None
                raise ExtractError(path, f"cannot read the file: {getattr(e, 'strerror', None) or e}") from None
            if not block:
                return
            yield block, raw.tell()


def record_ends(buf: bytes) -> RecordEnds:
    """The record-ending line feeds of `buf` (which starts at a record's start)."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    lines = np.flatnonzero(np.searchsorted(np.flatnonzero(arr == 34), nl) % 2 == 0) if len(nl) else nl
    return RecordEnds(nl[lines], lines)


def _is_utf8(data: bytes) -> bool:
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)),
                                                        pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


class ExtractText:
    """One extract file as UTF-8 text: `header` (its first line) and `chunks()` (the records after it).

    `cp1250`: read it as Windows-1250 (after NotUtf8 was raised reading it as UTF-8)."""

    def __init__(self, path: Path, *, cp1250: bool = False, chunk_bytes: int = CHUNK_BYTES):
        self.path = path
        self.cp1250 = cp1250
        self._blocks = _blocks(path, chunk_bytes)
        self._pending, self._done = self._first_block()
        self.bom = self._pending.startswith(BOM)
        if self.bom:
            self._pending = self._pending[3:]
        self._offset = 0  # bytes decoded so far (after the BOM), for the position of an undecodable byte
        self.encoding = "cp1250" if cp1250 else ("utf-8-sig" if self.bom else "utf-8")
        self.header = self._header_line()

    def _first_block(self) -> tuple[bytes, int]:
        buf, done = b"", 0
        for block, done in self._blocks:
            buf += block
            if b"\n" in buf:
                break
        return buf, done

    def _header_line(self) -> str:
        end = self._pending.find(b"\n")
        line = self._pending if end < 0 else self._pending[:end + 1]
        self._pending = self._pending[len(line):]
        return self._decode(line).decode("utf-8").rstrip("\n").rstrip("\r")

    def _decode(self, data: bytes) -> bytes:
        """UTF-8 bytes of `data` (raises NotUtf8, or ExtractError for a file that is neither)."""
        start, self._offset = self._offset, self._offset + len(data)
        if not self.cp1250:
            if not _is_utf8(data):
                raise NotUtf8()
            return data
        try:
            return data.decode("cp1250").encode("utf-8")
        except UnicodeDecodeError as e:
            raise ExtractError(self.path, f"neither valid UTF-8 nor Windows-1250 (byte {start + e.start})") from None

    def chunks(self) -> Iterator[Chunk]:
        """The records after the header, in chunks of whole records."""
        line = 2
        buf, done = self._pending, self._done
        self._pending = b""
        for block, done in self._blocks:
            buf += block
            ends = record_ends(buf)
            if len(ends.offsets):
                cut = int(ends.offsets[-1]) + 1
                data = self._decode(buf[:cut])
                buf = buf[cut:]
                yield Chunk(data, line, done, None if self.cp1250 else ends)  # (cp1250: offsets change)
                line += int(ends.lines[-1]) + 1  # the line feeds in data (its last byte is one)
        if buf:
            yield Chunk(self._decode(buf), line, done)

    def drain(self) -> None:
        """Read (and decode) the rest of the file, so that unreadable or undecodable data is reported."""
        for _ in self.chunks():
            pass


T = TypeVar("T")
_END = object()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """The items of `items`, the next one produced in a background thread while the caller works on
    this one (un-gzipping and decoding release the GIL: the reading then runs on a second core).
    An exception in `items` is raised here, at its place in the sequence."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put((_END, e))
        finally:
            close = getattr(items, "close", None)
            if close:
                close()

    worker = threading.Thread(target=produce, name="extract-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        worker.join()
