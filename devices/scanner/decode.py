"""Pure decoding: a numpy image (BGR or gray) -> the codes in it.

Three engines are wrapped so the benchmark can compare them on the same frames: zxing-cpp
(the default: fastest and finds the most), pyzbar (kept supported) and OpenCV's
QRCodeDetector. `Decoder` runs the pipeline: one cheap zxing pass, and only when that finds
nothing, bounded extra passes on conditioned copies of the frame (contrast normalisation,
denoising, local sharpening, upscaling, a second decoder) while a time budget lasts. Regions
where the first pass saw a code but could not read it get a second chance on their own: beside
codes already read at once, otherwise after the whole-frame passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

# QR on the camera; the formats a job poster or a phone can show. Fewer formats = faster.
DEFAULT_FORMATS: tuple[str, ...] = ("QRCode", "MicroQRCode")
MAX_TEXT_CHARS = 4096  # a QR holds at most 7089 digits / 2953 bytes; anything longer is noise


@dataclass(frozen=True, slots=True)
class Code:
    text: str
    format: str  # zxing-cpp names: "QRCode", "EAN13", "Code128", ... ("serial"/"hid" for wedges)
    points: tuple[tuple[int, int], ...] = ()  # corners in image pixels when known

    def as_dict(self) -> dict[str, str]:
        return {"text": self.text, "format": self.format}


# --- text repair -------------------------------------------------------------------------
def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def fix_mojibake(text: str) -> str:
    """Undo zbar's wrong charset guess for UTF-8 payloads.

    zbar decodes QR byte segments without an ECI as Shift-JIS or ISO-8859-1 (pyzbar #55, #95),
    which garbles UTF-8 Chinese. If re-encoding with the guessed charset gives bytes that are
    valid UTF-8 *and* the result differs, that UTF-8 reading is the payload."""
    if text.isascii():
        return text
    for guessed in ("latin-1", "shift_jis", "cp932"):
        try:
            fixed = text.encode(guessed).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != text:
            return fixed
    return text


# --- engines -----------------------------------------------------------------------------
def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"not an image array: shape {image.shape}")


def _zx_formats(formats: Sequence[str]) -> zxingcpp.BarcodeFormats:
    return zxingcpp.barcode_formats_from_str(",".join(formats))


def _zx_points(pos: zxingcpp.Position) -> tuple[tuple[int, int], ...]:
    return tuple((p.x, p.y) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left))


def decode_zxing(
    gray: np.ndarray,
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
    try_downscale: bool = True,
    try_invert: bool = True,
    scale: float = 1.0,
) -> list[Code]:
    """zxing-cpp on a gray image; `scale` maps points back when the image was resized."""
    found = zxingcpp.read_barcodes(
        np.ascontiguousarray(gray),
        formats=_zx_formats(formats),
        try_rotate=True,
        try_downscale=try_downscale,
        try_invert=try_invert,
        binarizer=binarizer,
    )
    out = []
    for b in found:
        pts = tuple((int(x / scale), int(y / scale)) for x, y in _zx_points(b.position))
        out.append(Code(b.text, b.format.name, pts))
    return out


_ZBAR_NAMES = {"QRCODE": "QRCode", "EAN13": "EAN13", "EAN8": "EAN8", "CODE128": "Code128",
               "CODE39": "Code39", "UPCA": "UPCA", "UPCE": "UPCE", "I25": "ITF"}


def decode_pyzbar(image: np.ndarray, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Code]:
    """pyzbar (zbar) on the image, with the Shift-JIS/Latin-1 mis-decoding undone."""
    from pyzbar import pyzbar  # imported lazily: needs libzbar0, which a dev box may lack

    wanted = {k for k, v in _ZBAR_NAMES.items() if v in formats}
    symbols = [pyzbar.ZBarSymbol[k] for k in sorted(wanted)] or None
    out = []
    for r in pyzbar.decode(to_gray(image), symbols=symbols):
        # pyzbar hands back zbar's text re-encoded as UTF-8
        text = fix_mojibake(r.data.decode("utf-8", errors="replace"))
        pts = tuple((int(p.x), int(p.y)) for p in r.polygon)
        out.append(Code(text, _ZBAR_NAMES.get(r.type, r.type), pts))
    return out


_cv_detector: cv2.QRCodeDetector | None = None


def decode_opencv(image: np.ndarray, formats: Sequence[str] = DEFAULT_FORMATS) -> list[Code]:
    """OpenCV's classic QRCodeDetector (QR only)."""
    global _cv_detector
    if "QRCode" not in formats:
        return []
    if _cv_detector is None:
        _cv_detector = cv2.QRCodeDetector()
    ok, texts, points, _ = _cv_detector.detectAndDecodeMulti(to_gray(image))
    if not ok:
        return []
    out = []
    for text, quad in zip(texts, points if points is not None else [], strict=False):
        if text:
            pts = tuple((int(x), int(y)) for x, y in quad)
            out.append(Code(fix_mojibake(text), "QRCode", pts))
    return out


# --- second chance where zxing saw a code but could not read it -------------------------
Quad = tuple[tuple[int, int], ...]
REGION_SIDE = 300  # px: the failed code's longer side after scaling (~7 px a module up to version 10)
REGION_MARGIN = 0.3  # of the code's size, kept around it (quiet zone, finder edges)
MAX_REGIONS = 4  # failed candidates tried per frame, largest first
REGION_BUDGET_MS = 15.0  # cap on the second-chance attempts per frame (each ~2-3 ms)


def read_with_failures(gray: np.ndarray, formats: Sequence[str] = DEFAULT_FORMATS) -> tuple[list[Code], list[Quad]]:
    """The plain zxing pass, also returning where it found finder patterns but failed to
    decode (checksum/format errors): the same single call, so the failures cost nothing."""
    found = zxingcpp.read_barcodes(np.ascontiguousarray(gray), formats=_zx_formats(formats), try_rotate=True,
                                   try_downscale=True, try_invert=True, return_errors=True)
    codes = [Code(b.text, b.format.name, _zx_points(b.position)) for b in found if b.valid]
    failed = [_zx_points(b.position) for b in found if not b.valid]
    return codes, failed


def _crop(gray: np.ndarray, quad: Quad) -> tuple[np.ndarray, float, int, int] | None:
    """The quad's bounding box plus a margin, scaled so the code spans REGION_SIDE px."""
    pts = np.array(quad, np.float32)
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    size = float(max(x1 - x0, y1 - y0))
    if size < 8:
        return None
    m = REGION_MARGIN * size
    h, w = gray.shape[:2]
    left, top = int(max(0, x0 - m)), int(max(0, y0 - m))
    right, bottom = int(min(w, x1 + m)), int(min(h, y1 + m))
    if right - left < 8 or bottom - top < 8:
        return None
    scale = REGION_SIDE / size
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    crop = cv2.resize(gray[top:bottom, left:right], None, fx=scale, fy=scale, interpolation=interp)
    return crop, scale, left, top


def _otsu(crop: np.ndarray) -> np.ndarray:
    """One threshold for the code alone: glare and shading outside it no longer pull it."""
    return cv2.threshold(cv2.GaussianBlur(crop, (3, 3), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]


def _clahe_crop(crop: np.ndarray) -> np.ndarray:
    """Contrast equalised in 4x4 tiles of the code: blur and glare leave some modules too
    close to their neighbours for zxing's local average."""
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(crop)


# (prepare, binarizer): tried in this order on each failed region until one reads. Chosen on
# the odd-numbered photos of BoofCV's QR set (bench_qr_photos): the local-average re-read of
# the crop gains most; Otsu adds a little; zxing's global histogram gained the same as Otsu;
# CLAHE on the crop adds a little more where nothing else in the frame was read.
REGION_STEPS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], zxingcpp.Binarizer]] = {
    "local": (lambda c: c, zxingcpp.Binarizer.LocalAverage),
    "otsu": (_otsu, zxingcpp.Binarizer.FixedThreshold),
    "clahe": (_clahe_crop, zxingcpp.Binarizer.LocalAverage),
}


def second_chance(gray: np.ndarray, failed: Sequence[Quad], formats: Sequence[str] = DEFAULT_FORMATS,
                  steps: Sequence[str] = tuple(REGION_STEPS), deadline: float = float("inf")) -> list[Code]:
    """Re-read each failed region on its own: cropped, scaled to REGION_SIDE, binarised in turn
    by zxing's local average, then by Otsu on the crop alone. `deadline`: a perf_counter time
    after which no further attempt starts."""
    out: list[Code] = []
    by_size = sorted(failed, key=lambda q: -cv2.contourArea(np.array(q, np.float32)))
    for quad in by_size[:MAX_REGIONS]:
        cut = _crop(gray, quad)
        if cut is None:
            continue
        crop, scale, left, top = cut
        for name in steps:
            if time.perf_counter() > deadline:
                return out
            prepare, binarizer = REGION_STEPS[name]
            found = decode_zxing(prepare(crop), formats, binarizer=binarizer, try_downscale=False, scale=scale)
            if found:
                out.extend(Code(c.text, c.format, tuple((x + left, y + top) for x, y in c.points)) for c in found)
                break
    return out


# --- the pipeline ------------------------------------------------------------------------
Pass = Callable[[np.ndarray, Sequence[str]], list[Code]]


def _pass_half(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """Half size with area averaging: averages out sensor noise and phone-screen moire."""
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return decode_zxing(half, formats, try_downscale=False, scale=0.5)


_KERNEL3 = np.ones((3, 3), np.uint8)


def _pass_close(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """Morphological closing fills the dark pixel-grid lines a phone screen draws through
    light modules (and speckle noise), which break zxing's run-length finder scan."""
    return decode_zxing(cv2.morphologyEx(gray, cv2.MORPH_CLOSE, _KERNEL3), formats)


def _pass_denoise(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """Gaussian low-pass at full size: heavy noise and moire on mid-sized codes."""
    return decode_zxing(cv2.GaussianBlur(gray, (0, 0), 1.2), formats)


def _pass_histogram(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """One global threshold: blur and small codes, where the local-average threshold
    breaks modules up."""
    return decode_zxing(gray, formats, binarizer=zxingcpp.Binarizer.GlobalHistogram)


def _pass_clahe(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """Local contrast normalisation: low contrast, glare and uneven light."""
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return decode_zxing(clahe.apply(gray), formats)


_LIFT = np.array([255 * (i / 255) ** 0.5 for i in range(256)], np.uint8)  # gamma 0.5


def _pass_upscale(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """Small codes: enlarge 2x and sharpen so each module spans several pixels. Shadows are
    lifted first (gamma 0.5): in a dim photo a small code's modules differ by fewer grey levels
    than the minimum contrast of zxing's local-average binarizer (24), so it saw no code there."""
    big = cv2.resize(cv2.LUT(gray, _LIFT), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    soft = cv2.GaussianBlur(big, (0, 0), 2.0)
    big = cv2.addWeighted(big, 2.0, soft, -1.0, 0)  # unsharp mask
    return decode_zxing(big, formats, try_downscale=False, scale=2.0)


_zbar_missing = False


def _pass_zbar(gray: np.ndarray, formats: Sequence[str]) -> list[Code]:
    """A second opinion from a different detector (zbar), on a half-size copy to keep it cheap.
    Skipped (not fatal) where libzbar0 is not installed."""
    global _zbar_missing
    if _zbar_missing:
        return []
    half = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    try:
        codes = decode_pyzbar(half, formats)
    except ImportError:
        _zbar_missing = True
        log.warning("pyzbar/libzbar0 not available: zbar pass disabled")
        return []
    return [Code(c.text, c.format, tuple((x * 2, y * 2) for x, y in c.points)) for c in codes]


# Ordered cheapest-first by decodes gained per millisecond on a tuning set (seed 1001 of
# devices.scanner.synthetic); the benchmark reports on a different seed. "upscale" runs
# before "clahe": on the odd-numbered BoofCV photos it gains more per ms once it lifts shadows
# (third gained as much on the photos but delayed phone-screen frames that "denoise" reads).
PASSES: dict[str, Pass] = {
    "half": _pass_half,
    "close": _pass_close,
    "denoise": _pass_denoise,
    "histogram": _pass_histogram,
    "upscale": _pass_upscale,
    "clahe": _pass_clahe,
    "zbar": _pass_zbar,
}
DEFAULT_PASSES: tuple[str, ...] = tuple(PASSES)


class Decoder:
    """The decode pipeline. Thread-safe as long as each thread uses its own instance.

    `budget_ms` bounds the extra passes: a pass starts only if the time spent so far plus
    that pass's running cost estimate fits, so a hard frame costs at most about the budget."""

    def __init__(
        self,
        budget_ms: float = 120.0,
        formats: Iterable[str] = DEFAULT_FORMATS,
        passes: Iterable[str] = DEFAULT_PASSES,
        region_steps: Iterable[str] = tuple(REGION_STEPS),
    ) -> None:
        self.budget_ms = budget_ms
        self.formats = tuple(formats)
        self.passes = tuple(passes)
        unknown = [p for p in self.passes if p not in PASSES]
        if unknown:
            raise ValueError(f"unknown decode pass(es): {', '.join(unknown)}")
        self.region_steps = tuple(region_steps)
        unknown += [s for s in self.region_steps if s not in REGION_STEPS]
        if unknown:
            raise ValueError(f"unknown decode step(s): {', '.join(unknown)}")
        self._cost_ms: dict[str, float] = {}  # running estimate per pass
        self.last_pass = ""  # which pass found the code last time ("" = none), for stats

    def decode(self, image: np.ndarray, extra_passes: bool = True) -> list[Code]:
        """extra_passes=False: only the first, plain zxing pass (a camera that sees nothing
        code-like most of the time runs the costly passes on some frames only)."""
        t0 = time.perf_counter()
        gray = to_gray(image)
        codes, failed = read_with_failures(gray, self.formats)
        self.last_pass = "zxing" if codes else ""
        if codes and failed and extra_passes and self.region_steps:
            # zxing read some codes and saw others it could not read: cheap crops of just those
            codes += self._second_chance(gray, failed)
        if codes or not extra_passes:
            return _clean(codes)
        for name in self.passes:
            spent = (time.perf_counter() - t0) * 1000
            if spent + self._cost_ms.get(name, 0.0) > self.budget_ms:
                continue  # a cheaper later pass may still fit
            t1 = time.perf_counter()
            codes = PASSES[name](gray, self.formats)
            cost = (time.perf_counter() - t1) * 1000
            prev = self._cost_ms.get(name)
            self._cost_ms[name] = cost if prev is None else 0.8 * prev + 0.2 * cost
            if codes:
                self.last_pass = name
                return _clean(codes)
        # Last, the regions zxing saw but could not read, on what is left of the budget: after
        # the whole-frame passes since those read most of these too (bench_qr_photos).
        spent = (time.perf_counter() - t0) * 1000
        if failed and self.region_steps and spent < self.budget_ms:
            codes = self._second_chance(gray, failed, self.budget_ms - spent)
            if codes:
                self.last_pass = "region"
                return _clean(codes)
        return []

    def _second_chance(self, gray: np.ndarray, failed: list[Quad], left_ms: float = float("inf")) -> list[Code]:
        deadline = time.perf_counter() + min(REGION_BUDGET_MS, left_ms) / 1000
        return second_chance(gray, failed, self.formats, self.region_steps, deadline)


def _clean(codes: list[Code]) -> list[Code]:
    """Drop empty/oversized texts and duplicates: the same code seen by two passes. Two codes
    with the same text in two places are both kept (two copies of one ticket in a photo); the
    camera's repeat filter announces the text once."""
    out: list[Code] = []
    for c in codes:
        if not c.text or len(c.text) > MAX_TEXT_CHARS:
            continue
        if not any(k.text == c.text and k.format == c.format and _same_place(k, c) for k in out):
            out.append(c)
    return out


def _same_place(a: Code, b: Code) -> bool:
    """Centres closer than half the larger code's size, or a code without corners."""
    if not a.points or not b.points:
        return True
    pa, pb = np.array(a.points, np.float32), np.array(b.points, np.float32)
    size = max(float(np.ptp(pa, axis=0).max()), float(np.ptp(pb, axis=0).max()))
    return float(np.linalg.norm(pa.mean(axis=0) - pb.mean(axis=0))) < size / 2


ENGINES: dict[str, Callable[[np.ndarray], list[Code]]] = {
    "zxing": lambda img: _clean(decode_zxing(to_gray(img))),
    "pyzbar": lambda img: _clean(decode_pyzbar(img)),
    "opencv": lambda img: _clean(decode_opencv(img)),
}


def decode(image: np.ndarray, budget_ms: float = 120.0) -> list[Code]:
    """One-shot convenience: the default pipeline on one image."""
    return Decoder(budget_ms=budget_ms).decode(image)
