"""Photo-like QR frames built in code, for the benchmark, the tests and the camera simulator.

Each frame is a 1280x720 BGR "camera photo" holding one QR code under one main degradation
(blur, noise, perspective, glare, low contrast, rotation, small, inverted, phone screen,
curved paper) plus mild random camera effects (lighting gradient, sensor noise, JPEG). The
set is a pure function of its seed, so a decoder can be tuned on one seed and reported on
another. No downloads, no real people: payloads are made-up jobs, tokens and text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

FRAME_W, FRAME_H = 1280, 720
KINDS = (
    "blur",
    "noise",
    "perspective",
    "glare",
    "low_contrast",
    "rotation",
    "small",
    "inverted",
    "screen",
    "curved",
)

_ZH_TEXTS = (
    "零工驿站·保洁工 日结 180元/天 地址：示范路1号",
    "仓储分拣 周结 22元/时 联系人：王先生",
    "农业采摘 完工结 每筐8元 集合地点：东门广场",
    "养老护理陪护 日结 200元/天 需健康证",
    "快递配送 按单计酬 每单3.5元 自备电动车",
)


@dataclass(frozen=True, slots=True)
class Sample:
    image: np.ndarray  # BGR uint8, FRAME_H x FRAME_W
    payload: str
    kind: str


def qr_matrix(payload: str, ec: int = ERROR_CORRECT_M, border: int = 4) -> np.ndarray:
    """The code as a uint8 array, one pixel per module, 0 = dark, 255 = light (quiet zone kept)."""
    qr = qrcode.QRCode(error_correction=ec, border=border, box_size=1)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    m = np.array(qr.get_matrix(), dtype=bool)
    return np.where(m, 0, 255).astype(np.uint8)


def render_code(payload: str, side_px: int, ec: int = ERROR_CORRECT_M) -> np.ndarray:
    """A clean gray rendering of `payload` about `side_px` wide (crisp modules)."""
    m = qr_matrix(payload, ec)
    scale = max(1, round(side_px / m.shape[0]))
    return cv2.resize(m, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def random_payload(rng: random.Random) -> str:
    pick = rng.random()
    jid = f"qh-{rng.randrange(10000):04d}"
    if pick < 0.2:
        return f"job:{jid}"
    if pick < 0.4:
        return f"https://jobs.example.gov.cn/j/{jid}"
    if pick < 0.6:
        return rng.choice(_ZH_TEXTS)
    if pick < 0.75:
        token = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(32))
        return f"seeker:{token}"
    # long URL: tracking parameters push the code to version 8-12
    q = "&".join(f"p{i}={rng.randrange(10**8)}" for i in range(rng.randint(6, 14)))
    return f"https://jobs.example.gov.cn/j/{jid}?src=poster&station=demo-park&{q}"


def _background(rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    """A cluttered indoor-ish scene: smooth colour field, blocks, lines and some texture."""
    small = np_rng.integers(40, 220, size=(9, 16, 3), dtype=np.uint8)
    bg = cv2.resize(small, (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.randint(4, 12)):
        x, y = rng.randrange(FRAME_W), rng.randrange(FRAME_H)
        w, h = rng.randint(40, 400), rng.randint(30, 300)
        col = tuple(int(c) for c in np_rng.integers(0, 255, 3))
        cv2.rectangle(bg, (x, y), (x + w, y + h), col, -1 if rng.random() < 0.7 else rng.randint(1, 6))
    for _ in range(rng.randint(3, 10)):
        p1 = (rng.randrange(FRAME_W), rng.randrange(FRAME_H))
        p2 = (rng.randrange(FRAME_W), rng.randrange(FRAME_H))
        cv2.line(bg, p1, p2, tuple(int(c) for c in np_rng.integers(0, 255, 3)), rng.randint(1, 4))
    for _ in range(rng.randint(0, 4)):  # text-like strokes: high-frequency clutter decoders must ignore
        x, y = rng.randrange(FRAME_W - 300), rng.randrange(30, FRAME_H)
        cv2.putText(bg, "GIG STATION 2025", (x, y), cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.5, 1.5),
                    (rng.randrange(80), rng.randrange(80), rng.randrange(80)), rng.randint(1, 3))
    # real rooms are far less saturated than random colours: pull towards gray
    gray = cv2.cvtColor(cv2.cvtColor(bg, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    sat = rng.uniform(0.2, 0.6)
    tex = np_rng.normal(0, 6, (FRAME_H, FRAME_W, 1))
    return np.clip(bg * sat + gray * (1 - sat) + tex, 0, 255).astype(np.uint8)


def _card(code: np.ndarray, margin_frac: float, dark: int = 20, light: int = 235) -> np.ndarray:
    """Put the code on a paper card (BGR), with paper margin and print contrast."""
    m = int(code.shape[0] * margin_frac)
    card = cv2.copyMakeBorder(code, m, m, m, m, cv2.BORDER_CONSTANT, value=255)
    card = np.where(card < 128, dark, light).astype(np.uint8)
    return cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)


def _quad(rng: random.Random, w: float, h: float, angle_deg: float, tilt: float) -> np.ndarray:
    """Corners of a w x h rectangle, rotated, with random perspective foreshortening,
    placed so that it stays inside the frame where it fits."""
    r = np.hypot(w, h) / 2
    cx = rng.uniform(r, FRAME_W - r) if 2 * r < FRAME_W else FRAME_W / 2
    cy = rng.uniform(r, FRAME_H - r) if 2 * r < FRAME_H else FRAME_H / 2
    pts = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], dtype=np.float32)
    h = min(w, h) / 2
    # foreshorten one side (camera looking at the card at an angle)
    k = 1 - tilt
    if rng.random() < 0.5:
        pts[[1, 2], 1] *= k
    else:
        pts[[0, 1], 0] *= k
    pts += np.array([rng.uniform(-tilt, tilt) * h * 0.3 for _ in range(8)], np.float32).reshape(4, 2)
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    return pts @ rot.T + np.array([cx, cy], np.float32)


def _paste(frame: np.ndarray, src: np.ndarray, quad: np.ndarray) -> None:
    h, w = src.shape[:2]
    src_pts = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    hom = cv2.getPerspectiveTransform(src_pts, quad.astype(np.float32))
    warped = cv2.warpPerspective(src, hom, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), hom, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    frame[:] = (warped * alpha + frame * (1 - alpha)).astype(np.uint8)


def _curve(card: np.ndarray, strength: float) -> np.ndarray:
    """Paper bent around a vertical cylinder: edges compressed and sagging, shaded."""
    h, w = card.shape[:2]
    theta_max = strength * np.pi / 2  # half the arc angle
    xs = np.linspace(-1, 1, w, dtype=np.float32)
    # output column u sees the card at arc position t where sin(t*theta)/sin(theta) = u
    t = np.arcsin(np.clip(xs * np.sin(theta_max), -1, 1)) / theta_max
    map_x = np.tile(((t + 1) / 2 * (w - 1)).astype(np.float32), (h, 1))
    sag = (1 - np.cos(t * theta_max)) * h * 0.1 * strength
    ys = np.arange(h, dtype=np.float32)[:, None]
    map_y = (ys - sag[None, :] * (ys / h * 2 - 1)).astype(np.float32)
    out = cv2.remap(card, map_x, map_y, cv2.INTER_LINEAR, borderValue=(235, 235, 235))
    shade = (0.75 + 0.25 * np.cos(t * theta_max * 1.4))[None, :, None]
    return (out * shade).astype(np.uint8)


def _screen(code: np.ndarray, rng: random.Random, sev: float) -> tuple[np.ndarray, int]:
    """A phone showing the code: each module drawn with several screen pixels, each screen
    pixel an R/G/B stripe triple with a dark gap, a bezel and bluish backlight. It is rendered
    at sub-pixel resolution so the warp down to the frame aliases the pixel grid into moire,
    as a camera sensor does. Returns the image and the code's width in it."""
    per_module = round(12 - 8 * sev)  # screen pixels per module: fewer = coarser moire
    n = code.shape[0] * per_module
    scr = cv2.resize(code, (n * 3, n * 3), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    col = np.arange(n * 3) % 3
    rgb = np.zeros((*scr.shape, 3), np.float32)
    for ch, lo in ((2, 0), (1, 1), (0, 2)):  # BGR planes; R, G, B stripes left to right
        rgb[..., ch] = scr * (col == lo)[None, :]
    rgb[(np.arange(n * 3) % 3) == 2] *= 0.55  # dark line between pixel rows
    rgb = rgb * (2.2 - 0.8 * sev) + np.array([22, 12, 8], np.float32)  # backlight bleed: black is not black
    phone = np.clip(rgb, 0, 255).astype(np.uint8)
    bez = int(phone.shape[0] * rng.uniform(0.05, 0.12))
    framed = cv2.copyMakeBorder(phone, bez, bez * 2, bez, bez, cv2.BORDER_CONSTANT, value=(12, 12, 12))
    return framed, n * 3


def _glare(frame: np.ndarray, center: np.ndarray, radius: float, strength: float) -> None:
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    d2 = ((xx - center[0]) ** 2 + (yy - center[1]) ** 2) / (radius**2)
    blob = strength * np.exp(-d2)[..., None]
    frame[:] = np.clip(frame.astype(np.float32) + blob, 0, 255).astype(np.uint8)


def _motion_kernel(length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    turned = cv2.warpAffine(k, rot, (length, length))
    return turned / max(turned.sum(), 1e-6)


def make_sample(rng: random.Random, kind: str, payload: str | None = None) -> Sample:
    """One degraded 1280x720 frame of the given kind.

    Severity is drawn uniformly from mild to beyond what decoders manage, so the set measures
    how far each decoder goes rather than sitting where one of them happens to be good. About
    a third of the frames also get a mild second degradation, as real photos do."""
    np_rng = np.random.default_rng(rng.randrange(2**32))
    payload = payload or random_payload(rng)
    ec = rng.choice((ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H))
    frame = _background(rng, np_rng)
    code = qr_matrix(payload, ec)
    modules = code.shape[0]
    sev = rng.random()  # severity of the main degradation
    extra = rng.choice(("blur", "noise", "low_contrast")) if rng.random() < 0.35 else ""
    mild = rng.uniform(0, 0.4)  # severity of the extra one

    side = rng.uniform(200, 420)  # on-frame size of the code
    angle = rng.uniform(-12, 12)
    tilt = rng.uniform(0, 0.12)
    dark, light = rng.randint(10, 40), rng.randint(200, 245)
    hi = cv2.resize(code, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)

    if kind == "small":
        side = (3.2 - 2.0 * sev) * modules  # 3.2 down to 1.2 camera pixels per module
    elif kind == "rotation":
        angle = rng.uniform(0, 360)
    elif kind == "perspective":
        tilt = 0.2 + 0.45 * sev
        angle = rng.uniform(-40, 40)
    if kind == "low_contrast" or extra == "low_contrast":
        s_ = sev if kind == "low_contrast" else mild
        mid = rng.randint(60, 190)
        spread = int(60 - 50 * s_)  # 60 down to 10 gray levels between dark and light
        dark, light = mid - spread // 2, mid + spread // 2

    if kind == "screen":
        src, code_px = _screen(code, rng, sev)
        side *= 1.2
        # no prefilter: aliasing of the sub-pixel grid while warping down is the moire
    else:
        src = _card(hi, rng.uniform(0.05, 0.3), dark, light)
        if kind == "inverted":
            src = 255 - src
        code_px = hi.shape[0]
        if kind == "curved":
            src = _curve(src, 0.3 + 0.65 * sev)
            side *= 1.2
        # optics low-pass the print before the sensor samples it
        f = side / code_px
        src = cv2.resize(src, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        code_px *= f
    quad = _quad(rng, side * src.shape[1] / code_px, side * src.shape[0] / code_px, angle, tilt)
    _paste(frame, src, quad)

    # lighting gradient across the whole frame (always; a little)
    gx = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.15), FRAME_W, dtype=np.float32)
    frame[:] = np.clip(frame * gx[None, :, None], 0, 255).astype(np.uint8)

    center = quad.mean(axis=0)
    if kind == "glare":
        off = np.array([rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)], np.float32) * side
        _glare(frame, center + off, side * (0.1 + 0.35 * sev), 120 + 200 * sev)
    elif kind == "screen" and rng.random() < 0.5:
        _glare(frame, center, side * 0.4, rng.uniform(40, 120))
    elif rng.random() < 0.2:
        _glare(frame, center + np.array([side, 0], np.float32), side * 0.3, 120)

    module_px = side / modules
    if kind == "blur" or extra == "blur":
        s_ = sev if kind == "blur" else mild
        if rng.random() < 0.5:  # out of focus: sigma up to 0.6 module
            frame[:] = cv2.GaussianBlur(frame, (0, 0), max(0.5, (0.1 + 0.5 * s_) * module_px))
        else:  # hand or poster moving: up to 2.5 modules of smear
            ln = max(3, int((0.3 + 2.2 * s_) * module_px))
            frame[:] = cv2.filter2D(frame, -1, _motion_kernel(ln, rng.uniform(0, 180)))
    else:
        frame[:] = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.9))

    if kind == "noise" or extra == "noise":
        sigma = 8 + 50 * (sev if kind == "noise" else mild)
    else:
        sigma = rng.uniform(1, 5)
    frame[:] = np.clip(frame + np_rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)

    quality = rng.randint(35, 90)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert decoded is not None, "a JPEG we just encoded decodes"
    return Sample(decoded, payload, kind)


def make_set(seed: int, per_kind: int) -> list[Sample]:
    """`per_kind` frames of every kind, deterministic for a seed."""
    rng = random.Random(seed)
    return [make_sample(rng, kind) for _ in range(per_kind) for kind in KINDS]


def clean_frame(payload: str, side_px: int = 300, offset: tuple[int, int] = (490, 210),
                background: int = 170) -> np.ndarray:
    """A plain 1280x720 BGR frame with one crisp code (for camera clips and tests)."""
    frame = np.full((FRAME_H, FRAME_W, 3), background, np.uint8)
    code = cv2.cvtColor(render_code(payload, side_px), cv2.COLOR_GRAY2BGR)
    x, y = offset
    h, w = code.shape[:2]
    frame[y : y + h, x : x + w] = code
    return frame


def empty_scene(seed: int = 0) -> np.ndarray:
    """A cluttered 1280x720 camera view with no code in it: what an idle kiosk camera sees."""
    rng = random.Random(seed)
    return _background(rng, np.random.default_rng(seed))
