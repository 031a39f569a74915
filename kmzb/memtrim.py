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

M_ARENA_MAX = -8  # glibc's mallopt parameter


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
    """At most `n` malloc arenas for the threads created from now on; False where not glibc."""
    libc = _libc()
    return libc is not None and libc.mallopt(M_ARENA_MAX, int(n)) == 1
