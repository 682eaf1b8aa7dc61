"""Regenerate the demo code images in this folder (fictional data only).

    .venv/bin/python assets/demo/codes/make_codes.py [--station qh-park]

Keeps the demo maintenance key pair in codes.json (DEMO ONLY - never configure a real station
with it). The maintenance code expires after 30 days by design; rerun this script, or let the
demo make a fresh one with kiosk.codes.make_maintenance_code(<demo signing key>, station_id).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from devices.scanner import synthetic  # noqa: E402
from kiosk import codes  # noqa: E402

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # deploy installs fonts-noto-cjk


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default()


def code_image(payload: str, caption: str = "", side: int = 480) -> Image.Image:
    qr = Image.fromarray(synthetic.render_code(payload, side)).convert("RGB")
    if not caption:
        return qr
    img = Image.new("RGB", (qr.width, qr.height + 70), "white")
    img.paste(qr, (0, 0))
    ImageDraw.Draw(img).text((qr.width // 2, qr.height + 30), caption, fill="black", font=_font(28), anchor="mm")
    return img


def poster(job_id: str, title: str) -> Image.Image:
    """A printed A-format job poster with the job link as a QR code."""
    img = Image.new("RGB", (800, 1130), (250, 248, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 800, 150), fill=(200, 40, 40))
    d.text((400, 75), "零工驿站 · 招工", fill="white", font=_font(64), anchor="mm")
    d.text((400, 230), title, fill="black", font=_font(44), anchor="mm")
    qr = Image.fromarray(synthetic.render_code(f"https://jobs.example.gov.cn/j/{job_id}", 520)).convert("RGB")
    img.paste(qr, ((800 - qr.width) // 2, 300))
    d.text((400, 300 + qr.height + 50), "扫码查看岗位详情  Scan to see the job", fill="black", font=_font(32), anchor="mm")
    d.text((400, 1090), f"岗位编号 {job_id}", fill=(90, 90, 90), font=_font(26), anchor="mm")
    return img


def camera_photo(img: Image.Image, seed: int = 3) -> np.ndarray:
    """The poster as a 1280x720 webcam would see it: tilted, soft, a little noisy."""
    rng = np.random.default_rng(seed)
    src = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)
    frame = np.full((720, 1280, 3), (96, 104, 110), np.uint8)
    h, w = src.shape[:2]
    quad = np.float32([[470, 40], [850, 70], [830, 690], [480, 700]])
    hom = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), quad)
    warped = cv2.warpPerspective(src, hom, (1280, 720))
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), hom, (1280, 720)) > 0
    frame[mask] = warped[mask]
    frame = cv2.GaussianBlur(frame, (0, 0), 1.0)
    return np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--station", default="qh-park", help="station id the maintenance code is for")
    args = ap.parse_args()
    meta_path = HERE / "codes.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if "maintenance_signing_key_DEMO_ONLY" not in meta:
        meta["maintenance_signing_key_DEMO_ONLY"], meta["maintenance_code_key"] = codes.new_ed25519_keys()
    jobs = {j["id"]: j for j in json.loads((HERE.parent / "jobs.json").read_text(encoding="utf-8"))}
    random.seed(0)

    files = {}
    p = poster("qh-0001", jobs.get("qh-0001", {}).get("title", "岗位"))
    p.save(HERE / "job-qh-0001-poster.png")
    files["job-qh-0001-poster.png"] = "https://jobs.example.gov.cn/j/qh-0001"
    cv2.imwrite(str(HERE / "job-qh-0001-camera.jpg"), camera_photo(p), [cv2.IMWRITE_JPEG_QUALITY, 85])
    files["job-qh-0001-camera.jpg"] = "https://jobs.example.gov.cn/j/qh-0001"
    code_image("job:qh-0002", "job:qh-0002").save(HERE / "job-qh-0002.png")
    files["job-qh-0002.png"] = "job:qh-0002"
    seeker = "seeker:DEMOtoken-" + "x7Kq2Lm9Pw4Rt8Zs"
    code_image(seeker, "求职者码 (演示) seeker code (demo)").save(HERE / "seeker-demo.png")
    files["seeker-demo.png"] = seeker
    maint = codes.make_maintenance_code(meta["maintenance_signing_key_DEMO_ONLY"], args.station,
                                        ttl_s=30 * 24 * 3600, operator="demo-tech")
    code_image(maint, f"维护码 maintenance ({args.station}, 30 days)", side=560).save(HERE / "maintenance-demo.png")
    files["maintenance-demo.png"] = "maint:v1.… (signed, see kiosk.codes)"
    wifi = "WIFI:S:cafe-guest;T:WPA;P:not-a-job;;"
    code_image(wifi, "无法识别的码 unrelated code").save(HERE / "unrecognised-wifi.png")
    files["unrecognised-wifi.png"] = wifi

    meta.update({"station_id": args.station, "files": files,
                 "note": "Demo only. maintenance_code_key goes in [security] of the demo config."})
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(files)} images to {HERE}")


if __name__ == "__main__":
    main()
