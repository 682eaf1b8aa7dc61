"""`gig-kiosk decode IMAGE...`: one JSON line per image, {"file", "codes": [{"text", "format"}], "ms"}.

An unreadable file gives {"file", "error"} on its line and exit status 1 at the end; no
tracebacks. `ms` is the decode time (the file read is not counted). Headless: no Kivy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from devices.scanner.decode import ENGINES, Decoder


def load_image(path: Path) -> np.ndarray:
    """BGR or gray array; OpenCV first (fast), Pillow for what it cannot read (GIF, ...)."""
    import cv2

    data = np.fromfile(str(path), np.uint8)  # works with non-ASCII paths, unlike imread
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is not None:
        if img.dtype != np.uint8:  # 16-bit PNG/TIFF
            img = cv2.convertScaleAbs(img, alpha=255.0 / max(int(img.max()), 1))
        return img
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.array(im.convert("L"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValueError("not a readable image") from exc


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    parser.add_argument("--engine", choices=["pipeline", *ENGINES], default="pipeline",
                        help="decoder (default: the pipeline)")
    parser.add_argument("--budget-ms", type=float, default=300.0,
                        help="time budget for extra passes on hard images (default 300)")


def run(args: argparse.Namespace) -> int:
    decoder = Decoder(budget_ms=args.budget_ms)
    failed = False
    for path in args.images:
        line: dict[str, object] = {"file": str(path)}
        try:
            img = load_image(path)
        except (OSError, ValueError) as exc:
            line["error"] = f"cannot read: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
            failed = True
        else:
            try:
                t0 = time.perf_counter()
                codes = decoder.decode(img) if args.engine == "pipeline" else ENGINES[args.engine](img)
                line["codes"] = [c.as_dict() for c in codes]
                line["ms"] = round((time.perf_counter() - t0) * 1000, 2)
            except Exception as exc:  # one strange image must not end the batch
                line["error"] = f"decode failed: {type(exc).__name__}"
                failed = True
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="gig-kiosk decode")
    configure(p)
    sys.exit(run(p.parse_args()))
