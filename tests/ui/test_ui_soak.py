"""A short soak (bench/soak.py) by real touches in a real window: every visit completes (the
ID card taken away on the registration-done screen used to leave the ScreenManager 'in
transition', ignoring every touch from visit 2 on) and threads, open files, live widgets and
textures stay flat after the first visits. The 10,000-visit figures are `gig-kiosk bench soak`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import run_python, with_display

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def test_short_soak_is_flat(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    cmd = with_display([sys.executable, "-m", "bench.soak", "--visits", "12", "--every", "4", "--json", str(out)])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["summary"]["central"] == "own process"
    samples = report["samples"]
    assert [s["visits"] for s in samples] == [0, 4, 8, 12]
    warm, last = samples[1], samples[-1]
    for s in samples[1:]:  # after a visit: the floor of ten reads at rest, and their highest
        assert all(s[k] <= s[f"{k}_max"] for k in ("rss_mb", "heap_in_use_mb", "threads", "os_threads", "fds")), s
        # At rest the visit's cycles are already freed (screens.attract): a full collection at
        # the sample finds next to nothing more (4-8 MB more before the attract screen ran one).
        assert s["heap_in_use_mb"] - s["heap_in_use_after_gc_mb"] < 1.0, s
        assert 0 < s["pymalloc_in_use_mb"] <= s["pymalloc_arenas_mb"] < s["rss_mb"], s
        assert abs(s["rss_heap_mb"] + s["rss_anon_mb"] + s["rss_other_mb"] - s["rss_mb"]) < 8, s
    # Threads and files come and go with the sync worker's work and the simulated network's
    # connections (a few at a time); one leaked per visit would be 8 over these 8 visits.
    for key, slack in (("threads", 4), ("os_threads", 4), ("fds", 6), ("widgets", 0), ("textures", 0),
                       ("bindings", 0)):
        assert last[key] <= warm[key] + slack, (key, samples)


def test_the_soaks_central_runs_in_its_own_process_and_ends_with_its_input(tmp_path: Path) -> None:
    """The soak's central API (screens.demo_devices, central.testing's main): seeded, served on
    loopback, and gone once the kiosk side closes its standard input."""
    import httpx

    from screens.demo_devices import _start_central_process

    base_url, seed, stop = _start_central_process(f"sqlite:///{tmp_path}/central.db")
    assert base_url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
    assert any(s["id"] == "qh-park" for s in seed["stations"])
    stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/healthz", timeout=2)


def test_scroll_updates_do_not_pile_up_bindings() -> None:
    """Kivy's ScrollView binds bar_color on each scroll update and unbinds it once half a
    second later: five updates in a row left five bindings (and one for good per burst)."""
    code = (
        "from kivy.uix.scrollview import ScrollView\n"
        "from kivy.uix.widget import Widget\n"
        "import screens.widgets\n"  # applies screens.scroll_fix, as the app does
        "sv = ScrollView(size=(100, 100))\n"
        "sv.add_widget(Widget(size_hint_y=None, height=500))\n"
        "for _ in range(5):\n"
        "    sv.update_from_scroll()\n"
        "print(len(sv.get_property_observers('bar_color')))\n"
    )
    assert run_python(code)[-1] == "1"


def test_reopened_dialogs_do_not_pile_up_bindings() -> None:
    """Kivy's ModalView.open binds center and size on every opening, never unbinding them:
    the kiosk keeps its dialogs and reopens them every visit."""
    code = (
        "from kivy.base import EventLoop\n"
        "from kivy.core.window import Window\n"
        "from screens.overlays import ConfirmEndView\n"
        "EventLoop.ensure_window()\n"
        "view = ConfirmEndView()\n"
        "counts = []\n"
        "for _ in range(5):\n"
        "    view.open(animation=False)\n"
        "    view.dismiss(animation=False)\n"
        "    counts.append(len(view.get_property_observers('size')))\n"
        "print(counts[0], counts[-1])\n"
    )
    first, last = run_python(code)[-2:]
    assert first == last, (first, last)


def test_pymalloc_figures_follow_small_objects() -> None:
    """The soak's reading of Python's small-object allocator: a million small objects take
    arenas and live blocks; once freed, the blocks are free again."""
    from bench.soak import pymalloc_mb

    before = pymalloc_mb()
    objects = [object() for _ in range(1_000_000)]  # 16 bytes each: ~15 MiB of blocks
    held = pymalloc_mb()
    del objects
    after = pymalloc_mb()
    assert held["pymalloc_in_use_mb"] - before["pymalloc_in_use_mb"] > 10, (before, held)
    assert held["pymalloc_arenas_mb"] - before["pymalloc_arenas_mb"] > 10, (before, held)
    assert after["pymalloc_in_use_mb"] < held["pymalloc_in_use_mb"] - 10, (held, after)


def test_summary_leaves_out_figures_a_traced_sample_lacks() -> None:
    """With --trace-from the later samples have no pymalloc figures (CPython prints none while
    tracemalloc runs): the summary leaves that growth out instead of failing at the end."""
    from bench.soak import summarise

    counts = dict.fromkeys(("threads", "os_threads", "fds", "widgets", "textures", "bindings"), 0)
    plain = {"rss_mb": 400.0, "heap_in_use_mb": 139.0, "heap_free_mb": 60.0, "pymalloc_arenas_mb": 88.0,
             "pymalloc_in_use_mb": 76.0, **counts}
    traced = {k: v for k, v in plain.items() if not k.startswith("pymalloc")} | {"rss_mb": 401.5}
    rows = [{"visits": 0, **plain}, {"visits": 500, **plain}, {"visits": 1000, **traced}]
    summary = summarise(rows, {})
    assert summary["rss_growth_mb"] == 1.5
    assert "heap_in_use_growth_mb" in summary and "pymalloc_arenas_growth_mb" not in summary


def test_resident_memory_is_split_by_where_it_is_mapped() -> None:
    """The soak's split of RSS: the kinds add up to the process's RSS, and 64 MiB of touched
    anonymous pages (numpy asks glibc, which maps a block that large on its own) land in
    "anon", not in the main heap or the files."""
    import numpy as np

    from bench.soak import rss_by_mapping_mb, rss_kb

    before = rss_by_mapping_mb()
    assert abs(sum(before.values()) - rss_kb() / 1024) < 8, before
    block = np.ones(64 * 2**20, np.uint8)  # ones: every page touched
    held = rss_by_mapping_mb()
    del block
    assert held["rss_anon_mb"] - before["rss_anon_mb"] > 60, (before, held)
    assert abs(held["rss_heap_mb"] - before["rss_heap_mb"]) < 4, (before, held)
    assert abs(held["rss_other_mb"] - before["rss_other_mb"]) < 4, (before, held)


def test_smaps_lines_are_read_by_mapping_name() -> None:
    """The heap, an unnamed mapping and a file; a file whose name has spaces stays a file."""
    from bench.soak import rss_by_mapping_mb

    smaps = "\n".join([
        "55d0c000-55d1c000 rw-p 00000000 00:00 0                          [heap]", "Size: 64 kB", "Rss: 2048 kB",
        "7f00000-7f10000 rw-p 00000000 00:00 0 ", "Rss: 1024 kB", "VmFlags: rd wr mr mw me ac",
        "7f20000-7f30000 r-xp 00000000 08:01 42   /usr/lib/libc.so.6", "Rss: 512 kB",
        "7f40000-7f50000 r--p 00000000 08:01 43   /tmp/a b (deleted)", "Rss: 512 kB",
    ])
    assert rss_by_mapping_mb(smaps) == {"rss_heap_mb": 2.0, "rss_anon_mb": 1.0, "rss_other_mb": 1.0}


# A fresh process: its main heap trimmed with free space in it, as the kiosk's is at rest.
_READ_TEN_TIMES = """
import mmap
from bench.soak import rss_by_mapping_mb
from kiosk import malloc_trim
malloc_trim.fix_mmap_threshold()  # as the kiosk runs
mappings = [mmap.mmap(-1, 8192) for _ in range(1400)]  # an smaps as long as the kiosk's
blocks = [bytearray(20000) for _ in range(2000)]  # 40 MB in the main heap...
kept = blocks[::20]
del blocks  # ...most of it freed, in runs of ~380 KB
rss_by_mapping_mb()  # as in the soak: not the first read
malloc_trim.trim()
print(" ".join(str(rss_by_mapping_mb()["rss_heap_mb"]) for _ in range(10)))
"""


def test_reading_smaps_does_not_touch_the_heap_it_measures() -> None:
    """The soak reads smaps ten times per sample. Read whole (~1.4 MB in the kiosk) and split,
    its buffers landed in the main heap's trimmed free space and each read brought ~0.6 MB of
    it back (+6 MB over ten): RSS at rest swung by up to 6 MB between samples. A line at a time,
    at most the first read after the trim brings ~0.6 MB back, and the reads after it none."""
    proc = subprocess.run([sys.executable, "-c", _READ_TEN_TIMES], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    heap = [float(x) for x in proc.stdout.split()]
    assert len(heap) == 10 and heap[-1] - heap[0] < 1.0 and heap[-1] - heap[1] < 0.3, heap
