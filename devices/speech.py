"""Spoken prompts with espeak-ng (Debian package espeak-ng; Mandarin voice "cmn").

One utterance at a time: a new one cuts the one playing, so a seeker tapping through
screens is never talked over by stale text. The text goes to espeak-ng as an argument
(no shell). With `out_dir` set, utterances are written as WAV files instead of played:
that is how tests and headless machines check what would have been said.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

from devices.base import DeviceState, DeviceStatus

log = logging.getLogger(__name__)
VOICES = {"zh": "cmn", "en": "en"}
MAX_CHARS = 1200  # a whole policy article is read in parts by the caller, not in one go


class Speaker:
    name = "speech"

    def __init__(self, rate_wpm: int = 150, out_dir: Path | None = None, binary: str = "espeak-ng") -> None:
        self.rate_wpm = rate_wpm
        self.out_dir = out_dir
        self.binary = shutil.which(binary)
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.spoken = 0

    @property
    def status(self) -> DeviceStatus:
        if self.binary is None:
            return DeviceStatus(DeviceState.NO_DEVICE, "espeak-ng not installed")
        return DeviceStatus(DeviceState.OK, "wav files" if self.out_dir else "speaker")

    def health(self) -> dict[str, str]:
        """For the heartbeat, like every driver (kiosk.worker.Worker.health)."""
        return self.status.as_dict()

    @property
    def available(self) -> bool:
        return self.binary is not None

    def start(self) -> None:
        """Nothing to open: kept so Services can start and stop every device alike."""

    def say(self, text: str, lang: str = "zh", slow: bool = False) -> Path | None:
        """Start reading text aloud and return at once (the WAV path in out_dir mode)."""
        text = " ".join(text.split())[:MAX_CHARS]
        if not text or self.binary is None:
            return None
        rate = str(int(self.rate_wpm * (0.8 if slow else 1.0)))
        cmd = [self.binary, "-v", VOICES.get(lang, "cmn"), "-s", rate]
        wav = None
        with self._lock:
            self._stop_current()
            self.spoken += 1
            if self.out_dir is not None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                wav = self.out_dir / f"utterance-{self.spoken:04d}.wav"
                cmd += ["-w", str(wav)]
            try:
                self._proc = subprocess.Popen(
                    [*cmd, "--", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            except OSError as exc:  # speech is a help, never a reason to fail the screen
                log.warning("speech: %s", type(exc).__name__)
                return None
        return wav

    def wait(self, timeout: float = 30) -> None:
        """Block until the current utterance is finished (tests; the UI never waits)."""
        proc = self._proc
        if proc is not None:
            proc.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            self._stop_current()

    def _stop_current(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = None
