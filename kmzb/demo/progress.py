"""How far the writing of a demo set is: a progress bar on a terminal (rich, as the ingest's),
plain lines otherwise (one each tenth of the way, for logs)."""

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
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
              TimeElapsedColumn(), TimeRemainingColumn(), console=Console(file=stream))
    task = None

    def progress(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(label, total=total)
        bar.update(task, completed=done)
        if done >= total:
            bar.stop()

    return progress
