"""How far the writing of a demo set is: a progress bar (tqdm) on a terminal, plain lines otherwise
(one each tenth of the way, for logs)."""

from __future__ import annotations

import sys
from typing import TextIO

from kmzb.demo.extracts import Progress


def reporter(stream: TextIO | None = None, label: str = "demo extracts") -> Progress:
    """A progress(done, total) callback drawing on `stream` (default stderr)."""
    stream = stream if stream is not None else sys.stderr
    return _bar(stream, label) if stream.isatty() else _lines(stream, label)


def _lines(stream: TextIO, label: str) -> Progress:
    last = -1

    def progress(done: int, total: int) -> None:
        nonlocal last
        tenth = 10 * done // total if total else 10
        if tenth > last:
            last = tenth
            print(f"{label}: {10 * tenth}% ({done:,} of {total:,} rows written)", file=stream, flush=True)

    return progress


def _bar(stream: TextIO, label: str) -> Progress:
    from tqdm import tqdm

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit=" rows", unit_scale=True, file=stream)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress
