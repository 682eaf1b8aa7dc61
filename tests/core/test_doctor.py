"""gig-kiosk doctor against simulated devices on a real pty and a loopback socket."""

import re
import subprocess
import sys
from pathlib import Path

from central.testing import free_port, start_seeded_server
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


def _station_config(tmp_path: Path, reader_path: str, printer: tuple[str, int], api: str) -> Path:
    """Every device the station has is configured and simulated; no camera, no speech."""
    host, port = printer
    config = tmp_path / "k.toml"
    config.write_text(
        f'[devices.idcard]\nport = "{reader_path}"\n'
        f'[devices.printer]\nconnection = "network"\nhost = "{host}"\nport = {port}\n'
        '[devices.scanner]\ncamera = false\n[ui]\nvoice = false\n'
        f'[storage]\ndata_dir = "{tmp_path}"\n{api}'
    )
    return config


def test_doctor_exits_0_only_when_every_device_and_the_api_pass(tmp_path: Path) -> None:
    base_url, seed, stop = start_seeded_server(admin=False)
    station = seed["stations"][0]
    api = (f'[station]\nid = "{station["id"]}"\n'
           f'[api]\nbase_url = "{base_url}"\ntoken = "{station["token"]}"\n')
    try:
        with ReaderSimulator() as reader, PrinterSimulator() as printer:
            config = _station_config(tmp_path, reader.start(), printer.start(), api)
            healthy = _doctor(config)
            printer.stop()  # the printer goes away: the check must fail
            printer_gone = _doctor(config)
    finally:
        stop()
    rows = _table(healthy.stdout)
    assert set(rows) == {"idcard", "printer", "central API"}, healthy.stdout
    assert set(rows.values()) == {"ok"} and healthy.returncode == 0, healthy.stdout
    assert _table(printer_gone.stdout)["printer"] != "ok" and printer_gone.returncode == 1, printer_gone.stdout


def test_doctor_exits_1_when_only_the_api_check_fails(tmp_path: Path) -> None:
    api = f'[api]\nbase_url = "http://127.0.0.1:{free_port()}"\ntoken = "t"\n'  # nobody listens
    with ReaderSimulator() as reader, PrinterSimulator() as printer:
        proc = _doctor(_station_config(tmp_path, reader.start(), printer.start(), api))
    rows = _table(proc.stdout)
    assert rows["idcard"] == "ok" and rows["printer"] == "ok", proc.stdout
    assert rows["central API"] not in ("ok", "off") and proc.returncode == 1, proc.stdout


def test_doctor_help_states_the_exit_status() -> None:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "exit status: 0 when every configured device" in proc.stdout
