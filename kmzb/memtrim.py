"""Giving freed memory back to the operating system (glibc's malloc on Linux; a no-op elsewhere).

A server counts its cube once per data version: pandas and numpy temporaries of several hundred MB,
freed afterwards, yet glibc keeps most of them in its heap (RSS after the count: 732 MB, after
`malloc_trim(0)`: 574 MB, 3M reports). Request threads each get a malloc arena of their own by
default (up to 8 per core), which spreads small leftovers over many heaps; `limit_arenas` caps them.
Figures: bench/bench_memory.py, bench/HISTORY.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache

M_ARENA_MAX = -8  # glibc's mallopt parameters
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 << 20  # blocks of 4 MiB or more: mapped on their own, unmapped when freed


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def trim() -> bool:
    """Return the heap's free memory to the system; False where there is no glibc malloc_trim."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def limit_arenas(n: int = 2) -> bool:
    """At most `n` malloc arenas for the threads created from now on, and every block of MMAP_THRESHOLD
    or more mapped on its own; False where not glibc.

    glibc raises its mmap threshold (from 128 KiB up to 32 MiB) each time a mapped block is freed, so
    a server's request-sized arrays (a few MiB each) soon come from the heap, which keeps them once
    freed: a worker's RSS grew by ~130 MB over 2,000 requests and stayed. A fixed threshold unmaps
    them when freed (bench/bench_memory.py: final RSS 848 -> 716 MB; bench/HISTORY.md)."""
    libc = _libc()
    return (libc is not None and libc.mallopt(M_ARENA_MAX, int(n)) == 1
            and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1)
