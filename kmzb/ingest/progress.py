"""Showing an ingest's progress: a bar per file on a terminal (rich), a plain line per file in logs."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Callable, Protocol


class Progress(Protocol):
    def start(self, path: Path) -> None: ...
    def update(self, done_bytes: int, rows: int) -> None: ...
    def finish(self, result) -> None: ...  # a run.FileResult


class Silent:
    def start(self, path: Path) -> None:
        pass

    def update(self, done_bytes: int, rows: int) -> None:
        pass

    def finish(self, result) -> None:
        pass


def plain_line(r) -> str:
    name = Path(r.file).name
    if r.error:
        return f"progress: {name}: failed after {r.seconds:.1f} s"
    return f"progress: {name}: {r.rows:,} rows, {r.loaded:,} good, {r.rejected:,} bad, {r.seconds:.1f} s"


class Lines(Silent):
    """One plain line per file when it is done (name, rows, good/bad, seconds)."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write

    def finish(self, result) -> None:
        self.write(plain_line(result))


class Bar:
    """A rich progress bar per file (bytes read of the file, rows so far), on stderr."""

    def __init__(self, console=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                             TextColumn("{task.fields[rows]:>12,} rows"), TimeElapsedColumn(), TimeRemainingColumn(),
                             console=console or Console(stderr=True), transient=False)
        self._task = None

    def start(self, path: Path) -> None:
        self._bar.start()
        self._task = self._bar.add_task(path.name, total=path.stat().st_size if path.exists() else None, rows=0)

    def update(self, done_bytes: int, rows: int) -> None:
        self._bar.update(self._task, completed=done_bytes, rows=rows)

    def finish(self, result) -> None:
        self._bar.update(self._task, completed=self._bar.tasks[-1].total or 0, rows=result.rows,
                         description=f"{Path(result.file).name}: {result.loaded:,} good, {result.rejected:,} bad")
        self._bar.stop()


class Steps:
    """Wall-clock seconds of each named step of an ingest, the CPU seconds of the process (every thread)
    meanwhile, and its peak memory (MB) when each ended (in the run report, for the benchmark)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peak_mb: dict[str, int] = {}
        self._t, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        """The step `name` ended now (it began when the previous one ended)."""
        now, cpu = time.perf_counter(), time.process_time()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._t, 3)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + cpu - self._cpu, 3)
        self.peak_mb[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self._t, self._cpu = now, cpu
