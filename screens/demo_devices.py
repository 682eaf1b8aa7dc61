"""Simulated devices for `gig-kiosk demo`: each speaks its real wire protocol to the real
driver (a reader on a pseudo-terminal, a printer on a loopback socket), so the demo runs the
production code paths. The demo panel on screen calls `actions()`."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from devices.idcard.reader import IdCardReader
from devices.idcard.simulator import ReaderSimulator, load_cards
from devices.printer.preview import render as render_escpos
from devices.printer.service import PrintService
from devices.printer.simulator import PrinterSimulator
from devices.scanner.camera import CameraScanner
from devices.scanner.simulator import SimulatedCamera
from kiosk.i18n import N_, tr
from kiosk.settings import Settings

if TYPE_CHECKING:
    import numpy as np


class DemoDevices:
    def __init__(self, settings: Settings, out_dir: Path, camera_fps: float = 5.0) -> None:
        self.settings = settings
        self.out_dir = out_dir
        self.cards = load_cards()
        self.reader_sim = ReaderSimulator(self.cards.values())
        self.reader_path = self.reader_sim.start()
        # answers GS I as a simulated printer, so the test page shows the printer's own answers
        self.printer_sim = PrinterSimulator(info={66: "gig-station", 67: "SIMULATED-80", 65: "demo 1.0"})
        self.printer_host, self.printer_port = self.printer_sim.start()
        self.camera_sim = SimulatedCamera(fps=camera_fps)  # slow by default: UI tests run many demos
        self._held = 0  # what the camera was shown last (see hold)
        self._held_lock = threading.Lock()
        self.codes_dir = Path(__file__).resolve().parents[1] / "assets" / "demo" / "codes"
        self.network = None  # kiosk.netsim.FaultProxy between the kiosk and the central API
        self._stop_central: Callable[[], None] | None = None
        self.central_database_url = ""
        self.central_url = ""  # the embedded central as staff reach it (not through self.network)
        self.central_seed: dict = {}  # what seed-demo printed (tokens): tests act as county staff
        self.central_process = False  # True: central in a child process (the soak measures the kiosk alone)

    def start_central(self) -> tuple[str, str, str]:
        """Start the reference central API seeded with the demo data, behind a simulated network
        link. Returns (base_url as the kiosk sees it, county public key, station token)."""
        from central.testing import start_seeded_server
        from kiosk.netsim import FaultProxy

        tmp = tempfile.mkdtemp(prefix="gig-central-")
        # Named, so tests can run central's periodic jobs (alerts) on the demo's database.
        self.central_database_url = f"sqlite:///{tmp}/central.db"
        if self.central_process:
            base_url, seed, stop = _start_central_process(self.central_database_url)
        else:
            base_url, seed, stop = start_seeded_server(self.central_database_url)

        def stop_and_clean() -> None:
            stop()
            shutil.rmtree(tmp, ignore_errors=True)

        self._stop_central = stop_and_clean
        self.central_url, self.central_seed = base_url, seed  # for UI tests acting as county staff
        station = next(s for s in seed["stations"] if s["id"] == self.settings.station.id)
        county = next(c for c in seed["counties"] if c["code"] == station["county"])
        host, port = base_url.removeprefix("http://").split(":")
        self.network = FaultProxy((host, int(port)))
        return self.network.url, county["public_key"], station["token"]

    def set_network(self, up: bool) -> None:
        """Pull or plug the (simulated) network cable."""
        if self.network is not None:
            self.network.set("pass" if up else "refuse")
            if not up:
                self.network.cut_all()

    def make_camera(self) -> CameraScanner:
        """The real camera pipeline, fed by the simulated camera."""
        return CameraScanner(self.camera_sim, repeat_window_s=self.settings.devices.scanner.repeat_window_s)

    def fresh_maintenance_code(self) -> Path:
        """A maintenance QR signed now with the demo-only key (the committed image expires)."""
        import json

        import qrcode

        from kiosk.codes import make_maintenance_code

        keys = json.loads((self.codes_dir / "codes.json").read_text(encoding="utf-8"))
        text = make_maintenance_code(keys["maintenance_signing_key_DEMO_ONLY"], self.settings.station.id)
        path = self.out_dir / "maintenance-now.png"
        qrcode.make(text, box_size=8).save(path)
        return path

    def show_code(self, filename: str | Path, hold_s: float | None = 2.0) -> None:
        """Hold a sample code in front of the camera for `hold_s` seconds (None: until
        take_away)."""
        self.hold(self.codes_dir / filename, hold_s)

    def hold(self, image: np.ndarray | str | Path, hold_s: float | None) -> None:
        """Show the camera a picture (a path or a frame) for `hold_s` seconds, or until
        take_away. A later picture is not taken away by an earlier one's timer: a code shown
        right after another was cleared by the first one's timer, often before it was read."""
        with self._held_lock:
            self._held += 1
            held = self._held
        self.camera_sim.show(image)
        if hold_s is not None:
            threading.Timer(hold_s, self.take_away, args=(held,)).start()

    def take_away(self, held: int | None = None) -> None:
        """Nothing in front of the camera; with `held`, only if that picture is still shown."""
        with self._held_lock:
            if held is not None and held != self._held:
                return
            self._held += 1
        self.camera_sim.clear()

    def show_slip(self, png: str | Path, hold_s: float | None = 3.0) -> None:
        """Hold a printed slip (the preview PNG of what the simulated printer printed) in
        front of the camera, sideways so the whole slip fits the frame, for `hold_s` seconds
        (None: until take_away). The maintenance test page's self-check reads its codes so."""
        import cv2
        import numpy as np

        from devices.scanner.synthetic import FRAME_H, FRAME_W

        slip = cv2.imread(str(png), cv2.IMREAD_COLOR)
        if slip is None:
            raise ValueError(f"{png}: not an image")
        slip = cv2.rotate(slip, cv2.ROTATE_90_COUNTERCLOCKWISE)
        scale = min((FRAME_W - 40) / slip.shape[1], (FRAME_H - 40) / slip.shape[0])
        slip = cv2.resize(slip, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        frame = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)  # the room behind the paper
        y, x = (FRAME_H - slip.shape[0]) // 2, (FRAME_W - slip.shape[1]) // 2
        frame[y:y + slip.shape[0], x:x + slip.shape[1]] = slip
        self.hold(frame, hold_s)

    def show_last_slip(self) -> None:
        """Demo panel: the slip printed last, held to the camera."""
        png = self.last_slip_png()
        if png:
            self.show_slip(png)

    def make_printer(self) -> PrintService:
        """The real print service, talking ESC/POS to the simulated printer over TCP."""
        cfg = self.settings.devices.printer.model_copy(
            update={"connection": "network", "host": self.printer_host, "port": self.printer_port}
        )
        return PrintService(cfg)

    def last_slip_png(self) -> str:
        """What the simulated printer printed last, drawn as the paper would look."""
        if not self.printer_sim.printed:
            return ""
        path = self.out_dir / f"slip-{len(self.printer_sim.printed)}.png"
        # drawn as this printer's firmware draws it (e.g. no QR command: the payload as text)
        render_escpos(self.printer_sim.printed[-1], emulation=self.printer_sim.emulation).save(path)
        return str(path)

    def make_idcard_reader(self) -> IdCardReader:
        cfg = self.settings.devices.idcard
        return IdCardReader(self.reader_path, baudrate="auto", poll_interval_s=cfg.poll_interval_s)

    def actions(self, lang: str = "zh") -> list[tuple[str, Callable[[], None]]]:
        """(label, action) for the demo panel: lay each sample card, take it away. Labels are in
        `lang` with the English beside them (the demo is shown to visitors of both)."""
        out: list[tuple[str, Callable[[], None]]] = []
        for label, card in self.cards.items():
            out.append((tr(N_("Lay card {name}"), lang).format(name=f"{card.masked_name} ({label})"),
                        lambda c=card: self._place(c)))
        out.append((panel_label(N_("Remove card"), lang), self.reader_sim.remove))
        for msgid, filename in (
            (N_("Scan job poster"), "job-qh-0001-camera.jpg"),
            (N_("Scan unknown code"), "unrecognised-wifi.png"),
        ):
            out.append((panel_label(msgid, lang), lambda f=filename: self.show_code(f)))
        out.append((panel_label(N_("Scan maintenance code"), lang), lambda: self.show_code(self.fresh_maintenance_code())))
        out.append((panel_label(N_("Show printed slip to camera"), lang), self.show_last_slip))
        out.append((panel_label(N_("Network off"), lang), lambda: self.set_network(False)))
        out.append((panel_label(N_("Network on"), lang), lambda: self.set_network(True)))
        return out

    def _place(self, card: object) -> None:
        self.reader_sim.remove()
        self.reader_sim.place(card)

    def stop(self) -> None:
        self.reader_sim.stop()
        self.printer_sim.stop()
        if self.network is not None:
            self.network.stop()
        if self._stop_central is not None:
            self._stop_central()


def panel_label(msgid: str, lang: str) -> str:
    """'取走身份证 Remove card': the demo panel's two languages (English alone in English)."""
    text = tr(msgid, lang)
    return text if text == msgid else f"{text} {msgid}"


def _start_central_process(database_url: str) -> tuple[str, dict, Callable[[], None]]:
    """central.testing's seeded server in a child process: (base_url, seed, stop)."""
    import json
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "central.testing", database_url],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError(f"the central process ended before it served (exit {proc.returncode})")
    started = json.loads(line)

    def stop() -> None:
        assert proc.stdin is not None
        proc.stdin.close()  # its cue to stop
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    return started["base_url"], started["seed"], stop
