"""What the maintenance screen lists, in the visit's language (issue 18 item 14): device
states without raw English in Chinese, the network, last sync and waiting registrations."""

from __future__ import annotations

import re
from pathlib import Path

from visit_helpers import make_world

from kiosk.device_words import FAULT_MARK, detail_text
from kiosk.store import Store

REPORT = [("printer", "error", "offline, paper end"), ("idcard", "ok", "115200 baud"),
          ("camera", "ok", "1280x720 5.1 fps"), ("speech", "no_device", "espeak-ng not installed"),
          ("serial-scanner", "no_device", "FileNotFoundError: [Errno 2] /dev/ttyS9")]


def test_device_states_are_in_chinese_with_marks_the_font_has(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path, device_report=lambda: REPORT)
    rows = dict(w.visit.device_rows())
    assert rows["打印机"] == f"{FAULT_MARK} 故障 · 脱机，缺纸"
    assert rows["身份证读卡器"] == "✓ 正常 · 115200 波特"
    assert rows["摄像头"] == "✓ 正常 · 1280x720，每秒 5.1 帧"
    assert rows["语音"] == f"{FAULT_MARK} 未连接 · 未安装 espeak-ng"
    # an exception's own text stays verbatim for the maintainer; nothing else is English
    assert rows["串口扫码器"].endswith("FileNotFoundError: [Errno 2] /dev/ttyS9")
    assert not [v for k, v in rows.items() if k != "串口扫码器" and re.search(r"[a-z]{3,}", v.replace("espeak-ng", ""))]
    w.visit.set_language("en")
    assert dict(w.visit.device_rows())["Printer"] == f"{FAULT_MARK} Fault · offline, paper end"


def test_network_last_sync_and_waiting_registrations(demo_store: Store, tmp_path: Path) -> None:
    w = make_world(demo_store, tmp_path)
    rows = dict(w.visit.station_rows())
    assert rows["网络"] == "✓ 在线" and rows["上次同步"] == "从未" and rows["待发送的报名"] == "✓ 0"
    assert int(rows["本机缓存岗位"]) > 100
    w.sync.online = False
    w.sync.last_success_at = 1_795_000_000.0  # type: ignore[attr-defined]
    w.visit.set_language("en")
    rows = dict(w.visit.station_rows())
    assert rows["Network"] == f"{FAULT_MARK} Offline" and re.fullmatch(r"\d+ \w{3} \d\d:\d\d", rows["Last sync"])


def test_unknown_detail_is_kept_as_written() -> None:
    assert detail_text("TM-T82 firmware 2.1", "zh") == "TM-T82 firmware 2.1"
    assert detail_text("", "zh") == ""
