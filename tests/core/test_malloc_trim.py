"""kiosk.malloc_trim gives freed C heap pages back, so the arenas no longer creep (issue 17)."""

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
