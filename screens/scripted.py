"""Drive a running app from a script: steps run between frames, touches go through Kivy's
real input dispatch (hit-testing the whole widget tree), screenshots come from the window.

Used by `gig-kiosk shots` and the UI tests. A script is a generator that yields the number of
frames to wait (or a float: seconds) before its next step.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.widget import Widget

Script = Generator[int | float, None, None]


class Tap(MotionEvent):
    """A single-finger touch at window pixel coordinates."""

    def __init__(self, x: float, y: float) -> None:
        self._pos = (x, y)
        super().__init__("scripted", id(self), self._spos(x, y), is_touch=True, type_id="touch")

    @staticmethod
    def _spos(x: float, y: float) -> tuple[float, float]:
        return x / max(1, Window.width), y / max(1, Window.height)

    def depack(self, args: tuple[float, float]) -> None:
        self.sx, self.sy = args
        self.profile = ["pos"]
        super().depack(args)


def tap(widget: Widget) -> None:
    """Press and release at the widget's centre, as a finger would."""
    release(press(widget))


def press(widget: Widget) -> Tap:
    """Put a finger down at the widget's centre (and keep it there): for long presses."""
    x, y = widget.to_window(*widget.center)
    touch = Tap(x, y)
    EventLoop.post_dispatch_input("begin", touch)
    return touch


def release(touch: Tap) -> None:
    EventLoop.post_dispatch_input("end", touch)


def run_script(script: Script, on_error: Callable[[BaseException], Any]) -> None:
    """Advance `script` from the Kivy clock until it is exhausted."""

    def step(_dt: float) -> None:
        try:
            wait = next(script)
        except StopIteration:
            return
        except BaseException as exc:  # report, then let the caller decide to stop
            on_error(exc)
            return
        if isinstance(wait, float):
            Clock.schedule_once(step, wait)
        else:
            _after_frames(max(1, int(wait)), step)

    _after_frames(2, step)


def _after_frames(n: int, fn: Callable[[float], None]) -> None:
    left = n

    def countdown(_dt: float) -> None:
        nonlocal left
        left -= 1
        if left <= 0:
            fn(0)
        else:
            Clock.schedule_once(countdown, 0)

    Clock.schedule_once(countdown, 0)


def screenshot(root: Widget, path: Path) -> None:
    """root as drawn, with any dialog open over it (a ModalView is the Window's child, not
    root's, so root.export_to_png alone would leave it out)."""
    from kivy.core.window import Window
    from kivy.graphics import ClearBuffers, ClearColor, Fbo

    path.parent.mkdir(parents=True, exist_ok=True)
    over = [w for w in Window.children if w is not root]
    if not over:
        root.export_to_png(str(path))
        return
    fbo = Fbo(size=root.size, with_stencilbuffer=True)
    with fbo:
        ClearColor(0, 0, 0, 0)
        ClearBuffers()
    layers = [root, *reversed(over)]  # Window.children: the last opened first
    for w in layers:
        fbo.add(w.canvas)
    fbo.draw()
    fbo.texture.save(str(path), flipped=True)
    for w in layers:
        fbo.remove(w.canvas)
