"""bench_qr_text_photos on a folder in zxing's blackbox layout, made here from synthetic frames:
what counts as read, as a false decode and as left out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import bench_qr_text_photos as bench
from devices.scanner import synthetic

ZH = "零工驿站·保洁工 日结 180元/天"


def _rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    monkeypatch.setenv("GIG_QR_TEXT_PHOTOS", str(tmp_path / "set"))
    return {r.metric: r.value for r in bench.run(quick=False)}


def test_rate_false_decodes_and_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    cv2.imwrite(str(folder / "1.png"), synthetic.clean_frame(ZH))
    (folder / "1.txt").write_text(ZH + "\n", encoding="utf-8")  # an editor's line break
    big = cv2.resize(synthetic.clean_frame("https://jobs.example/42"), None, fx=2, fy=2)  # scaled to 1280 px
    cv2.imwrite(str(folder / "2.jpg"), big)
    (folder / "2.txt").write_text("https://jobs.example/42", encoding="utf-8")
    rgb = cv2.cvtColor(synthetic.clean_frame("GIF 3"), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb).save(folder / "3.gif")  # OpenCV cannot read GIF
    (folder / "3.txt").write_text("GIF 3", encoding="utf-8")
    cv2.imwrite(str(folder / "4.png"), synthetic.clean_frame("not the label"))
    (folder / "4.txt").write_text("the label", encoding="utf-8")
    cv2.imwrite(str(folder / "5.png"), np.full((720, 1280, 3), 170, np.uint8))  # no code at all
    (folder / "5.txt").write_text("nothing to read", encoding="utf-8")
    cv2.imwrite(str(folder / "6.png"), synthetic.clean_frame("bytes"))
    (folder / "6.bin").write_bytes(b"\x00\x01")
    cv2.imwrite(str(folder / "7.png"), synthetic.clean_frame("unlabelled"))

    rows = _rows(tmp_path, monkeypatch)

    assert rows["pipeline reading rate, all (5 photos)"] == pytest.approx(60.0)  # 1, 2, 3 of 5
    assert rows["same, no time budget (every pass runs)"] == pytest.approx(60.0)
    assert rows["false decodes (a text other than the label's), pipeline"] == 1  # photo 4
    assert rows["left out: labelled with bytes"] == 1
    assert rows["left out: no label"] == 1


def test_without_a_dataset_it_says_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIG_QR_TEXT_PHOTOS", str(tmp_path / "missing"))
    rows = bench.run(quick=False)
    assert [r.metric for r in rows] == ["skipped: no dataset (GIG_QR_TEXT_PHOTOS)"]
    assert rows[0].ok is None


def test_a_folder_without_labelled_photos_fails_the_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "set").mkdir()
    cv2.imwrite(str(tmp_path / "set" / "1.png"), synthetic.clean_frame("unlabelled"))
    monkeypatch.setenv("GIG_QR_TEXT_PHOTOS", str(tmp_path / "set"))
    rows = bench.run(quick=False)
    assert len(rows) == 1 and rows[0].ok is False and "no labelled photo" in rows[0].metric
