"""The printer self-check in a real window (issue 21): the maintainer prints the test page and
holds the printed slip (the demo printer's preview PNG) to the kiosk's simulated camera."""

from __future__ import annotations


def test_the_test_page_held_to_the_camera_sets_the_qr_mode(scenario) -> None:  # noqa: ANN001
    c = scenario("printer_self_check")["checks"]
    assert c["rows_before"][0] == "二维码自检: 尚未自检"
    assert "测试页: 请把测试页对准摄像头：先 A 码，再 B 码" in c["pending_rows_1"]
    # The printer was asked GS I before the page: its answers are on the paper and the screen.
    assert "型号 model：SIMULATED-80" in c["printed_page"] and "厂商 maker：gig-station" in c["printed_page"]
    # A printer that draws its own QR codes: A and B both read -> native.
    assert c["rows_native_zh"][:3] == ["二维码自检: 原生二维码（A 码可识别）", "测试页: A 码和 B 码均已识别",
                                       "二维码打印方式: 原生"]
    assert c["rows_native_en"][:3] == ["QR self-check: Native QR (code A read)", "Test page: Codes A and B read",
                                       "QR printed as: Native"]
    assert "Printer says (GS I): SIMULATED-80 / gig-station / demo 1.0" in c["rows_native_en"]
    assert c["options_native"] is True and c["health_native"]["qr_check"] == "native"
    assert c["health_native"]["gs_i"] == {"model": "SIMULATED-80", "maker": "gig-station", "firmware": "demo 1.0"}
    # Firmware without a QR command: code A prints as text, only B reads -> image.
    assert c["rows_image_en"][:3] == ["QR self-check: Image QR (only code B read)",
                                      "Test page: Code B read; code A not yet", "QR printed as: Image"]
    assert c["rows_image_zh"][0] == "二维码自检: 图片二维码（仅 B 码可识别）"
    assert "图片二维码可用" in c["notice_image"] and "image QR works" in c["notice_image"]
    assert c["options_image"] is False and c["health_image"]["qr_check"] == "image"
    assert c["saved"]["native_read"] is False and c["saved"]["image_read"] is True
    assert c["saved"]["model"] == "generic"
