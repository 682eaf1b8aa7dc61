"""Text safe to lay out on a slip: no control characters reach the printer (or a screen).

Job, policy and footer text come from the central API, a cache written by an older version or
another server. A control character in it is not text to a thermal printer but a command
(GS V cuts, ESC @ resets, ESC t switches the code page, DLE DC4 pulses the drawer), so every
text goes through `printable` before layout (issue 11 item 3; central refuses such text too —
this is the defence in depth for old data and other servers).

Dropped: C0 and C1 controls (U+0000–U+001F, U+007F–U+009F) and lone surrogates (they cannot be
encoded and print as "?"). Kept as text: a tab becomes a space; CR LF, CR and the Unicode line
and paragraph separators become "\\n" in multi-line fields and a space elsewhere.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` without control characters; "\\n" survives only when `multiline`."""
    if text.isprintable() and (multiline or "\n" not in text):
        return text  # the common case: nothing to do (isprintable is False for any control)
    text = _BREAKS.sub("\n", text.replace("\t", " "))
    if not multiline:
        text = text.replace("\n", " ")
    return _CONTROL.sub("", text)
