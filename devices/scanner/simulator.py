"""Simulated scanners for the demo and the tests.

`SimulatedCamera` is a camera you can point at things: it plays numpy frames, image files
or video files in real time (frames keep coming whether or not anyone reads them, like a
sensor), can be unplugged and plugged back, and is passed to `CameraScanner` as its source
(it is a factory of capture objects with cv2.VideoCapture's read()/isOpened()/release()).

`SerialScannerSimulator` is a barcode scanner on a real pseudo-terminal: the driver opens
its `port` with pyserial exactly as it would /dev/ttyACM0.
"""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from devices.scanner.synthetic import FRAME_H, FRAME_W

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"}


def load_frames(paths: Iterable[str | Path]) -> list[np.ndarray]:
    """Frames from image files (one frame each) and video files (every frame), in order."""
    frames: list[np.ndarray] = []
    for p in map(Path, paths):
        if p.suffix.lower() in VIDEO_SUFFIXES:
            cap = cv2.VideoCapture(str(p))
            try:
                while True:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    frames.append(frame)
            finally:
                cap.release()
        else:
            img = cv2.imdecode(np.fromfile(str(p), np.uint8), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f"{p}: not an image")
            frames.append(img)
    if not frames:
        raise ValueError("no frames")
    return frames


def _read_only(frame: np.ndarray) -> np.ndarray:
    view = frame.view()
    view.flags.writeable = False
    return view


def blank_frame(gray: int = 90) -> np.ndarray:
    """What the camera sees with nothing in front of it."""
    return np.full((FRAME_H, FRAME_W, 3), gray, np.uint8)


class SimulatedCamera:
    """A camera playing a clip at `fps`; call it to "open" it (returns a capture object)."""

    def __init__(self, frames: Sequence[np.ndarray] | None = None, fps: float = 15.0, loop: bool = True) -> None:
        self.fps = fps
        self._lock = threading.Lock()
        self._plugged = True
        self._generation = 0  # bumps on unplug: captures opened before it go dead
        self.frames_served = 0
        self.position = -1  # index in the clip of the frame served last
        self.play(frames if frames is not None else [blank_frame()], loop=loop)

    # --- what the scene shows -----------------------------------------------------------
    def play(self, frames: Sequence[np.ndarray], loop: bool = False) -> None:
        """Start a clip now. Without loop the last frame stays in view when it ends."""
        if not len(frames):
            raise ValueError("empty clip")
        frames = [_read_only(f) for f in frames]
        with self._lock:
            self._frames = frames
            self._loop = loop
            self._t0 = time.monotonic()
            self.position = -1

    def show(self, image: np.ndarray | str | Path) -> None:
        """Point the camera at one still picture (an array or an image file)."""
        frame = load_frames([image])[0] if isinstance(image, str | Path) else image
        self.play([frame], loop=True)

    def play_files(self, paths: Iterable[str | Path], loop: bool = False) -> None:
        self.play(load_frames(paths), loop=loop)

    def clear(self) -> None:
        self.play([blank_frame()], loop=True)

    # --- cable --------------------------------------------------------------------------
    def unplug(self) -> None:
        with self._lock:
            self._plugged = False
            self._generation += 1

    def plug(self) -> None:
        with self._lock:
            self._plugged = True

    @property
    def plugged(self) -> bool:
        return self._plugged

    # --- factory for CameraScanner ------------------------------------------------------
    def __call__(self) -> _Capture:
        return _Capture(self, self._generation if self._plugged else -1)

    def _frame_at(self, now: float) -> tuple[int, np.ndarray]:
        with self._lock:
            i = int((now - self._t0) * self.fps)
            n = len(self._frames)
            i = i % n if self._loop else min(i, n - 1)
            return i, self._frames[i]


class _Capture:
    """cv2.VideoCapture-like view of a SimulatedCamera. read() blocks until the next frame
    time, then returns the frame that is current *now* (a slow reader misses frames)."""

    def __init__(self, camera: SimulatedCamera, generation: int) -> None:
        self._cam = camera
        self._generation = generation
        self._next_t = time.monotonic()
        self._open = generation >= 0

    def _alive(self) -> bool:
        return self._open and self._cam.plugged and self._cam._generation == self._generation

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self._alive()

    def read(self) -> tuple[bool, np.ndarray | None]:
        if not self._alive():
            time.sleep(0.01)  # a dead V4L2 device also fails fast, but not in zero time
            return False, None
        now = time.monotonic()
        if now < self._next_t:
            time.sleep(self._next_t - now)
            now = time.monotonic()
        self._next_t = max(self._next_t + 1 / self._cam.fps, now)
        i, frame = self._cam._frame_at(now)
        self._cam.position = i
        self._cam.frames_served += 1
        # The clip's own frame, read-only: a sensor writes each frame into a buffer the
        # reader maps, it does not hand out a fresh 2.7 MB copy 30 times a second (that copy
        # was most of the demo camera's cost at rest, issue 17). A consumer that wants to
        # draw on a frame copies it, as it must with a real driver's buffer too.
        return True, frame

    def release(self) -> None:
        self._open = False

    def set(self, prop: int, value: float) -> bool:
        return False

    def get(self, prop: int) -> float:
        return self._cam.fps if prop == cv2.CAP_PROP_FPS else 0.0


class SerialScannerSimulator:
    """A CR/LF-terminated barcode scanner behind a real pty; `port` is the device path."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        # raw: no CR->LF translation or echo by the line discipline before pyserial opens it
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)

    def scan(self, text: str, terminator: bytes = b"\r\n", encoding: str = "utf-8") -> None:
        self.send(text.encode(encoding) + terminator)

    def send(self, data: bytes) -> None:
        """Raw bytes, e.g. a payload split across writes or without a terminator."""
        os.write(self._master, data)

    def unplug(self) -> None:
        """Hang up: the driver's next read fails as with a pulled USB cable."""
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    close = unplug

    def __enter__(self) -> SerialScannerSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
