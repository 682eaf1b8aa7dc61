"""gig-kiosk doctor against simulated devices on a real pty and a loopback socket."""

import re
import subprocess
import sys
from pathlib import Path

from devices.idcard.simulator import ReaderSimulator
from devices.printer.simulator import PrinterSimulator


def _doctor(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "doctor", "--config", str(config), "--wait", "3"],
        capture_output=True, text=True, timeout=60,
    )


def test_doctor_reports_each_device(tmp_path: Path) -> None:
    with ReaderSimulator() as reader, PrinterSimulator() as printer:
        reader_path = reader.start()
        host, port = printer.start()
        config = tmp_path / "k.toml"
        config.write_text(
            f'[devices.idcard]\nport = "{reader_path}"\n'
            f'[devices.printer]\nconnection = "network"\nhost = "{host}"\nport = {port}\n'
            f'[storage]\ndata_dir = "{tmp_path}"\n'
        )
        ok = _doctor(config)
        printer.set_state(paper_out=True)
        paper_out = _doctor(config)
    rows, rows_paper_out = _table(ok.stdout), _table(paper_out.stdout)
    assert rows["idcard"] == "ok" and rows["printer"] == "ok", ok.stdout
    assert rows["central API"] == "off"
    assert rows["camera"] == "no_device"  # default camera index 0: none on this machine
    assert ok.returncode == 1
    assert rows_paper_out["printer"] != "ok", paper_out.stdout


def _table(stdout: str) -> dict[str, str]:
    return {cells[0]: cells[1] for cells in (re.split(r"\s{2,}", line) for line in stdout.splitlines()) if len(cells) > 1}


def test_doctor_bad_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text("[devices.printer]\nconnection = 'bluetooth'\n")
    proc = _doctor(config)
    assert proc.returncode == 2 and "devices.printer.connection" in proc.stderr
