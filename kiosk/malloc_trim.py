"""Give the C heap's free pages back to the system (glibc's malloc_trim).

A visit allocates and frees a few tens of MB (textures' pixels, job rows, the slip, the
embedded server's replies). glibc keeps freed memory in its arenas for reuse, and over
thousands of visits the free part of the arenas crept up (issue 17's soak: live C heap flat at
153 MB while the arenas grew ~4.5 MB per 1,000 visits). `trim()` runs when a visit ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)
calls = 0  # how many times trim() ran: the soak samples memory at rest once it has


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        log.info("malloc_trim not available: freed C memory stays with the allocator")
        return None
    return libc


def trim() -> bool:
    """True when memory was given back; False when there was none or no glibc."""
    global calls
    calls += 1
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))
