"""Spoken prompts with espeak-ng (Mandarin voice "cmn").

The voice comes from the PyPI package `espeakng-loader`: its libespeak-ng and data have the
full Mandarin dictionary, which Debian 12's espeak-ng lacks (that one spells pinyin with English
tone numbers; REFERENCES.md "Speech"). The library is driven through ctypes: text is synthesised
into a WAV (the synth callback collects the samples), then played with `aplay`. Only when the
library is missing does the espeak-ng command line speak instead.

One utterance at a time: a new one cuts the one playing, so a seeker tapping through
screens is never talked over by stale text. With `out_dir` set, utterances are written as WAV
files instead of played: that is how tests and headless machines check what would have been said.
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

from devices.base import DeviceState, DeviceStatus

log = logging.getLogger(__name__)
VOICES = {"zh": "cmn", "en": "en"}
MAX_CHARS = 1200  # a whole policy article is read in parts by the caller, not in one go

_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: synth callback, espeak_Synth returns when done
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_RATE = 1  # espeak_PARAMETER espeakRATE
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Library:
    """libespeak-ng of espeakng-loader: one per process (the C library keeps global state)."""

    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        data = str(espeakng_loader.get_data_path()).encode()
        self.rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, data, 0)
        if self.rate <= 0:
            raise OSError("espeak_Initialize failed")
        self.lib = lib
        self.lock = threading.Lock()
        self._samples: list[bytes] = []
        self._cancel = False
        self._cb = _CALLBACK(self._collect)  # kept referenced: the C side holds the pointer
        lib.espeak_SetSynthCallback(self._cb)

    def _collect(self, wav: ctypes.Array, n: int, _events: int) -> int:
        if wav and n > 0:
            self._samples.append(ctypes.string_at(wav, n * 2))
        return 1 if self._cancel else 0  # non-zero stops the synthesis

    def _voice(self, voice: str) -> None:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise OSError(f"no espeak voice {voice}")

    def synth(self, text: str, voice: str, rate_wpm: int) -> bytes:
        """16-bit mono PCM at self.rate for text."""
        with self.lock:
            self._voice(voice)
            self.lib.espeak_SetParameter(_RATE, rate_wpm, 0)
            self._samples, self._cancel = [], False
            raw = text.encode()
            self.lib.espeak_Synth(raw, len(raw) + 1, 0, 1, 0, _CHARS_UTF8, None, None)
            pcm, self._samples = b"".join(self._samples), []  # not held until the next utterance
            return pcm

    def phonemes(self, text: str, voice: str) -> str:
        with self.lock:
            self._voice(voice)
            # A line end closes the last clause: else a number after a colon ("Job: 5") is held
            # back by the library and comes out at the start of the next call instead.
            buf = ctypes.c_char_p(text.encode() + b"\n")
            ptr = ctypes.pointer(buf)
            out = []
            while ptr.contents.value:  # one clause per call; the pointer moves on, NULL at the end
                part = self.lib.espeak_TextToPhonemes(ptr, _CHARS_UTF8, _PHONEMES_IPA)
                if part:
                    out.append(part.decode())
            return " ".join(out)


_library: _Library | None = None
_library_failed = False


def library() -> _Library | None:
    """The bundled library, loaded once; None if espeakng-loader is not installed or broken."""
    global _library, _library_failed
    if _library is None and not _library_failed:
        try:
            _library = _Library()
        except (ImportError, OSError, AttributeError) as exc:
            log.warning("speech: espeakng-loader unavailable (%s); using the espeak-ng command", exc)
            _library_failed = True
    return _library


def phonemes(text: str, lang: str = "zh") -> str:
    """The IPA phonemes espeak would speak for text; a "(en)" in it is a switch of language."""
    lib = library()
    if lib is None:
        raise RuntimeError("espeakng-loader is not available")
    return lib.phonemes(text, VOICES.get(lang, "cmn"))


WORDING = Path(__file__).resolve().parent.parent / "assets" / "speech" / "wording.json"


@functools.cache
def _wording(lang: str) -> tuple[list[tuple[re.Pattern[str], str]], str]:
    """The rules for lang (a data file: words a person hears are not code) and its digits."""
    data = json.loads(WORDING.read_text(encoding="utf-8"))
    rules = [(re.compile(pattern), repl) for pattern, repl in data.get(lang, [])]
    return rules, data["digits"].get(lang, "")


def worded(text: str, lang: str = "zh") -> str:
    """Text as it should be heard: money and units in words ("¥160/天" → "160元每天"), and
    long digit runs (hotlines, references) read digit by digit, as people say phone numbers."""
    rules, digits = _wording(lang)
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    if digits:
        text = re.sub(r"\d{5,}", lambda m: "".join(digits[int(d)] for d in m.group()), text)
    return text


_LANG_SWITCH = re.compile(r"\(([a-z]{2,3}(?:-[a-z0-9]+)?)\)")


def language_switches(phoneme_text: str) -> list[str]:
    """The languages espeak switched to inside phoneme_text ("(en)" → "en")."""
    return _LANG_SWITCH.findall(phoneme_text)


class Speaker:
    name = "speech"

    def __init__(self, rate_wpm: int = 150, out_dir: Path | None = None, binary: str = "espeak-ng") -> None:
        self.rate_wpm = rate_wpm
        self.out_dir = out_dir
        self.lib = library()
        self.binary = shutil.which(binary) if self.lib is None else None
        self.player = shutil.which("aplay")
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._generation = 0
        self.spoken = 0

    @property
    def status(self) -> DeviceStatus:
        if self.lib is None and self.binary is None:
            return DeviceStatus(DeviceState.NO_DEVICE, "espeak-ng not installed")
        if self.lib is not None and self.out_dir is None and self.player is None:
            return DeviceStatus(DeviceState.NO_DEVICE, "aplay not installed")
        return DeviceStatus(DeviceState.OK, "wav files" if self.out_dir else "speaker")

    def health(self) -> dict[str, str]:
        """For the heartbeat, like every driver (kiosk.worker.Worker.health)."""
        return self.status.as_dict()

    @property
    def available(self) -> bool:
        return self.lib is not None or self.binary is not None

    def start(self) -> None:
        """Nothing to open: kept so Services can start and stop every device alike."""

    def say(self, text: str, lang: str = "zh", slow: bool = False) -> Path | None:
        """Start reading text aloud and return at once (the WAV path in out_dir mode)."""
        text = worded(" ".join(text.split()), lang)[:MAX_CHARS]
        if not text or not self.available:
            return None
        rate = int(self.rate_wpm * (0.8 if slow else 1.0))
        voice = VOICES.get(lang, "cmn")
        with self._lock:
            self._stop_current()
            self.spoken += 1
            wav = None
            if self.out_dir is not None:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                wav = self.out_dir / f"utterance-{self.spoken:04d}.wav"
            if self.lib is None:
                self._run_cli(text, voice, rate, wav)
                return wav
            self._generation += 1
            self._thread = threading.Thread(target=self._speak, args=(text, voice, rate, wav, self._generation),
                                            name="speech", daemon=True)
            self._thread.start()
        return wav

    def _speak(self, text: str, voice: str, rate: int, wav: Path | None, generation: int) -> None:
        assert self.lib is not None
        try:
            pcm = self.lib.synth(text, voice, rate)
            target = wav or Path(tempfile.gettempdir()) / "kiosk-utterance.wav"
            with wave.open(str(target), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(self.lib.rate)
                w.writeframes(pcm)
            if wav is not None or self.player is None:
                return
            with self._lock:
                if generation != self._generation:
                    return  # a newer utterance came while this one was synthesised
                self._proc = subprocess.Popen([self.player, "-q", str(target)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:  # speech is a help, never a reason to fail the screen
            log.warning("speech: %s", type(exc).__name__)

    def _run_cli(self, text: str, voice: str, rate: int, wav: Path | None) -> None:
        assert self.binary is not None
        cmd = [self.binary, "-v", voice, "-s", str(rate)]
        if wav is not None:
            cmd += ["-w", str(wav)]
        try:
            self._proc = subprocess.Popen([*cmd, "--", text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.warning("speech: %s", type(exc).__name__)

    def wait(self, timeout: float = 30) -> None:
        """Block until the current utterance is finished (tests; the UI never waits)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        proc = self._proc
        if proc is not None:
            proc.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            self._stop_current()

    def _stop_current(self) -> None:
        self._generation += 1
        if self.lib is not None:
            self.lib._cancel = True  # a synthesis under way stops at its next callback
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = None
