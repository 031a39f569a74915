"""kmzb.memtrim: a server gives the cube count's freed memory back to the system."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from kmzb import memtrim

pytestmark = pytest.mark.unit


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_trim_returns_freed_small_objects_to_the_system():
    # many small objects (what pandas leaves behind), freed: glibc keeps the heap; trim hands it back
    memtrim.trim()
    before = rss_mb()
    junk = [np.arange(64) for _ in range(400_000)]  # ~200 MB of small allocations on the heap
    grown = rss_mb()
    del junk
    kept = rss_mb()
    assert memtrim.trim() is True
    after = rss_mb()
    assert grown - before > 100
    assert kept - after > 50, (before, grown, kept, after)  # given back by trim, not by the free itself
    assert memtrim.limit_arenas(2) is True
