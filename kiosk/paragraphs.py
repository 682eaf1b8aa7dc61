"""Long article text in pieces a screen can draw: paragraphs, long ones cut into chunks.

A Kivy label draws its whole text into one texture. A 20,000-character policy at body size
made one 1000×27984 px texture, over the GPU's maximum texture size, and the policy screen
stayed empty (issue 11 item 16). Pieces of at most a few hundred characters give textures a
few hundred pixels high, and a recycled list draws only the pieces on screen.
"""

from __future__ import annotations

from typing import NamedTuple

from kiosk.linebreak import PUNCTUATION

MAX_CHARS = 300
_SENTENCE_END = PUNCTUATION["sentence_end"]  # kiosk/punctuation.json
_CLAUSE_END = PUNCTUATION["clause_end"]


class Piece(NamedTuple):
    text: str
    ends_paragraph: bool  # False: the next piece continues the same paragraph


def pieces(text: str, max_chars: int = MAX_CHARS) -> list[Piece]:
    """Non-blank paragraphs (split at newlines), each cut into pieces of at most `max_chars`,
    preferably after a sentence end, else after a comma or space, else anywhere."""
    if max_chars < 2:
        raise ValueError("max_chars must be at least 2")
    out: list[Piece] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        para = line.strip()
        while len(para) > max_chars:
            cut = _cut(para, max_chars)
            out.append(Piece(para[:cut].rstrip(), False))
            para = para[cut:].lstrip()
        if para:
            out.append(Piece(para, True))
    return out


def _cut(para: str, max_chars: int) -> int:
    window = para[:max_chars]
    for marks in (_SENTENCE_END, _CLAUSE_END):
        at = max(window.rfind(m) for m in marks)
        if at >= max_chars // 2:  # not so early that the piece is tiny
            return at + 1
    return max_chars
