"""Give the C heap's free pages back to the system (glibc's malloc_trim).

A visit allocates and frees a few tens of MB (textures' pixels, job rows, the slip, the
embedded server's replies). glibc keeps freed memory in its arenas for reuse, and over
thousands of visits the free part of the arenas crept up (issue 17's soak: live C heap flat at
153 MB while the arenas grew ~4.5 MB per 1,000 visits). `trim()` runs when a visit ends.

`fix_mmap_threshold()` runs after the first frame: a block of 32 KiB or more (a label's or a
slip's pixels) that does not fit in the heap's free space then gets pages of its own, given
back whole when freed, instead of growing the heap. glibc starts at 128 KiB but raises the
threshold to the largest block freed so far (up to 32 MiB), after which big blocks grow the
heap and leave holes there (~64 MB kept free at rest in the soak; RSS at rest +5.9 MB from
visit 500 to 5,000 with the live C heap flat). Setting the threshold turns that adjustment off
(mallopt(3)). Fixed at 128 KiB, RSS at rest still swung between two levels ~6 MB apart from
sample to sample (436.3-443.3 MB over visits 500-5,000, the swing in the main heap); at
32 KiB, side by side, it stayed within 426.4-429.3 MB over visits 250-1,750, with the same CPU
per visit. The 10,000-visit soak at 32 KiB: +5.08 MB from visit 500 (trend +3.81): 1.86 MB of
it one step of C heap in use between visits 7,000 and 7,500, the rest within the swing the
soak's own reads of smaps caused. With those reads fixed: +4.02 MB (trend +3.46), the same
step at the same visits included (a second copy of Kivy's default theme atlas, it seems).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os

log = logging.getLogger(__name__)
calls = 0  # how many times trim() ran: the soak samples memory at rest once it has
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 32 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:  # glibc's soname first: find_library runs `ldconfig -p` (~10 ms)
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        libc = None
    try:
        libc = libc or ctypes.CDLL(ctypes.util.find_library("c"))
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
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


def fix_mmap_threshold() -> bool:
    """True when set; False without glibc, or when the operator set the threshold already
    (MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES' glibc.malloc.mmap_threshold)."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "mmap_threshold" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
