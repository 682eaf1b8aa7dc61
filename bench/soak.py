"""`gig-kiosk bench soak --visits N`: scripted visits in a real Kivy window, by real touches.

Each visit: (every other visit) the ID card on the reader, else a tap on attract and on
"browse jobs"; a filter chip on and off (a search); a job row (detail); print and wait for the
slip; with the card, register (consent, phone on the keypad, confirm); then the reset (card
taken away, or Done + yes). Every `--every` visits, at rest on the attract screen once its
end-of-visit trim has run, it reports RSS (and `rss_busy_mb`, read as the visit ended), threads
and open file descriptors (the lowest of ten reads over 2 s, the highest as `*_max`), live Kivy
widgets and textures (counted with gc after a full collection), and where RSS lives (resident
in glibc's main heap, other anonymous memory and files; glibc's heap in use and kept free;
Python's small-object arenas), as one JSON line on stdout; the
last line is the summary, with RSS growth between two samples and by the trend of all, and the
touch latencies: from the touch's dispatch (Window.on_touch_down) to the flip (Window.on_flip) of
the first frame showing the new screen, in frames at 60 Hz.

Runs in its own process (one Kivy window per process); bench/bench_soak.py starts it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FRAME_S = 1 / 60
PHONE = "13900000001"


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def live_counts() -> dict[str, int]:
    """Kivy widgets and textures alive after a full collection (the leaks a soak can show),
    and the bindings Kivy's ScrollView and ModalView used to pile up (screens/scroll_fix.py,
    screens.overlays.Overlay.open)."""
    from kivy.graphics.texture import Texture
    from kivy.uix.modalview import ModalView
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget

    gc.collect()
    widgets = textures = bindings = 0
    for obj in gc.get_objects():
        if isinstance(obj, Widget):
            widgets += 1
            if isinstance(obj, ScrollView):  # one of the two bound at a time, whichever is due
                bindings += sum(len(obj.get_property_observers(p)) for p in ("bar_color", "bar_inactive_color"))
            elif isinstance(obj, ModalView):
                bindings += len(obj.get_property_observers("center")) + len(obj.get_property_observers("size"))
        elif isinstance(obj, Texture):
            textures += 1
    return {"widgets": widgets, "textures": textures, "bindings": bindings}


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def heap_mb() -> dict[str, float]:
    """glibc's own counters: C memory in use and freed-but-kept. RSS growth with the first flat
    is the allocator keeping memory, not a leak (what kiosk.malloc_trim answers)."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):  # not glibc 2.33+
        return {}
    mallinfo2.restype = _MallInfo2
    mi = mallinfo2()
    return {"heap_in_use_mb": round((mi.uordblks + mi.hblkhd) / 2**20, 2), "heap_free_mb": round(mi.fordblks / 2**20, 2)}


def pymalloc_mb() -> dict[str, float]:
    """Python's own small-object allocator (objects up to 512 bytes), which takes 1 MiB arenas
    from the system outside glibc's counters and gives one back only when all of it is free:
    arenas held and bytes in live blocks. RSS that grows with neither glibc's heap in use nor
    these is elsewhere (textures, libraries' own pools). CPython prints the figures only, to
    fd 2, so they are read through a temporary file put there for the call; it prints none
    while tracemalloc runs (--trace-from), and then this is empty."""
    with tempfile.TemporaryFile(mode="w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    figures: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip("# ").strip()
        value = value.strip().replace(",", "")
        if sep and value.isdigit() and key not in figures:  # the first "Total" is the arenas' bytes
            figures[key] = int(value)
    if "Total" not in figures or "bytes in allocated blocks" not in figures:  # another layout
        return {}
    return {"pymalloc_arenas_mb": round(figures["Total"] / 2**20, 2),
            "pymalloc_in_use_mb": round(figures["bytes in allocated blocks"] / 2**20, 2)}


def thread_and_file_counts() -> dict[str, int]:
    return {"threads": threading.active_count(), "os_threads": len(os.listdir("/proc/self/task")),
            "fds": len(os.listdir("/proc/self/fd"))}


def rss_by_mapping_mb(smaps: str | None = None) -> dict[str, float]:
    """Resident memory by where it is mapped (/proc/self/smaps): glibc's main heap (`[heap]`,
    what the UI thread mallocs below the mmap threshold), other anonymous memory (Python's
    arenas, other threads' malloc arenas, blocks mmapped on their own, thread stacks) and
    everything else (libraries, files, the driver's mappings). Which of these grows says where
    to look; glibc's counters say how much is in use, not where the resident pages are.
    The file is read a line at a time. Read whole (~1.4 MB, ~35,000 lines; ten reads per
    sample) its buffers landed in the main heap's trimmed free space, each read brought ~0.6 MB
    of it back into RSS, and its lines took Python new arenas (one kept, full of smaps text):
    the soak's own reads swung the RSS at rest it reported by up to 6 MB."""
    if smaps is not None:
        return _rss_by_kind(smaps.splitlines())
    try:
        with open("/proc/self/smaps") as lines:
            return _rss_by_kind(lines)
    except OSError:
        return {}


def _rss_by_kind(lines: Iterable[str]) -> dict[str, float]:
    kb = {"heap": 0, "anon": 0, "other": 0}
    kind = "other"
    for line in lines:
        head = line.split(maxsplit=6)
        if head and "-" in head[0] and ":" not in head[0]:  # a mapping's first line: range perms offset dev inode [name]
            name = head[5] if len(head) > 5 else ""
            kind = "heap" if name == "[heap]" else "anon" if not name else "other"
        elif line.startswith("Rss:"):
            kb[kind] += int(line.split()[1])
    return {f"rss_{k}_mb": round(v / 1024, 2) for k, v in kb.items()}


def resources() -> dict[str, Any]:
    """RSS (and where it lives), glibc's heap, threads and open files, read now."""
    return {"rss_mb": round(rss_kb() / 1024, 2), **rss_by_mapping_mb(), **heap_mb(), **thread_and_file_counts()}


def sample(visits: int, t0: float, counts: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row. `counts`: resources() as read by the caller (the floor over a few reads), else
    read now."""
    row = {
        "visits": visits,
        "s": round(time.monotonic() - t0, 1),
        **(counts or resources()),
        **live_counts(),  # after a full collection
    }
    # Heap in use once that collection has freed unreachable cycles: in use above this was
    # garbage waiting for Python's next full collection, not memory anything holds.
    after = heap_mb()
    if after:
        row["heap_in_use_after_gc_mb"] = after["heap_in_use_mb"]
    return row | pymalloc_mb()


class Allocations:
    """With --trace-from: tracemalloc from the first report at or after that visit, then per
    report the source lines whose live allocations grew most since the last report (how the
    leaks fixed in issue 17 were found). Slow: a visit takes ~3x as long."""

    TOP = 12

    def __init__(self, start_at: int) -> None:
        self.start_at = start_at
        self.last: Any = None

    def report(self, visits: int) -> dict[str, Any]:
        import tracemalloc

        if not self.start_at or visits < self.start_at:
            return {}
        if self.last is None:
            tracemalloc.start(1)
            self.last = self._snapshot()
            return {}
        snap = self._snapshot()
        grown = [st for st in snap.compare_to(self.last, "lineno")[:self.TOP] if st.size_diff > 0]
        self.last = snap
        return {"grown_kb": {self._where(st.traceback[0]): round(st.size_diff / 1024, 1) for st in grown}}

    @staticmethod
    def _snapshot() -> Any:
        import linecache
        import tracemalloc

        gc.collect()
        skip = [tracemalloc.Filter(False, f) for f in (tracemalloc.__file__, linecache.__file__, __file__)]
        return tracemalloc.take_snapshot().filter_traces(skip)

    @staticmethod
    def _where(frame: Any) -> str:
        """Short: kivy/uix/scrollview.py:1153, screens/jobs.py:69, threading.py:265."""
        path = frame.filename.split("site-packages/")[-1]
        path = path.removeprefix(str(Path(__file__).resolve().parents[1]) + "/")
        if "/lib/python3." in path:  # the standard library
            path = path.rsplit("/lib/python3.", 1)[-1].split("/", 1)[-1]
        return f"{path}:{frame.lineno}"


class Latency:
    """Touch -> first flipped frame where `shown()` holds, per transition name. The samples go
    into arrays filled in advance (`capacity` taps per transition): the soak's own records must
    not grow with the visits it measures (lists of floats grew ~0.1 MB per 1,000 visits)."""

    def __init__(self, capacity: int) -> None:
        from kivy.core.window import Window

        self.capacity = capacity
        self.samples: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}
        self._armed: tuple[str, Callable[[], bool]] | None = None
        self._t_touch: float | None = None
        Window.bind(on_touch_down=self._touch, on_flip=self._flip)

    def arm(self, name: str, shown: Callable[[], bool]) -> None:
        self._armed, self._t_touch = (name, shown), None

    def _touch(self, *_args: Any) -> None:
        if self._armed and self._t_touch is None:
            self._t_touch = time.perf_counter()

    def _flip(self, *_args: Any) -> None:
        if self._armed and self._t_touch is not None and self._armed[1]():
            name = self._armed[0]
            if name not in self.samples:  # np.full writes every page now, not as samples come
                self.samples[name], self.counts[name] = np.full(self.capacity, np.nan), 0
            n = self.counts[name]
            if n < self.capacity:
                self.samples[name][n] = (time.perf_counter() - self._t_touch) / FRAME_S
                self.counts[name] = n + 1
            self._armed = None

    def done(self) -> bool:
        return self._armed is None

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, xs in self.samples.items():
            xs = xs[:self.counts[name]]
            out[name] = {"n": len(xs), "p50": round(float(np.percentile(xs, 50)), 2),
                         "p95": round(float(np.percentile(xs, 95)), 2), "max": round(float(xs.max()), 2)}
        return out


class Waits:
    """Mean seconds per wait, by what was awaited (where a visit's time goes), kept as running
    sums: a list per wait grew ~0.4 MB per 1,000 visits inside the process being measured."""

    def __init__(self) -> None:
        self.total: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.longest: dict[str, float] = {}

    def add(self, what: str, seconds: float) -> None:
        self.total[what] = self.total.get(what, 0.0) + seconds
        self.count[what] = self.count.get(what, 0) + 1
        self.longest[what] = max(self.longest.get(what, 0.0), seconds)

    def means(self) -> dict[str, float]:
        return {k: round(self.total[k] / self.count[k], 3) for k in self.total if self.longest[k] > 0}


class FullCollections:
    """Python's full (generation 2) collections during the soak, through gc.callbacks: how many
    and how long they stopped the process. The attract screen runs one when nobody has come
    within 1 s of a visit's end (in the soak: before each sample), each sample's count of live
    widgets another, and Python its own when its thresholds say."""

    def __init__(self) -> None:
        self.count = 0
        self.total_s = self.longest_s = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.count += 1
        self.total_s += took
        self.longest_s = max(self.longest_s, took)

    def summary(self) -> dict[str, float]:
        return {"count": self.count, "mean_ms": round(1000 * self.total_s / max(1, self.count), 1),
                "max_ms": round(1000 * self.longest_s, 1)}


def speed_up(services: Any) -> None:
    """The soak's settings: the same drivers and wire protocols, without the waits a visit
    spends on slow hardware. The printer answers GS ( H (process ID), so a slip is confirmed
    when it is out rather than after the generic model's estimated print time (~3.5 s); the
    ID card reader is polled at its fastest setting (0.05 s, not 0.3 s)."""
    from devices.printer.service import PrintService

    printer = services.printer
    services.printer = PrintService(printer.settings.model_copy(update={"process_id": True}))
    services.idcard.poll_interval_s = 0.05


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 visits")
    parser.add_argument("--every", type=int, default=500, help="report every N visits")
    parser.add_argument("--json", type=Path, help="also write the samples and summary here")
    parser.add_argument("--central-in-process", action="store_true",
                        help="run the demo's central API inside the soak's process, as `gig-kiosk demo` does"
                             " (its memory is then in the figures)")
    parser.add_argument("--trace-from", type=int, default=0, metavar="VISITS",
                        help="trace Python allocations from this visit on and list the lines that grew"
                             " in each report (tracemalloc; ~3x slower)")


def run(args: argparse.Namespace) -> int:
    visits = 1_000 if args.quick else args.visits
    from screens.commands.common import configure_desktop_window, setup_logging

    setup_logging()
    import logging

    logging.getLogger().setLevel(logging.WARNING)  # 10,000 visits of INFO lines would be the leak
    configure_desktop_window("720x1280")
    from screens.app import GigKioskApp
    from screens.demo_setup import build_demo_services
    from screens.scripted import run_script, tap

    errors: list[BaseException] = []
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gig-soak-") as tmp:
        services = build_demo_services(Path(tmp) / "data")
        # The central API in a process of its own: a station's central is elsewhere, and its
        # growing database (every registration of the soak) is not the kiosk's memory.
        services.demo.central_process = not args.central_in_process
        if services.background_init:  # the embedded central API fills the cache first
            services.background_init()
            services.background_init = None
            deadline = time.monotonic() + 60
            while services.store.count_jobs() == 0 or not services.store.policies():
                if time.monotonic() > deadline:
                    raise SystemExit("the demo cache was not filled from the embedded central API")
                time.sleep(0.1)
        speed_up(services)
        app = GigKioskApp(services, demo=True)
        latency: Latency | None = None
        sim_bytes = [0, 0]  # bytes and visits: the printer simulator's record dropped after each visit
        waits = Waits()
        full_gc = FullCollections()
        gc.callbacks.append(full_gc)

        def wait(cond: Callable[[], bool], what: str, timeout: float = 20.0) -> Generator[int | float, None, None]:
            t0 = time.monotonic()
            deadline = t0 + timeout
            while not cond():
                if time.monotonic() > deadline:
                    from kivy.core.window import Window

                    over = [type(w).__name__ for w in Window.children[:-1]]
                    raise AssertionError(f"timed out waiting for {what} (on {app.sm.current}, over it {over},"
                                         f" notice {app.notice!r})")
                yield 1
            waits.add(what, time.monotonic() - t0)

        def measured(name: str, widget: Any, shown: Callable[[], bool]) -> Generator[int | float, None, None]:
            assert latency is not None
            latency.arm(name, shown)
            tap(widget)
            yield from wait(lambda: latency.done(), name)

        def screen() -> Any:
            return app.sm.current_screen

        def job_row(position: int) -> Any:
            rows_ = [w for w in screen().walk(restrict=True) if type(w).__name__ == "JobRow" and w.job_id]
            return sorted(rows_, key=lambda w: -w.to_window(*w.pos)[1])[position]

        def jobs_shown() -> bool:
            rv = app.screen("jobs").ids.rv
            return app.sm.current == "jobs" and bool(rv.data) and bool(rv.layout_manager.children)

        def visit(n: int) -> Generator[int | float, None, None]:
            demo = services.demo
            card = n % 2 == 1
            yield from wait(lambda: app.sm.current == "attract", "attract")
            if card:
                demo.reader_sim.place(demo.cards["resident"])
                yield from wait(jobs_shown, "jobs after the card")
            else:
                tap(screen())
                yield from wait(lambda: app.sm.current == "home", "home")
                yield 1
                yield from measured("home -> jobs", screen().ids.browse, jobs_shown)
            yield 1
            chip = screen().ids.pay_row.children[-1]  # "per day": a search, then undone
            tap(chip)
            yield 1
            tap(screen().ids.pay_row.children[-1])
            yield 1
            yield from measured("job -> detail", job_row(0), lambda: app.sm.current == "job_detail")
            yield from measured("print", screen().ids.print_button, lambda: app.sm.current == "printing")
            yield from wait(lambda: app.print_state in ("done", "problem"), "the slip")
            tap(screen().ids.back_to_job)
            yield from wait(lambda: app.sm.current == "job_detail", "detail again")
            yield 1
            if card and app.can_apply:
                tap(screen().ids.apply_button)
                yield from wait(lambda: app.sm.current == "apply_consent", "consent")
                yield 1
                tap(screen().ids.agree)
                yield from wait(lambda: app.sm.current == "apply_phone", "keypad")
                yield 1
                keys = {k.key: k for k in screen().ids.keypad.children}
                tap(keys["clear"])
                for d in PHONE:  # each tap is dispatched (and handled) in full at once
                    tap(keys[d])
                yield 1
                tap(screen().ids.confirm)
                yield from wait(lambda: app.sm.current == "apply_done", "registered")
            if card and n % 4 == 1:  # the card taken away ends the visit
                demo.reader_sim.remove()
            else:
                tap(app.root.ids.done_button)
                yield from wait(lambda: "confirm_end" in app.overlays.views
                                and app.overlays.views["confirm_end"].parent is not None, "confirm end")
                yield 1
                tap(app.overlays.views["confirm_end"].ids.yes_end)
                yield from wait(lambda: app.sm.current == "attract", "attract after Done")
                if card:
                    demo.reader_sim.remove()
                    yield from wait(lambda: not app.notice, "the take-card reminder gone")
            yield from wait(lambda: app.sm.current == "attract", "attract after reset")
            # The simulated printer's record of every byte and slip is the harness's, not the
            # kiosk's: emptied each visit, or it would be most of the RSS growth measured.
            sim_bytes[0] += demo.printer_sim.forget()
            sim_bytes[1] += 1

        def rest() -> Generator[int | float, None, None]:
            """Between seekers: on the attract screen until its end-of-visit trim has run, as
            a station is most of the day. Samples are taken here, so they do not depend on
            what the last visit happened to leave in the allocator."""
            from kiosk import malloc_trim

            trims, until = malloc_trim.calls, time.monotonic() + 3  # it runs 1 s after the screen shows
            while malloc_trim.calls == trims and time.monotonic() < until:
                yield 1
            yield 2

        def count_floor() -> Generator[int | float, None, dict[str, Any]]:
            """Threads, open files, RSS and heap in use: the lowest of ten reads over two seconds
            at rest, and the highest beside it. A leaked thread, file or block is in every read;
            a connection of the demo's network simulator or the kiosk's HTTP pool that comes
            and goes is not, and one read alone caught such a connection at random (+2 threads,
            +2 files). (The +12 MB of heap in use some samples showed was in all ten reads:
            garbage awaiting a full collection, which screens.attract now runs at rest.)"""
            reads = []
            for _ in range(10):
                reads.append(resources())
                yield 0.2
            floor = {k: min(r[k] for r in reads) for k in reads[0]}
            return floor | {f"{k}_max": max(r[k] for r in reads) for k in reads[0]}

        def script() -> Generator[int | float, None, None]:
            nonlocal latency
            yield from wait(lambda: app.ready and all(app.sm.has_screen(n) for n in ("jobs", "printing")),
                            "services and screens", timeout=60)
            yield 10
            latency = Latency(capacity=visits)
            allocations = Allocations(args.trace_from)
            t0 = time.monotonic()
            rows.append(sample(0, t0))  # (the first visit has not run: no trim to wait for)
            print(json.dumps(rows[-1]), flush=True)
            for n in range(1, visits + 1):
                try:
                    yield from visit(n)
                except AssertionError as exc:
                    raise AssertionError(f"visit {n}: {exc}") from None
                if n % args.every == 0 or n == visits:
                    busy_rss = round(rss_kb() / 1024, 2)
                    yield from rest()
                    counts = yield from count_floor()
                    rows.append({**sample(n, t0, counts), "rss_busy_mb": busy_rss, **allocations.report(n)})
                    print(json.dumps(rows[-1]), flush=True)
            app.stop()

        def fail(exc: BaseException) -> None:
            errors.append(exc)
            app.stop()

        from screens.commands.common import run_app

        app.bind(on_start=lambda *_: run_script(script(), fail))
        run_app(app)
    if errors:
        print(f"gig-kiosk bench soak: {errors[0]!r}", file=sys.stderr)
        return 1
    summary = summarise(rows, latency.summary() if latency else {})
    if len(rows) > 1:
        summary["s_per_visit"] = round((rows[-1]["s"] - rows[0]["s"]) / max(1, rows[-1]["visits"]), 2)
    if sim_bytes[1]:
        summary["printer_sim_kb_per_visit"] = round(sim_bytes[0] / sim_bytes[1] / 1024, 1)
    summary["wait_s"] = waits.means()
    summary["full_gc"] = full_gc.summary()
    summary["central"] = "in this process" if args.central_in_process else "own process"
    print(json.dumps(summary), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"samples": rows, "summary": summary}, indent=1))
    return 0


def rss_trend_mb(rows: list[dict[str, Any]]) -> float:
    """RSS growth over the rows' span by the least-squares line through all of them. Two single
    samples can each catch what is not a leak (+12 MB of garbage awaiting a full collection, twice
    at the end of the first 10,000-visit run); a leak is a trend through every sample."""
    visits = np.array([r["visits"] for r in rows], dtype=float)
    slope = np.polyfit(visits, np.array([r["rss_mb"] for r in rows]), 1)[0]
    return round(float(slope * (visits[-1] - visits[0])), 2)


def summarise(rows: list[dict[str, Any]], latency: dict[str, Any]) -> dict[str, Any]:
    """Growth from the sample after the warm-up (the first 500 visits, or the first sample
    after visit 0 on a short run) to the last."""
    base = next((r for r in rows if r["visits"] >= 500), rows[min(1, len(rows) - 1)])
    since_base = rows[rows.index(base):]
    last = rows[-1]
    return {
        "summary": True,
        "visits": last["visits"],
        "from_visit": base["visits"],
        "rss_growth_mb": round(last["rss_mb"] - base["rss_mb"], 2),
        **({"rss_trend_mb": rss_trend_mb(since_base)} if len(since_base) >= 3 else {}),
        **({"rss_busy_growth_mb": round(last["rss_busy_mb"] - base["rss_busy_mb"], 2)} if "rss_busy_mb" in base else {}),
        **{f"{k}_growth_mb": round(last[f"{k}_mb"] - base[f"{k}_mb"], 2)
           for k in ("rss_heap", "rss_anon", "rss_other", "heap_in_use", "heap_free", "pymalloc_arenas",
                     "pymalloc_in_use")
           if f"{k}_mb" in base and f"{k}_mb" in last},  # (no pymalloc figures while tracemalloc runs)
        **{f"{k}_growth": last[k] - base[k] for k in ("threads", "os_threads", "fds", "widgets", "textures", "bindings")},
        "latency_frames": latency,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="gig-kiosk bench soak")
    configure(parser)
    sys.exit(run(parser.parse_args()))
