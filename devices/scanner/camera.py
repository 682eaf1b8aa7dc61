"""Camera QR scanner: a capture thread that keeps only the newest frame, a decode thread.

Why two threads: a camera driver queues frames. If one thread read and decoded in turn, a
slow decode would leave it working through stale frames (a backlog: the code shows up
seconds late). Here the capture thread drains the camera continuously into a one-frame
slot, and the decode thread always takes whatever is newest; frames it had no time for are
dropped and counted.

Events (`scanned`, a Signal) run on the decode thread; the UI hops to its own thread itself.

At rest the camera looks at the same empty scene for hours: the decode thread compares each
frame with the last decoded one on an 80x60 thumbnail (SceneWatch) and decodes only when the
scene changed, for a short settling time after that, and once every few seconds regardless (a
code held perfectly still is still read). While the scene stays unchanged and no code is in
view, the capture thread also reads only `rest_fps` frames a second (the driver drops the
others, as a one-buffer V4L2 queue does): a seeker cannot tell a code noticed 1/6 s later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from devices.base import Device, DeviceGone, DeviceState
from devices.scanner.decode import Code, Decoder
from kiosk.worker import Signal

log = logging.getLogger(__name__)


class CaptureLike(Protocol):
    """What we need of cv2.VideoCapture (the simulator provides the same)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def release(self) -> None: ...


Source = int | str | Callable[[], CaptureLike]


class RepeatFilter:
    """Suppresses a code that was seen less than `window_s` ago.

    "Seen", not "announced": a poster held in front of the camera for a minute opens its job
    once; it is announced again only after it has been out of view for the window."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._last_seen: dict[str, float] = {}

    def should_announce(self, text: str, now: float) -> bool:
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        if len(self._last_seen) > 256:  # bounded memory: forget codes not seen for a window
            self._last_seen = {k: t for k, t in self._last_seen.items() if now - t < self.window_s}
            self._last_seen[text] = now
        return last is None or now - last >= self.window_s


class SceneWatch:
    """Cheap change detection: an 80x60 grey thumbnail of each frame against a reference.

    Changed means enough thumbnail pixels differ by more than `pixel_delta` grey levels: a
    count, not the mean difference, because a small code coming into a corner of the frame
    moves the mean of the whole frame less than sensor noise does."""

    SIZE = (80, 60)

    def __init__(self, pixel_delta: int = 12, min_pixels: int = 8) -> None:
        self.pixel_delta, self.min_pixels = pixel_delta, min_pixels
        self._ref: np.ndarray | None = None

    @staticmethod
    def thumbnail(frame: np.ndarray) -> np.ndarray:
        # Every fourth pixel of the green channel (most of luma), then area averaging: ~0.05 ms
        # a 1280x720 frame, a tenth of converting and shrinking the whole colour frame.
        plane = frame[::4, ::4, 1] if frame.ndim == 3 and frame.shape[2] >= 3 else frame[::4, ::4]
        return cv2.resize(np.ascontiguousarray(plane), SceneWatch.SIZE, interpolation=cv2.INTER_AREA)

    def changed(self, frame: np.ndarray) -> bool:
        """Whether `frame` differs from the reference; it becomes the reference when it does."""
        thumb = self.thumbnail(frame)
        ref = self._ref
        if ref is not None and np.count_nonzero(cv2.absdiff(thumb, ref) > self.pixel_delta) < self.min_pixels:
            return False
        self._ref = thumb
        return True


@dataclass(slots=True)
class CameraStats:
    frames: int = 0  # read from the camera
    decoded: int = 0  # frames the decoder processed
    dropped: int = 0  # frames replaced in the slot before the decoder got to them
    codes: int = 0  # codes announced
    last_decode_ms: float = 0.0
    last_code_frame: int = -1  # sequence number (frames read so far) of the last announcing frame
    fps: float = 0.0
    full_decodes: int = 0  # frames that also got the extra passes (see idle_extra_fps)
    unchanged: int = 0  # frames not decoded: the scene had not changed (see SceneWatch)

    def as_dict(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in self.__slots__}


class CameraScanner(Device):
    """OpenCV camera -> decode pipeline -> `scanned.emit(Code)` (on the decode thread)."""

    name = "camera"
    max_bad_reads = 20  # consecutive failed reads before the camera counts as gone

    def __init__(
        self,
        source: Source,
        on_code: Callable[[Code], None] | None = None,
        repeat_window_s: float = 3.0,
        *,
        decoder: Decoder | None = None,
        width: int = 1280,
        height: int = 720,
        idle_extra_fps: float | None = 3.0,
        scene_watch: bool = True,
        settle_s: float = 1.0,
        force_decode_s: float = 3.0,
        force_full_s: float = 10.0,
        rest_fps: float | None = 6.0,
    ) -> None:
        """idle_extra_fps: while no code has been seen for a repeat window, every frame gets
        the plain zxing pass (a clean code is found on the frame it appears in) but only this
        many frames a second get the costly extra passes (phone screens, small or blurred
        codes). An idle kiosk otherwise spends most of a core decoding empty frames.
        None: every frame gets every pass.

        scene_watch: decode a frame only if the scene changed since the last decoded frame,
        or changed less than `settle_s` ago (a code stops moving and comes into focus), or
        nothing was decoded for `force_decode_s` (a code held perfectly still; while a code
        is in view, under half the repeat window so a poster left there is never announced
        twice). A forced
        decode gets the extra passes once every `force_full_s` (they cost ~50 ms a frame:
        every 2 s that alone would be 2.5 % of a core). False: every frame is decoded.

        rest_fps: frames read a second while at rest (scene unchanged past settle_s, no code
        for a repeat window); None: every frame the camera delivers."""
        super().__init__()
        self.source = source
        self.scanned: Signal[[Code]] = Signal("camera.scanned", on_code)
        # a smaller budget than one-shot decoding: most camera frames hold no code at all
        self.decoder = decoder or Decoder(budget_ms=40.0)
        self.idle_extra_fps = idle_extra_fps
        self._last_full = float("-inf")  # monotonic time of the last frame with extra passes
        self._last_code = float("-inf")  # monotonic time a code was last decoded
        self.scene = SceneWatch() if scene_watch else None
        self.settle_s = settle_s
        self.force_decode_s = force_decode_s
        self.force_full_s = force_full_s
        self._last_change = float("-inf")  # monotonic time the scene last changed
        self._last_handed = float("-inf")  # monotonic time a frame was last handed to decoding
        self.rest_fps = rest_fps if scene_watch else None
        self.width, self.height = width, height
        self._repeat = RepeatFilter(repeat_window_s)
        self._cap: CaptureLike | None = None
        self._bad_reads = 0
        self._slot: tuple[int, np.ndarray, bool] | None = None
        self._cond = threading.Condition()
        self._decode_thread: threading.Thread | None = None
        self._stats = CameraStats()
        self._fps_t0 = time.monotonic()
        self._fps_n = 0

    # --- public -------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counters for the maintenance screen and heartbeats (no payloads in here)."""
        return {**self._stats.as_dict(), **self.status.as_dict()}

    def start(self) -> None:
        super().start()
        if not (self._decode_thread and self._decode_thread.is_alive()):
            self._decode_thread = threading.Thread(target=self._decode_loop, name="camera-decode", daemon=True)
            self._decode_thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        super().stop(timeout)
        if self._decode_thread:
            self._decode_thread.join(timeout)

    def _interrupt(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # --- Device hooks (capture thread) --------------------------------------------------
    def open(self) -> None:
        cap = self._make_capture()
        if not cap.isOpened():
            cap.release()
            raise DeviceGone("camera not available")
        self._cap = cap
        self._bad_reads = 0
        self._set_status(DeviceState.STARTING, "opened, waiting for frames")

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            try:
                cap.release()
            except Exception:  # releasing a vanished camera can fail; nothing to do
                log.debug("camera release failed", exc_info=True)
        with self._cond:
            self._slot = None

    def step(self) -> None:
        assert self._cap is not None
        t_read = time.monotonic()
        ok, frame = self._cap.read()
        if not ok or frame is None:
            self._bad_reads += 1
            if self._bad_reads >= self.max_bad_reads:
                raise DeviceGone("camera stopped delivering frames")
            self.sleep(0.02)
            return
        self._bad_reads = 0
        # Checked here, not on the decode thread: an unchanged frame never wakes that thread.
        forced = self._needs_decode(frame)
        with self._cond:
            self._stats.frames += 1
            if forced is None:
                self._stats.unchanged += 1
            else:
                if self._slot is not None:
                    self._stats.dropped += 1
                self._slot = (self._stats.frames, frame, forced)
                self._cond.notify()
        self._tick_fps(frame)
        if forced is None and self.rest_fps and time.monotonic() - self._last_code >= self._repeat.window_s:
            # At rest: the next read 1/rest_fps after this one began (the wait in read()
            # for the camera's next frame counts, so the rate does not depend on its fps).
            self.sleep(t_read + 1 / self.rest_fps - time.monotonic())

    def _needs_decode(self, frame: np.ndarray) -> bool | None:
        """None: skip this frame (scene unchanged); else whether it is a forced decode."""
        if self.scene is None:
            return False
        now = time.monotonic()
        forced = False
        if self.scene.changed(frame):
            self._last_change = now
        elif now - self._last_change >= self.settle_s:
            every = self.force_decode_s
            if now - self._last_code < self._repeat.window_s:  # a code in view: keep it "seen"
                every = min(every, self._repeat.window_s / 2)
            forced = now - self._last_handed >= every
            if not forced:
                return None
        self._last_handed = now
        return forced

    # --- internals ----------------------------------------------------------------------
    def _make_capture(self) -> CaptureLike:
        if callable(self.source):
            return self.source()
        cap = cv2.VideoCapture(self.source)
        if cap.isOpened() and isinstance(self.source, int | str) and _is_live(self.source):
            # keep the driver's own queue short: we want the newest frame, not a backlog
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        return cap

    def _tick_fps(self, frame: np.ndarray) -> None:
        self._fps_n += 1
        now = time.monotonic()
        if now - self._fps_t0 >= 2.0:
            self._stats.fps = round(self._fps_n / (now - self._fps_t0), 1)
            self._fps_t0, self._fps_n = now, 0
            h, w = frame.shape[:2]
            self._set_status(DeviceState.OK, f"{w}x{h} {self._stats.fps:g} fps")
        elif self.status.state != DeviceState.OK:
            h, w = frame.shape[:2]
            self._set_status(DeviceState.OK, f"{w}x{h}")

    def _decode_loop(self) -> None:
        while self.running:
            with self._cond:
                while self._slot is None and self.running:
                    self._cond.wait(0.5)
                if not self.running:
                    return
                seq, frame, forced = self._slot
                self._slot = None
            try:
                self._decode_one(seq, frame, forced)
            except Exception:  # a decoder bug on one odd frame must not end scanning
                log.exception("camera: decoding a frame failed")

    def _decode_one(self, seq: int, frame: np.ndarray, forced: bool = False) -> None:
        t0 = time.perf_counter()
        now = time.monotonic()
        active = now - self._last_code < self._repeat.window_s  # someone is scanning now
        if forced:
            full = active or now - self._last_full >= self.force_full_s
        else:
            full = active or self.idle_extra_fps is None or now - self._last_full >= 1 / self.idle_extra_fps
        if full:
            self._last_full = now
            self._stats.full_decodes += 1
        codes = self.decoder.decode(frame, extra_passes=full)
        self._stats.last_decode_ms = round((time.perf_counter() - t0) * 1000, 1)
        self._stats.decoded += 1
        now = time.monotonic()
        if codes:
            self._last_code = now
        for code in codes:
            if self._repeat.should_announce(code.text, now):
                self._stats.codes += 1
                self._stats.last_code_frame = seq
                self.scanned.emit(code)


def _is_live(source: int | str) -> bool:
    """A camera index or device node (not a video file or stream URL)."""
    return isinstance(source, int) or str(source).startswith("/dev/video")
