"""Masking of personal data for screens, paper and logs (PIPL; GB/T 35273 §7.2).

Every place that shows, prints or logs a person's data goes through these functions, so the
masking rule lives in one spot (the ID-number and phone masks themselves are
kiosk.idnumber.mask and kiosk.phone.mask, re-exported here). `install_log_filter()` adds a filter to the root logger
that masks ID-number- and phone-shaped strings in every record, as a safety net behind the
rule that personal data is never logged in the first place.
"""

from __future__ import annotations

import logging
import re

from kiosk.idnumber import mask as mask_id_number  # noqa: F401 (the masks, in one place)
from kiosk.phone import mask as mask_phone  # noqa: F401

# 18-digit resident ID (last may be X), 15-digit legacy ID, mainland mobile numbers.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_name(value: str) -> str:
    """'张三' -> '张*', '李小梅' -> '李*梅', 'John Smith' -> 'J*** S****'."""
    v = value.strip()
    if not v:
        return ""
    if v.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in v.split())
    if len(v) <= 2:
        return v[0] + "*" * (len(v) - 1)
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_text(text: str) -> str:
    """Mask every ID- and phone-shaped run inside free text (for logs)."""
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _ID15_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with personal-data-shaped strings masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the caller's bug; still mask what we can
            message = str(record.msg)
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Attach the masking filter to every handler of `logger` (root by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
