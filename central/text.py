"""Text field types for every model the server accepts: no control characters, no lone
surrogates.

Text travels to kiosk screens and ESC/POS printers (a control byte in a job title becomes a
printer command mid-slip), into PostgreSQL (NUL is refused there: a 500 instead of a 422) and
out as UTF-8 JSON (a lone surrogate cannot be encoded: every later read of the row fails).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

# C0 controls, DEL, C1 controls, and UTF-16 surrogates (valid only in pairs, never in str).
_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_MULTILINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _plain(value: str) -> str:
    if _BAD.search(value):
        raise ValueError("control characters and lone surrogates are not allowed")
    return value


def _multiline(value: str) -> str:
    if _BAD_MULTILINE.search(value):
        raise ValueError("control characters (other than line breaks) are not allowed")
    return value


def _unify_newlines(value: object) -> object:
    # Browsers submit textarea line breaks as CRLF; store one form.
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


Text = Annotated[str, AfterValidator(_plain)]
"""One line of text."""

MultilineText = Annotated[str, BeforeValidator(_unify_newlines), AfterValidator(_multiline)]
"""Text where "\\n" separates lines (CR LF and CR become "\\n")."""


def has_bad_characters(value: str) -> bool:
    """For values that do not go through a model (path parameters, form fields)."""
    return _BAD.search(value) is not None
