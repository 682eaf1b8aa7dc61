"""Splits an ESC/POS byte stream into commands (pure; shared by the preview and the simulator).

Knowing each command's length matters: image and QR payloads contain arbitrary bytes, and a
reader that scanned for `DLE EOT` naively would find status queries inside a picture.
Covers the commands python-escpos and our renderer emit plus the common neighbours;
an unknown `ESC x` / `GS x` is taken as two bytes and reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C


@dataclass(frozen=True, slots=True)
class Token:
    op: str  # "text", "LF", "ESC a", "GS ( k", "DLE EOT", "?" (unknown) ...
    raw: bytes  # the whole command as received
    args: bytes = b""  # fixed parameters after the command bytes
    data: bytes = b""  # variable payload (text bytes, image bits, 2D-code data)


# Commands with a fixed count of parameter bytes after the two command bytes.
_ESC_FIXED = {
    ord("@"): 0, ord("a"): 1, ord("E"): 1, ord("!"): 1, ord("M"): 1, ord("-"): 1,
    ord("d"): 1, ord("J"): 1, ord("2"): 0, ord("3"): 1, ord("t"): 1, ord("R"): 1,
    ord("G"): 1, ord("{"): 1, ord("V"): 1, ord(" "): 1, ord("p"): 3, ord("c"): 2,
    ord("="): 1, ord("U"): 1, ord("D"): 0, ord("i"): 0, ord("m"): 0,
}
_GS_FIXED = {
    ord("!"): 1, ord("B"): 1, ord("H"): 1, ord("h"): 1, ord("w"): 1, ord("f"): 1,
    ord("L"): 2, ord("W"): 2, ord("a"): 1, ord("r"): 1, ord("I"): 1, ord("b"): 1,
}
_FS_FIXED = {ord("&"): 0, ord("."): 0, ord("!"): 1, ord("C"): 1, ord("S"): 2, ord("W"): 1, ord("-"): 1}


def _name(prefix: str, b: int) -> str:
    return f"{prefix} {chr(b)}" if 0x20 <= b < 0x7F else f"{prefix} 0x{b:02X}"


def next_token(buf: bytes | bytearray, pos: int = 0) -> tuple[Token, int] | None:
    """The command starting at `pos` and the position after it; None if `buf` ends first."""
    n = len(buf)
    if pos >= n:
        return None
    b = buf[pos]
    if b >= 0x20 or b == HT:
        end = pos
        while end < n and (buf[end] >= 0x20 or buf[end] == HT):
            end += 1
        chunk = bytes(buf[pos:end])
        return Token("text", chunk, data=chunk), end
    if b == LF:
        return Token("LF", b"\n"), pos + 1
    if b in (ESC, GS, FS, DLE):
        if pos + 1 >= n:
            return None
        return _command(buf, pos)
    return Token(f"CTL 0x{b:02X}", bytes([b])), pos + 1


def _fixed(buf: bytes | bytearray, pos: int, name: str, count: int) -> tuple[Token, int] | None:
    end = pos + 2 + count
    if end > len(buf):
        return None
    return Token(name, bytes(buf[pos:end]), args=bytes(buf[pos + 2 : end])), end


def _sized(buf: bytes | bytearray, pos: int, name: str, head: int, size: int) -> tuple[Token, int] | None:
    """Command with `head` bytes in all (command + parameters) followed by `size` data bytes."""
    end = pos + head + size
    if end > len(buf):
        return None
    return Token(name, bytes(buf[pos:end]), bytes(buf[pos + 2 : pos + head]), bytes(buf[pos + head : end])), end


def _command(buf: bytes | bytearray, pos: int) -> tuple[Token, int] | None:
    b0, b1 = buf[pos], buf[pos + 1]
    n = len(buf)
    if b0 == ESC:
        if b1 in _ESC_FIXED:
            return _fixed(buf, pos, _name("ESC", b1), _ESC_FIXED[b1])
        if b1 == ord("*"):  # ESC * m nL nH d...: column image
            if pos + 5 > n:
                return None
            m, count = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
            return _sized(buf, pos, "ESC *", 5, count * (3 if m in (32, 33) else 1))
        return Token("?", bytes(buf[pos : pos + 2])), pos + 2
    if b0 == GS:
        if b1 in _GS_FIXED:
            return _fixed(buf, pos, _name("GS", b1), _GS_FIXED[b1])
        if b1 == ord("V"):  # GS V m [n]: cut; m 65/66 take a feed amount
            if pos + 3 > n:
                return None
            return _fixed(buf, pos, "GS V", 2 if buf[pos + 2] in (65, 66) else 1)
        if b1 == ord("v"):  # GS v 0 m xL xH yL yH d...: raster image
            if pos + 8 > n:
                return None
            x = buf[pos + 4] | buf[pos + 5] << 8
            y = buf[pos + 6] | buf[pos + 7] << 8
            return _sized(buf, pos, "GS v 0", 8, x * y)
        if b1 == ord("("):  # GS ( X pL pH ...: length-prefixed functions (k, L, H, E, ...)
            if pos + 5 > n:
                return None
            size = buf[pos + 3] | buf[pos + 4] << 8
            return _sized(buf, pos, f"GS ( {chr(buf[pos + 2])}", 5, size)
        if b1 == ord("k"):  # GS k m ...: 1D barcode
            if pos + 3 > n:
                return None
            m = buf[pos + 2]
            if m <= 6:
                end = bytes(buf).find(b"\x00", pos + 3)
                if end < 0:
                    return None
                return Token("GS k", bytes(buf[pos : end + 1]), bytes([m]), bytes(buf[pos + 3 : end])), end + 1
            if pos + 4 > n:
                return None
            return _sized(buf, pos, "GS k", 4, buf[pos + 3])
        return Token("?", bytes(buf[pos : pos + 2])), pos + 2
    if b0 == FS:
        if b1 in _FS_FIXED:
            return _fixed(buf, pos, _name("FS", b1), _FS_FIXED[b1])
        return Token("?", bytes(buf[pos : pos + 2])), pos + 2
    # DLE: real-time commands
    if b1 == 0x04:
        return _fixed(buf, pos, "DLE EOT", 1)
    if b1 == 0x05:
        return _fixed(buf, pos, "DLE ENQ", 1)
    if b1 == 0x14:  # DLE DC4 fn ...: fn 1 pulse (m t), 2 power-off (1 8), 8 clear buffers (7 bytes)
        if pos + 3 > n:
            return None
        fn = buf[pos + 2]
        return _fixed(buf, pos, "DLE DC4", 1 + {1: 2, 2: 2, 7: 3, 8: 7}.get(fn, 2))
    return Token("?", bytes(buf[pos : pos + 2])), pos + 2


def tokens(data: bytes) -> list[Token]:
    """Every command in a complete stream; a truncated tail becomes one "truncated" token."""
    out: list[Token] = []
    pos = 0
    while pos < len(data):
        got = next_token(data, pos)
        if got is None:
            out.append(Token("truncated", bytes(data[pos:])))
            break
        tok, pos = got
        out.append(tok)
    return out
