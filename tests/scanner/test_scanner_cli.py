"""`gig-kiosk decode IMAGE...`: one JSON line per image, errors as JSON, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
from PIL import Image

from devices.scanner import synthetic
from devices.scanner.simulator import blank_frame

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "assets" / "demo" / "codes"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "decode", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_decode_lines_for_png_gif_missing_and_garbage(tmp_path):
    png = tmp_path / "岗位.png"  # non-ASCII file name
    cv2.imwrite(str(tmp_path / "x.png"), synthetic.clean_frame("零工驿站 job:qh-0001"))
    (tmp_path / "x.png").rename(png)
    gif = tmp_path / "code.gif"
    Image.fromarray(synthetic.clean_frame("job:qh-0009")[:, :, ::-1]).save(gif)  # OpenCV cannot read GIF
    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), blank_frame())
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\x00not an image")
    proc = _run(str(png), str(gif), str(tmp_path / "missing.png"), str(garbage), str(empty))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0]["file"] == str(png)
    assert lines[0]["codes"] == [{"text": "零工驿站 job:qh-0001", "format": "QRCode"}]
    assert isinstance(lines[0]["ms"], float) and lines[0]["ms"] >= 0
    assert lines[1]["codes"][0]["text"] == "job:qh-0009"
    assert "error" in lines[2] and "error" in lines[3]
    assert lines[4]["codes"] == [] and "error" not in lines[4]


def test_decode_demo_assets_exit_zero():
    files = sorted(str(p) for p in DEMO.glob("*.png"))
    assert files, "demo codes missing"
    proc = _run(*files)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert all(line["codes"] for line in lines), lines
    by_name = {Path(line["file"]).name: line["codes"][0]["text"] for line in lines}
    assert by_name["job-qh-0001-poster.png"] == "https://jobs.example.gov.cn/j/qh-0001"


def test_decode_cli_does_not_import_kivy(tmp_path):
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), synthetic.clean_frame("job:qh-0001"))
    code = (f"import sys, kiosk.cli; rc = kiosk.cli.main(['decode', {str(img)!r}]); "
            "assert 'kivy' not in sys.modules; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
