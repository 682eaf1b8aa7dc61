"""Device states for the maintenance screen, in the screen's language.

Drivers report (state, detail) in short English for logs and heartbeats (kiosk.worker). A
maintainer on site reads them in the kiosk's language: device names and states are msgids,
and a detail is translated phrase by phrase (the printer's "offline, paper end"); numbers
in known patterns ("115200 baud") keep their value. What is not known here (an exception's
text, a model name) is shown as the driver wrote it: a maintainer may need it verbatim.
"""

from __future__ import annotations

import re

from kiosk.i18n import N_, joined, tr

# A symbol beside the words: colour is never the only cue. Each is in the Noto Sans CJK SC
# face the screens use (tests/ui/test_ui_fonts.py); U+2717 "✗" is not, and showed as tofu.
MARKS = {"ok": "✓", "warning": "⚠", "stopped": "–", "starting": "…"}
FAULT_MARK = "×"

NAMES = {
    "idcard": N_("ID card reader"),
    "printer": N_("Printer"),
    "speech": N_("Voice"),
    "camera": N_("Camera"),
    "serial-scanner": N_("Serial scanner"),
}
STATES = {
    "ok": N_("OK"),
    "warning": N_("Needs attention"),
    "no_device": N_("Not connected"),
    "error": N_("Fault"),
    "unknown": N_("Not answering"),
    "offline": N_("Offline"),
    "unauthorised": N_("Token refused"),
    "stopped": N_("Off"),
    "starting": N_("Starting"),
}
# Detail phrases the drivers write (devices/…): translated whole.
PHRASES = {p: p for p in (
    N_("ready"), N_("offline"), N_("cover open"), N_("paper end"), N_("paper near end"), N_("error"),
    N_("recoverable error"), N_("cutter error"), N_("slip waiting in the mouth"), N_("no answer to DLE EOT"),
    N_("speaker"), N_("wav files"), N_("espeak-ng not installed"), N_("aplay not installed"), N_("disabled"),
    N_("write-only link, status not readable"), N_("reader stopped answering"), N_("opened, waiting for frames"),
)}
# Detail phrases with a value in them: (pattern, msgid with the groups as {0}, {1}…).
PATTERNS = (
    (re.compile(r"(\d+) baud"), N_("{0} baud")),
    (re.compile(r"no answer at (\d+(?:/\d+)*) baud"), N_("no answer at {0} baud")),
    (re.compile(r"(\d+x\d+) ([\d.]+) fps"), N_("{0}, {1} frames a second")),
)


def mark(state: str) -> str:
    return MARKS.get(state, FAULT_MARK)


def device_name(name: str, lang: str) -> str:
    return tr(NAMES[name], lang) if name in NAMES else name


def detail_text(detail: str, lang: str) -> str:
    """The driver's detail in lang, phrase by phrase (", " between phrases)."""
    if not detail or detail in PHRASES:
        return tr(detail, lang) if detail else ""
    parts = []
    for phrase in detail.split(", "):
        if phrase in PHRASES:
            parts.append(tr(phrase, lang))
            continue
        for pattern, msgid in PATTERNS:
            m = pattern.fullmatch(phrase)
            if m:
                parts.append(tr(msgid, lang).format(*m.groups()))
                break
        else:
            parts.append(phrase)
    return joined(parts, lang, N_("{first}, {second}"))


def device_row(name: str, state: str, detail: str, lang: str) -> tuple[str, str]:
    """(device, "✓ OK · ready") for one driver, in lang."""
    said = tr(STATES.get(state, N_("Fault")), lang)
    text = detail_text(detail, lang)
    return device_name(name, lang), f"{mark(state)} {said}" + (f" · {text}" if text else "")
