"""Keyboard-wedge (USB HID) scanners: tell a scanner's keystroke burst from a person typing.

A wedge scanner "types" its payload at machine speed (a few ms per key) and ends with Enter;
people type at 100+ ms per key. `HidScanDetector` holds keys while they arrive fast; a fast
burst ending in Enter becomes one scan (`on_scan(text)`), anything else is released as
ordinary keys (`on_key(key)`), in order. Pure: the app feeds it (key, timestamp) events and
calls `poll(now)` now and then (e.g. every 50 ms) so a held key is released when no Enter
follows. No Kivy here; the window's key handler swallows every key it feeds in.
"""

from __future__ import annotations

from collections.abc import Callable

ENTER_KEYS = frozenset({"\r", "\n", "enter", "return", "numpadenter"})


class HidScanDetector:
    def __init__(
        self,
        on_scan: Callable[[str], None],
        on_key: Callable[[str], None],
        *,
        max_gap_s: float = 0.05,
        min_length: int = 4,
        max_length: int = 4096,
    ) -> None:
        # 50 ms: scanners send every 1-20 ms and a UI loop may batch events by one frame
        # (16 ms at 60 fps); the fastest typists stay above ~60 ms between keys.
        self.on_scan, self.on_key = on_scan, on_key
        self.max_gap_s, self.min_length, self.max_length = max_gap_s, min_length, max_length
        self._held: list[str] = []
        self._last_t = 0.0

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def feed(self, key: str, t: float) -> None:
        """One key press. `key` is the typed character, or a key name such as "enter",
        "backspace" (names other than Enter are never part of a scan). `t` in seconds."""
        fast = bool(self._held) and t - self._last_t <= self.max_gap_s
        if key.lower() in ENTER_KEYS or key == "\r\n":
            if fast and len(self._held) >= self.min_length:
                text, self._held = "".join(self._held), []
                self.on_scan(text)
            else:
                self._release()
                self.on_key("enter")
        elif len(key) == 1 and key.isprintable():
            if self._held and not fast:
                self._release()  # the earlier keys were typed by hand
            self._held.append(key)
            if len(self._held) > self.max_length:
                self._release()  # a stuck key repeating, not a scan
        else:
            self._release()
            self.on_key(key)
        self._last_t = t

    def poll(self, now: float) -> None:
        """Release held keys once it is clear no Enter will come soon enough for a scan."""
        if self._held and now - self._last_t > self.max_gap_s:
            self._release()

    def _release(self) -> None:
        held, self._held = self._held, []
        for k in held:
            self.on_key(k)
