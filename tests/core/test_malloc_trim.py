"""kiosk.malloc_trim gives freed C heap pages back, so the arenas no longer creep, and keeps big
blocks out of the heap (issue 17)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# 100 MB in 64 KB blocks (malloc'd from the heap: above Python's small-object allocator,
# below glibc's mmap threshold), every other one
# freed: the free half is scattered through the heap, where glibc keeps it until trimmed.
CODE = """
from pathlib import Path
from kiosk import malloc_trim

def rss_mb():
    line = next(x for x in Path('/proc/self/status').read_text().splitlines() if x.startswith('VmRSS:'))
    return int(line.split()[1]) / 1024

blocks = [bytes(65_536) + bytes([i % 256]) for i in range(1_600)]
kept = blocks[::2]
del blocks
before = rss_mb()
gave_back = malloc_trim.trim()
print(gave_back, round(before - rss_mb(), 1))
"""


def test_trim_gives_freed_pages_back() -> None:
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    gave_back, freed_mb = proc.stdout.split()
    assert gave_back == "True"
    assert float(freed_mb) >= 25, proc.stdout  # about half of the 100 MB: the freed blocks' pages


# glibc raises its mmap threshold to the largest mmapped block freed so far: after an 8 MiB
# block, 64 KiB blocks come from the heap (as they would at glibc's starting threshold,
# 128 KiB). With the threshold fixed at 32 KiB they get pages of their own (mallinfo2's count
# of mmapped blocks). The threshold is looked at only when the heap would have to grow, so the
# first one or two may still fit in what the heap has spare.
THRESHOLD_CODE = """
import ctypes, sys
from kiosk import malloc_trim

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
print(malloc_trim.fix_mmap_threshold() if sys.argv[1] == "fixed" else None)
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblks
blocks = [libc.malloc(64 << 10) for _ in range(100)]
print(libc.mallinfo2().hblks - before)
"""


def _mmapped_after_a_big_free(mode: str, env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", THRESHOLD_CODE, mode], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_fixed_threshold_keeps_big_blocks_out_of_the_heap() -> None:
    assert _mmapped_after_a_big_free("default") == ["None", "0"]  # glibc's own: from the heap
    was_set, mapped = _mmapped_after_a_big_free("fixed")
    assert was_set == "True" and int(mapped) >= 95, mapped  # of 100


def test_an_operators_threshold_is_left_alone() -> None:
    env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=4194304"}
    assert _mmapped_after_a_big_free("fixed", env) == ["False", "0"]  # 64 KiB < the operator's 4 MiB
