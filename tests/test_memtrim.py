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


SCRIPT = """
import sys, numpy as np
from kmzb import memtrim
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
if sys.argv[1] == "server":
    memtrim.limit_arenas(2)
a = np.ones(2 << 20); del a  # a 16 MiB array freed: glibc raises its mmap threshold past 8 MiB
base = rss()
blocks = [np.ones(1 << 20) for _ in range(40)]  # 40 arrays of 8 MiB, as a request's columns
top = bytearray(200_000)  # a smaller block allocated after them keeps the heap's top in use
held = rss()
del blocks
print(base, held, rss())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_a_server_unmaps_freed_request_sized_arrays():
    """In a fresh process: freed 8 MiB arrays stay in the heap by default (glibc's threshold rose past
    them), and go back to the system in a server's process (limit_arenas fixes the threshold)."""
    import subprocess
    import sys

    from kmzb.config import PROJECT_ROOT

    def run(mode: str) -> tuple[float, float, float]:
        out = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True).stdout
        return tuple(float(x) for x in out.split())

    base, held, after = run("default")
    assert held - base > 250 and held - after < 50, (base, held, after)  # kept
    base, held, after = run("server")
    assert held - base > 250 and held - after > 250, (base, held, after)  # given back on free
