"""The printer model table: every entry valid and sourced, unknown names and keys refused at
load (exit 2), station overrides, and what each model puts on the wire."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.printer.escpos_stream import tokens
from devices.printer.render import RenderOptions, render
from devices.printer.sample import SAMPLE_JOB, SAMPLE_STATION, SAMPLE_TIME
from kiosk import cli, settings
from kiosk import printer_models as models
from kiosk import receipts as r

SLIP = r.job_slip(SAMPLE_JOB, SAMPLE_STATION, printed_at=SAMPLE_TIME)
FAMILIES = sorted(models.table())


@pytest.mark.parametrize("key", FAMILIES)
def test_every_entry_resolves_and_names_its_sources(key: str) -> None:
    m = models.resolve(key)
    assert m.columns == models.PAPER[m.width_mm][0] or (m.columns, m.dots) == (42, 512)
    sources = models.table()[key].sources
    assert sources, key
    if key != "generic":  # the capabilities that matter most on a Chinese printer
        assert {"qr", "charset", "status"} <= set(sources), key


def test_the_default_is_the_safe_one() -> None:
    m = settings.Settings().devices.printer.resolved()
    assert (m.key, m.qr, m.charset, m.process_id, m.clear_buffer) == ("generic", "image", "gb2312", False, False)


def test_station_overrides_single_keys() -> None:
    cfg = settings.from_dict({"devices": {"printer": {"model": "xprinter-xp80", "qr": "native", "columns": 42}}})
    m = cfg.devices.printer.resolved()
    assert (m.qr, m.columns, m.charset, m.dots) == ("native", 42, "gb2312", 576)


@pytest.mark.parametrize(("section", "named"), [
    ('model = "epson-tm-t99"', "'epson-tm-t99'"),
    ('cutter = "full"', "devices.printer.cutter: unknown key"),
    ('charset = "big5"', "devices.printer.charset"),
])
def test_unknown_model_or_key_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      section: str, named: str) -> None:
    config = tmp_path / "station.toml"
    config.write_text(f"[devices.printer]\n{section}\n", encoding="utf-8")
    assert cli.main(["print-test", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert named in err and "\n" not in err


def test_a_bad_table_names_the_row_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "models.toml"
    bad.write_text('[generic]\nname = "x"\n[xp]\nname = "y"\nqr_code = "native"\n', encoding="utf-8")
    with pytest.raises(models.ModelError, match=r"\[xp\] qr_code: unknown key"):
        models.table(bad)


def _ops(data: bytes) -> list[str]:
    return [t.op for t in tokens(data)]


def test_tm_t88_lays_out_42_columns_on_512_dots() -> None:
    m = models.resolve("epson-tm-t88")
    opts = RenderOptions.for_model(m)
    lines = r.plain_text(r.layout(SLIP, opts.paper), opts.paper).splitlines()
    from kiosk.linebreak import text_width

    assert max(text_width(line) for line in lines if not line.startswith("[QR")) <= 42
    assert any(text_width(line) == 42 for line in lines)  # the rules fill the 42 columns


@pytest.mark.parametrize(("cut", "tail"), [
    ("full", b"\x1bd\x06\x1dV\x00"), ("partial", b"\x1bd\x06\x1dV\x01"),
    ("feed-cut", b"\x1dVB\x00"), ("none", b"\x1bd\x06"),
])
def test_image_qr_keeps_the_cut_the_model_has(cut: str, tail: bytes) -> None:
    # python-escpos' cut() on a profile without QR sends ESC d 6 only (issue 21, item 2).
    m = models.resolve("generic", cut=cut)
    data = render(SLIP, RenderOptions.for_model(m))
    assert data.endswith(tail)
    assert "GS v 0" in _ops(data) and "GS ( k" not in _ops(data)
