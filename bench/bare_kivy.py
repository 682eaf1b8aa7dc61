"""Baseline for the start-up benchmark: a bare Kivy app that draws one label and exits.
With --idle it stays open instead: the baseline of bench_rest (a Kivy app doing nothing)."""

import os
import sys

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from kivy.config import Config  # noqa: E402  (Config must come before other kivy imports)

Config.set("graphics", "width", "720")
Config.set("graphics", "height", "1280")

from kivy.app import App  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402


class Bare(App):
    def build(self) -> Label:
        def first_frame(*_args: object) -> None:
            # Exactly what `gig-kiosk demo --smoke` does: stop once the first frame is drawn.
            Window.unbind(on_flip=first_frame)
            self.stop()

        if "--idle" not in sys.argv:
            Window.bind(on_flip=first_frame)
        return Label(text="hello")


if __name__ == "__main__":
    Bare().run()
