"""UI scenarios, each run in its own process (one Kivy window per process) by test_ui_*.py.

    python tests/ui/scenarios.py NAME OUT_DIR

Starts the real app on the demo services, drives it with real touch events through Kivy's
input dispatch (screens.scripted.tap) and writes OUT_DIR/result.json plus screenshots.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from screens import bootstrap  # noqa: E402

bootstrap.configure(width=720, height=1280, fullscreen=False, kiosk=False, density=1)

from kivy.base import EventLoop  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from kiosk.pin import hash_pin  # noqa: E402
from kiosk.remote_config import AppliedConfig  # noqa: E402
from screens.app import GigKioskApp  # noqa: E402
from screens.demo_setup import build_demo_services  # noqa: E402
from screens.scripted import press, release, run_script, screenshot, tap  # noqa: E402

PIN = "24681357"  # the station's maintainer PIN in the maintenance_pin scenario
OLD_PIN_HASH = "pbkdf2-sha256$120000$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"


def find(root: Widget, predicate) -> list[Widget]:  # noqa: ANN001
    return [w for w in root.walk(restrict=True) if predicate(w)]


def wait_until(condition, timeout: float = 10.0):  # noqa: ANN001, ANN201
    """Yield frames until condition() is true; raise on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition.__doc__ or condition}")
        yield 0.05


class Scenario:
    def __init__(self, app: GigKioskApp, out: Path) -> None:
        self.app, self.out, self.result = app, out, {"shots": [], "checks": {}}

    def shot(self, name: str) -> None:
        path = self.out / f"{name}.png"
        screenshot(self.app.root, path)
        self.result["shots"].append(str(path))

    def check(self, name: str, value: object) -> None:
        self.result["checks"][name] = value

    def screen(self) -> Widget:
        return self.app.sm.current_screen

    def job_row(self, position: int = 0) -> Widget:
        """The job list's row at `position` counting from the top of the screen."""
        rows = find(self.screen(), lambda w: type(w).__name__ == "JobRow" and w.job_id)
        return sorted(rows, key=lambda w: -w.to_window(*w.pos)[1])[position]

    # --- scenarios ----------------------------------------------------------------------
    def journey(self):  # noqa: ANN201
        """attract -> home -> jobs -> detail -> print -> done -> attract, by touch."""
        app = self.app
        yield from wait_until(lambda: app.sm.current == "attract")
        # County staff's receipt footer, as the sync worker hands a verified config to the app.
        footer = "青禾县就业服务中心 0556-0000000"
        # Staffed hours that exclude this minute: the journey below must work all the same.
        now = dt.datetime.now()
        start = now + dt.timedelta(hours=2)
        hours = f"{start:%H}:00-{(start + dt.timedelta(hours=1)):%H}:00"
        app.apply_remote_config(AppliedConfig(version=99, receipt_footer=footer, opening_hours=hours))
        self.check("footer", footer)
        self.check("hours_text_closed", app.screen("attract").hours_text)
        app.apply_remote_config(AppliedConfig(version=99, receipt_footer=footer, opening_hours="00:00-24:00"))
        self.check("hours_text_open", app.screen("attract").hours_text)
        app.apply_remote_config(AppliedConfig(version=99, receipt_footer=footer, opening_hours=hours))
        yield 1
        self.shot("01-attract")
        tap(self.screen())
        yield 3
        self.shot("02-home")
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        self.shot("03-jobs")
        first = self.job_row(0)
        self.check("tapped_job", first.job_id)
        tap(first)
        yield 3
        self.check("detail_job", app.current_job.id if app.current_job else None)
        self.shot("04-detail")
        tap(self.screen().ids.print_button)
        yield from wait_until(lambda: app.print_state in ("done", "problem"), timeout=20)
        yield 3
        self.check("print_state", app.print_state)
        self.shot("05-printed")
        tap(app.root.ids.done_button)
        yield 1
        tap(app.overlays.views["confirm_end"].ids.yes_end)  # Done asks first (issue 18)
        yield 3
        self.shot("06-attract-again")
        self.check("preview_path", app.preview_path)
        sim = app.services.demo.printer_sim
        self.check("printed", {"jobs": len(sim.printed), "bytes": [len(b) for b in sim.printed],
                               "texts": [b.decode("gb18030", "replace") for b in sim.printed]})

    def stats_visits(self):  # noqa: ANN201
        """50 scripted visits by touch and card (browse only, card + job detail, job + printed
        slip); then the sync delivers the counts and the county's numbers at central must
        equal what the script did."""
        import threading

        import httpx

        app, demo = self.app, self.app.services.demo
        truth = dict.fromkeys(("visits", "card_reads", "job_views", "slips"), 0)
        yield from wait_until(lambda: app.sm.current == "attract")
        for i in range(50):
            kind = i % 3
            if kind == 1:  # an ID card: the jobs that suit, one job's detail, card taken away
                demo.reader_sim.place(demo.cards["resident"])
                yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
                yield 2
                tap(self.job_row(0))
                yield from wait_until(lambda: app.sm.current == "job_detail")
                demo.reader_sim.remove()
                yield from wait_until(lambda: app.sm.current == "attract")
                truth["card_reads"] += 1
                truth["job_views"] += 1
            else:
                tap(self.screen())
                yield from wait_until(lambda: app.sm.current == "home")
                yield 2
                if kind == 2:  # browse, open a job, print its slip
                    tap(self.screen().ids.browse)
                    yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
                    yield 2
                    tap(self.job_row(0))  # the top row: lower ones may sit under the folded filters
                    yield from wait_until(lambda: app.sm.current == "job_detail")
                    yield 2
                    tap(self.screen().ids.print_button)
                    yield from wait_until(lambda: app.print_state == "done", timeout=30)
                    truth["job_views"] += 1
                    truth["slips"] += 1
                yield 2
                tap(app.root.ids.done_button)
                yield 2
                if "confirm_end" in app.overlays.views and app.visit.confirm_end:  # Done asks first
                    tap(app.overlays.views["confirm_end"].ids.yes_end)
                yield from wait_until(lambda: app.sm.current == "attract")
            truth["visits"] += 1
            yield 2
            if i == 0:
                self.shot("stats-first-visit-done")
        self.check("truth", truth)
        self.check("kiosk_totals", app.services.stats.totals())
        done: list = []
        sync = app.services.sync
        threading.Thread(target=lambda: done.append(sync.send_stats()), daemon=True).start()
        yield from wait_until(lambda: done, timeout=30)
        self.check("delivery", done[0])
        seed = demo.central_seed
        station_id = app.services.settings.station.id
        county = next(s["county"] for s in seed["stations"] if s["id"] == station_id)
        staff = next(s for s in seed["staff"] if s["county"] == county and s["role"] == "admin")
        today = dt.date.today()
        r = httpx.get(f"{demo.central_url}/v1/counties/{county}/stats", timeout=30,
                      headers={"Authorization": f"Bearer {staff['token']}"},
                      params={"from": (today - dt.timedelta(days=1)).isoformat(),
                              "to": (today + dt.timedelta(days=1)).isoformat(), "group": "month",
                              "station": station_id})
        assert r.status_code == 200, r.text
        central = {}
        for row in r.json()["rows"]:
            for k, v in row.items():
                if isinstance(v, int):
                    central[k] = central.get(k, 0) + v
        self.check("central", central)

    def idcard(self):  # noqa: ANN201
        """A card laid on the (simulated) reader greets the seeker and opens jobs that suit
        their age; taking it away ends the visit; an expired card gets a clear message."""
        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract")
        demo.reader_sim.place(demo.cards["resident"])
        yield from wait_until(lambda: app.greeting != "", timeout=10)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        self.shot("card-greeting")
        self.check("greeting", app.greeting)
        self.check("seeker_age", app.job_filter.seeker_age)
        self.check("identified", app.services.session.identified)
        demo.reader_sim.remove()
        yield from wait_until(lambda: app.sm.current == "attract", timeout=10)
        self.check("greeting_after_removal", app.greeting)
        self.check("identified_after_removal", app.services.session.identified)
        demo.reader_sim.place(demo.cards["expired"])
        yield from wait_until(lambda: app.notice != "", timeout=10)
        yield 3
        self.shot("card-expired")
        self.check("expired_notice", app.notice)
        self.check("identified_with_expired", app.services.session.identified)

    def at_rest(self):  # noqa: ANN201
        """screens.rest_hook: at rest the loop slows down; a touch gets the next screen at once
        and brings the full rate back; so does a code shown to the camera."""
        from kivy.clock import Clock
        from kivy.core.window import Window

        from screens import rest_hook

        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract")
        rate = rest_hook.attach(app, quiet_s=1.0)
        self.check("full_fps", rate.full_fps)
        yield from wait_until(lambda: rate.resting, timeout=10)
        flips: list[tuple[float, str, int, float]] = []  # when, screen, loop iteration, frame limit
        Window.bind(on_flip=lambda *_: flips.append((time.monotonic(), app.sm.current, Clock.frames,
                                                     Clock._max_fps)))
        f0, t0 = Clock.frames, time.monotonic()
        yield 2.0
        self.check("rest_loop_hz", (Clock.frames - f0) / (time.monotonic() - t0))
        self.check("rest_flips", len(flips))  # frames drawn while at rest
        t_tap, frame_tap = time.monotonic(), Clock.frames
        tap(self.screen())  # the attract screen: a touch anywhere
        self.check("resting_right_after_tap", rate.resting)
        yield from wait_until(lambda: any(f[1] != "attract" for f in flips), timeout=5)
        shown = next(f for f in flips if f[1] != "attract")
        self.check("tap_to_flip_s", shown[0] - t_tap)
        self.check("tap_to_flip_frames", shown[2] - frame_tap)  # loop iterations, whatever the load
        self.check("max_fps_at_flip", shown[3])
        self.check("screen_after_tap", app.sm.current)
        f0, t0 = Clock.frames, time.monotonic()
        yield 0.5
        self.check("awake_loop_hz", (Clock.frames - f0) / (time.monotonic() - t0))
        self.check("awake_max_fps", Clock._max_fps)  # the limit Kivy's loop reads at every idle()
        yield from wait_until(lambda: rate.resting, timeout=10)  # on the home screen now
        t_show = time.monotonic()
        demo.show_code("job-qh-0001-camera.jpg", hold_s=None)  # held until read, as a person would
        yield from wait_until(lambda: not rate.resting, timeout=10)
        self.check("resting_after_scan", rate.resting)
        yield from wait_until(lambda: app.sm.current == "job_detail", timeout=10)
        self.check("scan_to_detail_s", time.monotonic() - t_show)
        demo.take_away()

    def scan_codes(self):  # noqa: ANN201
        """Codes shown to the (simulated) camera: a job poster opens that job, an unknown code
        says so, a signed maintenance code opens maintenance, where a test page prints."""
        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract")
        yield from self.held_until("job-qh-0001-camera.jpg", lambda: app.sm.current == "job_detail")
        self.check("job_opened", app.current_job.id)
        yield 3
        self.shot("scan-job")
        yield from self.held_until("unrecognised-wifi.png", lambda: app.notice != "")
        self.check("unknown_notice", app.notice)
        yield from self.held_until(demo.fresh_maintenance_code(), lambda: app.sm.current == "maintenance")
        yield 5
        self.shot("maintenance")
        self.check("devices", app.services.device_report())
        tap(self.screen().ids.test_print)
        yield from wait_until(lambda: app.print_state == "done", timeout=20)
        self.check("printed", [b.decode("gb18030", "replace") for b in demo.printer_sim.printed])

    def held_until(self, code: str | Path, condition, timeout: float = 10.0):  # noqa: ANN001, ANN201
        """Hold a code to the camera until condition() holds, as a person keeps holding it until
        the screen answers, then take it away. (The demo panel's two seconds are too short on a
        loaded machine; the wait used to outlast the code.)"""
        demo = self.app.services.demo
        demo.show_code(code, hold_s=None)
        try:
            yield from wait_until(condition, timeout=timeout)
        finally:
            demo.take_away()

    def _check_rows(self) -> list[str]:
        rows = self.screen().ids.check_rows.children[::-1]
        return [f"{w.key}: {w.value}" for w in rows]

    def _print_and_show_test_page(self):  # noqa: ANN202
        """Print the test page, back to maintenance, hold the printed slip to the camera."""
        app, demo = self.app, self.app.services.demo
        printed = len(demo.printer_sim.printed)
        tap(self.screen().ids.test_print)
        yield from wait_until(lambda: app.print_state == "done" and len(demo.printer_sim.printed) > printed,
                              timeout=30)
        yield from wait_until(lambda: app.preview_path.endswith(f"slip-{printed + 1}.png"), timeout=10)
        yield 2
        self.shot(f"check-printed-{printed + 1}")
        slip = app.preview_path
        tap(self.screen().ids.back_to_job)  # "back": to the maintenance screen
        yield from wait_until(lambda: app.sm.current == "maintenance")
        yield 1
        self.check(f"pending_rows_{printed + 1}", self._check_rows())
        demo.show_slip(slip, hold_s=None)
        return slip

    def printer_self_check(self):  # noqa: ANN201
        """Maintenance: print the test page, hold the printed slip to the kiosk's own camera;
        both codes read -> QR native. Then a printer whose firmware has no QR command: only
        code B reads -> image QR. The screen shows each state, in Chinese and English."""
        import json

        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract")
        yield from self.held_until(demo.fresh_maintenance_code(), lambda: app.sm.current == "maintenance")
        yield 3
        self.shot("check-0-unchecked-zh")
        self.check("rows_before", self._check_rows())
        check = app.visit.printer_check
        yield from self._print_and_show_test_page()
        self.check("printed_page", demo.printer_sim.printed[-1].decode("gb18030", "replace"))
        yield from wait_until(lambda: check.round is not None and check.round.native_read
                              and check.round.image_read, timeout=20)
        yield 2
        self.shot("check-1-native-zh")
        self.check("notice_native", app.notice)
        self.check("rows_native_zh", self._check_rows())
        tap(app.root.ids.lang_button)
        yield 3
        self.shot("check-1-native-en")
        self.check("rows_native_en", self._check_rows())
        self.check("health_native", app.services.device_health()["printer"])
        self.check("options_native", app.services.printer.options.native_qr)
        demo.take_away()
        # The same station with a printer that has no QR command (ZJ-5890 class firmware).
        demo.printer_sim.set_state(qr_native=False)
        yield from self._print_and_show_test_page()
        yield from wait_until(lambda: check.round is not None and check.round.image_read, timeout=20)
        yield 4  # time enough for code A to be read, if it could be
        self.shot("check-2-image-en")
        self.check("notice_image", app.notice)
        self.check("rows_image_en", self._check_rows())
        tap(app.root.ids.lang_button)
        yield 3
        self.shot("check-2-image-zh")
        self.check("rows_image_zh", self._check_rows())
        self.check("health_image", app.services.device_health()["printer"])
        self.check("options_image", app.services.printer.options.native_qr)
        saved = app.services.settings.storage.data_dir / "printer-check.json"
        self.check("saved", json.loads(saved.read_text()))
        demo.take_away()

    def hid_scan(self):  # noqa: ANN201
        """A keyboard-wedge scanner types 'job:<id>' + Enter in a burst: the job opens, and
        none of it reaches the UI as typing. Slow human key presses open nothing."""
        from kivy.core.window import Window

        app = self.app

        def press(ch: str) -> None:
            Window.dispatch("on_key_down", 13 if ch == "\r" else ord(ch), 0, None if ch == "\r" else ch, [])

        yield from wait_until(lambda: app.sm.current == "attract")
        for ch in "job:qh-0002\r":
            press(ch)  # all within one frame: a scanner's burst
        yield from wait_until(lambda: app.sm.current == "job_detail", timeout=10)
        self.check("opened", app.current_job.id)
        app.act(app.visit.back())
        yield 3
        for ch in "job:qh-0003\r":
            press(ch)
            yield 0.15  # a person typing
        yield 1.0
        self.check("after_slow_typing", app.sm.current)
        self.check("current_job_after", app.current_job.id if app.current_job else None)

    def voice(self):  # noqa: ANN201
        """The read-aloud button speaks the screen; large-text mode reads each new screen."""
        app, speaker = self.app, self.app.services.speaker
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield 3
        tap(app.root.ids.speak_button)
        yield 2
        speaker.wait()
        self.check("home_text", app.sm.current_screen.spoken_text())
        before = speaker.spoken
        tap(app.root.ids.elderly_button)
        yield 2
        speaker.wait()
        self.check("read_on_large_text", speaker.spoken - before)  # the home screen, read at once
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 0.5
        speaker.wait()
        self.check("jobs_text", app.sm.current_screen.spoken_text())
        self.check("utterances", speaker.spoken)
        app.act(app.visit.choose_job(app.screen("jobs").ids.rv.data[0]["job_id"]))
        app.act(app.visit.go("apply_phone"))
        yield 3
        self.check("phone_text", app.sm.current_screen.spoken_text())
        from screens.app import SCREENS  # every screen says something, or "" (never fails)

        self.check("spoken_kinds", sorted({type(app.screen(n).spoken_text()).__name__ for n in SCREENS}))

    def paper_out(self):  # noqa: ANN201
        """No paper: the seeker is told and offered the QR; after the refill the slip prints
        exactly once."""
        app, sim = self.app, self.app.services.demo.printer_sim
        sim.set_state(paper_out=True)
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield 3
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        tap(self.job_row(0))
        yield 3
        tap(self.screen().ids.print_button)
        yield from wait_until(lambda: app.print_state == "problem", timeout=20)
        yield 3
        self.shot("paper-out")
        self.check("problem", app.print_problem)
        self.check("printed_while_out", len(sim.printed))
        tap(self.screen().ids.show_qr)
        yield 3
        self.check("after_qr_tap", app.sm.current)
        tap(app.root.ids.back_button)
        yield 3
        sim.set_state(paper_out=False)  # the maintainer refills the roll
        yield from wait_until(lambda: app.print_state == "done", timeout=30)
        yield 1.0
        self.check("printed_after_refill", len(sim.printed))

    def _type_phone(self, digits: str):  # noqa: ANN202
        keys = {k.key: k for k in self.screen().ids.keypad.children}
        tap(keys["clear"])
        for d in digits:
            tap(keys[d])
            yield 1

    def apply_flow(self):  # noqa: ANN201
        """Card -> job -> register -> consent -> keypad -> received; delivered through the real
        sync worker; then with the network cut, queued and delivered after it comes back."""
        app, demo = self.app, self.app.services.demo
        outbox, sync = app.services.outbox, app.services.sync
        said = self._said()
        yield from wait_until(lambda: app.sm.current == "attract")
        demo.reader_sim.place(demo.cards["resident"])
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        tap(self.job_row(0))
        yield 3
        tap(self.screen().ids.apply_button)
        yield 3
        self.check("after_apply_tap", app.sm.current)
        self.shot("apply-consent")
        tap(self.screen().ids.agree)
        yield 3
        yield from self._type_phone("12345678901")
        tap(self.screen().ids.confirm)
        yield 3
        self.check("bad_phone_error", self.screen().error)
        # the voice speaks an error 0.15 s after the frame that shows it: wait for it, not frames
        yield from wait_until(lambda: self.screen().error in said, timeout=5)
        self.check("said_after_bad_phone", list(said))
        yield from self._type_phone("13900000001")
        self.check("display", self.screen().ids.display.text)
        self.shot("apply-phone")
        tap(self.screen().ids.confirm)
        yield 3
        self.check("after_confirm", app.sm.current)
        self.check("application_text", self.screen().summary)
        yield from wait_until(lambda: app.application_state == "sent", timeout=20)
        yield 2
        self.shot("apply-done")
        self.check("delivered_online", outbox.pending() == 0)
        self.check("delivery_text", self.screen().ids.delivery.text)
        # Pull the cable: the next application waits in the outbox and the badge appears.
        demo.set_network(False)
        tap(self.screen().ids.more_jobs)
        yield 3
        second = self.job_row(1)
        wanted = second.job_id
        rv = self.screen().ids.rv  # a person scrolls it up first, until it is whole on screen
        below = rv.to_window(rv.x, rv.y)[1] - second.to_window(second.x, second.y)[1]
        if below > 0:
            rv.scroll_y = max(0.0, rv.scroll_y - rv.convert_distance_to_scroll(0, below)[1])
        yield 1
        tap(next(r for r in find(self.screen(), lambda w: type(w).__name__ == "JobRow") if r.job_id == wanted))
        yield 3
        tap(self.screen().ids.apply_button)
        yield 3
        tap(self.screen().ids.agree)
        yield 3
        yield from self._type_phone("13900000001")
        tap(self.screen().ids.confirm)
        yield from wait_until(lambda: app.application_state == "queued" and not app.online, timeout=20)
        yield 2
        self.check("queued_text", self.screen().ids.delivery.text)
        self.check("pending_offline", outbox.pending())
        self.shot("apply-queued")
        demo.set_network(True)
        sync.wake()
        yield from wait_until(lambda: app.application_state == "sent" and app.online, timeout=30)
        self.check("pending_after_reconnect", outbox.pending())

    def maintenance_alerts(self):  # noqa: ANN201
        """The printer runs out of paper; central's alert evaluation opens "paper out"; the next
        heartbeat answer brings it back, and the maintenance screen lists it (zh, then en)."""
        from central import db
        from central.alerts import run_alerts
        from central.services import now

        app, demo = self.app, self.app.services.demo
        sync = app.services.sync
        yield from wait_until(lambda: app.sm.current == "attract")
        demo.printer_sim.set_state(paper_out=True)
        yield from wait_until(lambda: app.services.device_health()["printer"].get("paper_end") is True, timeout=20)
        sync.send_heartbeat()
        engine = db.make_engine(demo.central_database_url)
        t = now()
        run_alerts(engine, t)
        self.check("summary", run_alerts(engine, t + dt.timedelta(minutes=2)))
        engine.dispose()
        sync.send_heartbeat()
        self.check("kiosk_alerts", [a.kind for a in sync.alerts])
        yield from self.held_until(demo.fresh_maintenance_code(), lambda: app.sm.current == "maintenance")
        yield 3
        rows = lambda: [f"{w.key}: {w.value}" for w in self.screen().ids.alert_rows.children[::-1]]  # noqa: E731
        self.check("rows_zh", rows())
        self.shot("maintenance-alerts-zh")
        tap(app.root.ids.lang_button)
        yield 3
        self.check("rows_en", rows())
        self.shot("maintenance-alerts-en")
        # Paper back in: the printer's row changes where it stands (the rows are not rebuilt).
        devices = self.screen().ids.device_rows
        before = {w.key: (w, w.value) for w in devices.children}
        demo.printer_sim.set_state(paper_out=False)
        yield from wait_until(lambda: app.services.device_health()["printer"].get("paper_end") is False, timeout=20)
        yield 1.5  # the screen redraws every second
        after = {w.key: (w, w.value) for w in devices.children}
        self.check("device_rows_kept", all(after[k][0] is w for k, (w, _) in before.items()) and len(after) == len(before))
        self.check("printer_row", (before["Printer"][1], after["Printer"][1]))
    def _reg_buttons(self, app_id: str) -> list[Widget]:
        """The buttons of My registrations' row for app_id (Withdraw, or Yes / No)."""
        rows = [r for r in self.screen().ids.rows.children if r.app_id == app_id]
        return list(reversed(rows[0].ids.actions.children)) if rows else []

    def my_registrations(self):  # noqa: ANN201
        """Lay the card -> My registrations (jobs screen button) -> Withdraw -> Yes: the
        withdrawal goes through the outbox and the real sync worker to the demo's embedded
        reference server, which erases it once. The card's two registrations are made for real
        (as the station, through the API); the county closes the older one's job."""
        import uuid

        import httpx

        from tests.sync.sync_helpers import erasures, withdraw_requests

        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract" and app.services.sync is not None)
        sync, outbox = app.services.sync, app.services.outbox
        live = sync.settings
        station = next(s for s in demo.central_seed["stations"] if s["id"] == live.station.id)
        admin = next(s for s in demo.central_seed["staff"]
                     if s["county"] == station["county"] and s["role"] == "admin")
        demo.reader_sim.place(demo.cards["resident"])
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        number = app.services.session.identity.id_number
        names: dict[str, str] = {}
        with httpx.Client(base_url=sync.api.base_url, timeout=30) as central:
            for name, job in (("a2", "qh-0002"), ("a1", "qh-0001")):  # a1 is the newer
                r = central.post("/v1/applications", headers={
                    "Authorization": f"Bearer {live.api.resolved_token()}", "Idempotency-Key": str(uuid.uuid4())},
                    json={"job_id": job, "station_id": station["id"],
                          "seeker": {"id_number": number, "name": "李小梅", "phone": "13900000001"},
                          "consent": {"version": "v1", "at": "2026-11-28T09:00:00+08:00"}})
                assert r.status_code == 201, r.text
                names[r.json()["id"]] = name
            r = central.post("/v1/jobs/qh-0002/close", headers={"Authorization": f"Bearer {admin['token']}"})
            assert r.status_code == 200, r.text
        a1 = next(k for k, v in names.items() if v == "a1")
        yield 2
        button = app.screen("jobs").ids.my_registrations
        self.check("button_shown", bool(button.shown and button.height > 0))
        self.shot("jobs-with-my-registrations")
        tap(button)
        yield from wait_until(lambda: app.sm.current == "my_registrations"
                              and app.visit.my_regs_state == "ready", timeout=20)
        yield 2
        self.shot("my-registrations")
        self.check("statuses", [r.ids.status.text for r in reversed(self.screen().ids.rows.children)])
        tap(self._reg_buttons(a1)[0])  # Withdraw
        yield 2
        self.check("confirm_buttons", [b.text for b in self._reg_buttons(a1)])
        self.shot("my-registrations-confirm")
        tap(self._reg_buttons(a1)[0])  # Yes, withdraw
        url = demo.central_database_url
        yield from wait_until(lambda: erasures(url).get(a1) == 1 and outbox.pending() == 0, timeout=30)
        yield 2
        self.shot("my-registrations-withdrawn")
        self.check("notice", app.notice)
        self.check("after", [r.ids.status.text for r in reversed(self.screen().ids.rows.children)])
        # Back and in again: central no longer lists it; nothing was sent twice.
        tap(app.root.ids.back_button)
        yield 2
        tap(app.screen("jobs").ids.my_registrations)
        yield from wait_until(lambda: app.sm.current == "my_registrations"
                              and app.visit.my_regs_state == "ready", timeout=20)
        yield 2
        self.check("listed_again", [names.get(r.app_id, r.app_id) for r in app.visit.my_regs])
        sync.wake()
        yield 3
        self.check("erasures", {names.get(k, k): n for k, n in erasures(url).items()})
        self.check("withdraw_requests", len(withdraw_requests(demo.network)))
        self.check("withdrawal_status", outbox.withdrawal_status(a1))
        demo.reader_sim.remove()
        yield from wait_until(lambda: app.sm.current == "attract", timeout=10)
        self.check("wiped", (app.visit.my_regs, app.services.session.identified))

    def standing_registration(self):  # noqa: ANN201
        """Issue 16 (kreg): tests/ui/standing_scenario.py."""
        from standing_scenario import run

        self.find = find
        yield from run(self, wait_until)

    def remote_commands(self):  # noqa: ANN201
        """County staff send a screenshot and a test print while a seeker's card is on the
        kiosk: both wait; the card is taken, the visit ends, the attract screen is captured and
        the test page printed; results reach the embedded central API."""
        import threading

        import httpx

        app, demo = self.app, self.app.services.demo
        yield from wait_until(lambda: app.sm.current == "attract" and app.services.commands is not None)
        station = app.services.settings.station.id
        maint = next(s for s in demo.central_seed["staff"] if s["role"] == "maintainer"
                     and s["county"] == next(x for x in demo.central_seed["stations"] if x["id"] == station)["county"])
        staff = httpx.Client(base_url=demo.central_url, headers={"Authorization": f"Bearer {maint['token']}"})
        demo.reader_sim.place(demo.cards["resident"])
        yield from wait_until(lambda: app.sm.current == "jobs" and app.greeting != "")
        shot = staff.post(f"/v1/stations/{station}/commands", json={"kind": "screenshot"}).json()
        test = staff.post(f"/v1/stations/{station}/commands", json={"kind": "test_print"}).json()
        printed_before = len(demo.printer_sim.printed)
        threading.Thread(target=app.services.sync.send_heartbeat, daemon=True).start()  # as every minute

        def states() -> dict[str, str]:
            rows = {c["id"]: c for c in staff.get(f"/v1/stations/{station}/commands").json()}
            return {"shot": rows[shot["id"]]["state"], "test": rows[test["id"]]["state"]}

        yield from wait_until(lambda: len(app.services.commands.store.queued()) == 2)
        yield 3  # the runner tried both (each second) and both wait
        self.check("while_card", {**states(), "screen": app.sm.current, "queued": len(app.services.commands.store.queued()),
                                  "printed": len(demo.printer_sim.printed) - printed_before})
        demo.reader_sim.remove()
        yield from wait_until(lambda: app.sm.current == "attract")
        yield from wait_until(lambda: states() == {"shot": "done", "test": "done"}, timeout=60)
        rows = {c["id"]: c for c in staff.get(f"/v1/stations/{station}/commands").json()}
        self.check("after", {"shot": rows[shot["id"]]["result_detail"], "test": rows[test["id"]]["result_detail"],
                             "printed": len(demo.printer_sim.printed) - printed_before})
        png = staff.get(f"/v1/stations/{station}/commands/{shot['id']}/attachment")
        (self.out / "remote-screenshot.png").write_bytes(png.content)
        self.check("png", {"type": png.headers["content-type"], "magic": png.content[:8].hex(),
                           "size": list(__import__("struct").unpack(">II", png.content[16:24]))})
        staff.close()

    def maintenance_pin(self):  # noqa: ANN201
        """Holding the station name opens PIN entry only once the county has set a PIN; a wrong
        PIN is refused, the right one opens maintenance."""
        app = self.app
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield from wait_until(lambda: app.sm.current == "home")
        label = app.root.ids.station_label
        finger = press(label)  # no PIN configured: holding does nothing
        yield 3.5
        release(finger)
        yield 2
        self.check("without_pin", app.sm.current)
        # First a hash in the refused PBKDF2 format (kiosk/pin.py): the screen says why.
        app.apply_remote_config(AppliedConfig(version=98, maintenance_pin_hash=OLD_PIN_HASH))
        tap(label)  # a seeker's tap on the name
        yield 2
        self.check("after_tap", app.sm.current)
        finger = press(label)
        yield 3.5
        release(finger)
        yield from wait_until(lambda: app.sm.current == "maintenance_pin")
        self.check("after_hold", app.sm.current)
        pin_screen = self.screen()
        self.check("empty_display", pin_screen.ids.display.text)
        keys = {k.key: k for k in pin_screen.ids.keypad.children}
        for digit in PIN:
            tap(keys[digit])
        yield 1
        tap(pin_screen.ids.confirm)
        yield 2
        self.check("old_format_error", pin_screen.error)
        self.check("after_old_format", app.sm.current)
        app.apply_remote_config(AppliedConfig(version=99, maintenance_pin_hash=hash_pin(PIN, log2_n=14)))
        for digit in "000000":
            tap(keys[digit])
        yield 2
        self.check("masked_display", pin_screen.ids.display.text)
        tap(pin_screen.ids.confirm)
        yield 2
        self.check("wrong_error", pin_screen.error)
        self.check("after_wrong", app.sm.current)
        for digit in PIN:
            tap(keys[digit])
        yield 2
        self.check("pin_display", pin_screen.ids.display.text)  # as many dots as the PIN has digits
        self.shot("pin-entry")
        tap(pin_screen.ids.confirm)
        yield from wait_until(lambda: app.sm.current == "maintenance")
        self.check("after_right", app.sm.current)
        yield 3
        maint = self.screen()
        for box in ("station_rows", "device_rows"):
            self.check(box, [f"{w.key}: {w.value}" for w in maint.ids[box].children[::-1]])
        self.shot("maintenance-zh")

    def idle_timeout(self):  # noqa: ANN201
        """A visit left alone returns to attract, with the greeting wiped."""
        app = self.app
        app.visit.idle_timeout_s = 2
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield 3
        tap(self.screen().ids.browse)
        yield 3
        app.greeting = "李*梅"  # as a card read would set it
        t0 = time.monotonic()
        yield from wait_until(lambda: app.sm.current == "attract", timeout=10)
        self.check("seconds_to_attract", round(time.monotonic() - t0, 2))
        self.check("greeting_after", app.greeting)

    def language_and_elderly(self):  # noqa: ANN201
        """The language button switches every label live; large-text mode grows targets."""
        app = self.app
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield 3
        browse = self.screen().ids.browse
        self.check("browse_zh", browse.text)
        tap(app.root.ids.lang_button)
        yield 3
        self.check("browse_en", browse.text)
        self.shot("home-en")
        tap(app.root.ids.elderly_button)
        yield 3
        self.shot("home-en-elderly")
        tap(browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        self.shot("jobs-en-elderly")
        self.check("targets", _target_sizes(app.root))
        self.check("elderly", app.elderly)
        # The category chips: folded behind one chip, every one whole when opened, none cut.
        jobs = app.screen("jobs")
        chips = lambda: [c.text for c in jobs.ids.category_row.children[::-1]]  # noqa: E731
        self.check("categories_folded", chips())
        tap(jobs.ids.category_row.children[-1])
        yield 2
        self.check("categories_open", chips())
        right = jobs.ids.category_row.right
        self.check("chips_inside", all(c.right <= right + 1 for c in jobs.ids.category_row.children))
        cleaning = next(c for c in jobs.ids.category_row.children if c.text == "Cleaning")
        tap(cleaning)
        yield 2
        tap(jobs.ids.category_row.children[-1])  # fold again: the chosen one stays in view
        yield 2
        self.check("categories_chosen", chips())

    def long_policy(self):  # noqa: ANN201
        """A 20,000-character policy (issue 11 item 16): shown, and scrollable to its end."""
        from kivy.core.window import Window

        from kiosk.models import Policy
        from screens.scripted import Tap

        app = self.app
        yield from wait_until(lambda: app.sm.current == "attract")
        paragraph = "灵活就业人员社会保险补贴的申请条件、所需材料和办理流程说明，" * 6
        body = "\n".join(f"第{i + 1}段：{paragraph}" for i in range(110))
        body += "\n" + "不分段的长段落。" * 400 + "\n全文完。"  # one paragraph of 3,200 characters too
        self.check("body_chars", len(body))
        app.services.store.upsert_policies([Policy(id="long-1", title="超长政策全文", summary="", body=body)])
        app.act(app.visit.open_policy("long-1"))
        yield from wait_until(lambda: app.sm.current == "policy")
        rv = self.screen().ids.get("rv")  # None before the fix: one label for the whole body
        yield from wait_until(lambda: rv is None or (len(rv.data) > 1 and rv.children[0].children))
        yield 10
        self.shot("policy-long-top")  # before looking inside: the screen as a seeker sees it
        rv = self.screen().ids.rv
        self.check("rows", len(rv.data))
        screen = self.screen()
        screen._shown, started = (), time.perf_counter()  # measure every row once more
        screen.refresh()
        self.check("refresh_ms", round((time.perf_counter() - started) * 1000, 1))
        self.check("window", [Window.width, Window.height])
        self.check("rv_box", [*rv.to_window(*rv.pos), rv.width, rv.height])
        views = lambda: [w for w in rv.children[0].children if w.text]  # noqa: E731
        self.check("first_rows", [{"text": w.text[:12], "texture": list(w.texture.size) if w.texture else None}
                                  for w in sorted(views(), key=lambda w: -w.y)[:3]])
        # A finger drags the text up: the list scrolls.
        x, y = rv.to_window(rv.center_x, rv.y + rv.height * 0.3)
        touch = Tap(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        for step in range(1, 9):
            # the first move comes at once: the ScrollView must see it move within its
            # scroll_timeout (55 ms), however slow a loaded machine's frames are
            if step > 1:
                yield 1
            touch.move(Tap._spos(x, y + step * 60))
            EventLoop.post_dispatch_input("update", touch)
        yield 1
        EventLoop.post_dispatch_input("end", touch)
        yield 30
        self.check("scroll_y_after_drag", rv.scroll_y)
        # To the end, as the scroll bar would. The drag's kinetic effect may still be coasting
        # on a loaded machine; its next frame would put scroll_y back (seen on the base commit
        # too), so its position jumps to the end as well.
        rv.effect_y.velocity, rv.effect_y.value = 0, 0
        rv.scroll_y = 0
        yield 10
        self.shot("policy-long-end")
        self.check("last_rows", [{"text": w.text[-6:], "top": w.to_window(w.x, w.top)[1],
                                  "texture": list(w.texture.size) if w.texture else None}
                                 for w in sorted(views(), key=lambda w: w.y)[:2]])
        self.check("max_texture_h", max(w.texture.size[1] for w in views() if w.texture))

    # --- issue 18, seekA: dialogs, help, offer, QR first, notices -------------------------------
    def _said(self) -> list[str]:
        """Every text the speaker is asked to say from now on (in order)."""
        speaker, said = self.app.services.speaker, []
        say = speaker.say
        speaker.say = lambda text, *a, **k: (said.append(text), say(text, *a, **k))[1]
        return said

    def idle_countdown(self):  # noqa: ANN201
        """The last 15 s before the idle reset show a countdown with a big Continue; a finger on
        Continue keeps the visit; left alone, the visit ends and the dialog goes with it."""
        app, demo = self.app, self.app.services.demo
        said = self._said()
        yield from wait_until(lambda: app.sm.current == "attract")
        app.visit.idle_timeout_s = 30
        demo.reader_sim.place(demo.cards["resident"])
        yield from wait_until(lambda: app.sm.current == "jobs" and app.greeting)
        yield 1
        app.visit.last_activity -= 16  # as if left alone for 16 s: 14 s to go
        yield from wait_until(lambda: app.overlays.shown == "countdown", timeout=5)
        view = app.overlays.views["countdown"]
        yield 1.5
        self.check("seconds_shown", view.seconds)
        self.check("countdown_text", [w.text for w in find(view, lambda w: hasattr(w, "text") and w.text)])
        self.shot("countdown")
        tap(view.ids.keep_going)
        yield 1.5
        self.check("after_continue", [app.sm.current, app.overlays.shown, app.greeting != ""])
        self.check("said", list(said))
        app.visit.idle_timeout_s = 4  # now left alone: the countdown runs out
        yield from wait_until(lambda: app.sm.current == "attract", timeout=15)
        yield 1
        self.check("after_timeout", [app.sm.current, app.overlays.shown, app.greeting])
        demo.reader_sim.remove()

    def help_and_done(self):  # noqa: ANN201
        """The permanent help button shows the station's number with a tel: QR; Done asks
        before it clears; an older seeker's card offers large text + voice in one tap."""
        from kiosk.remote_config import AppliedConfig

        app, demo = self.app, self.app.services.demo
        said = self._said()
        yield from wait_until(lambda: app.sm.current == "attract")
        app.apply_remote_config(AppliedConfig(version=97, help_phone="0556-1234567"))
        tap(self.screen())
        yield 2
        tap(app.root.ids.help_button)
        yield from wait_until(lambda: app.overlays.shown == "help")
        yield 2
        self.shot("help")
        self.check("help_number", app.overlays.views["help"].number)
        tap(app.overlays.views["help"].ids.close)
        yield 1
        self.check("after_close", app.overlays.shown)
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs")
        yield 1
        tap(app.root.ids.done_button)
        yield 1
        self.check("done_asks", app.overlays.shown)
        self.shot("confirm-end")
        tap(app.overlays.views["confirm_end"].ids.go_on)
        yield 1
        self.check("after_go_on", [app.sm.current, app.overlays.shown])
        tap(app.root.ids.done_button)
        yield 1
        tap(app.overlays.views["confirm_end"].ids.yes_end)
        yield 1
        self.check("after_yes", [app.sm.current, app.overlays.shown])
        demo.reader_sim.place(demo.cards["long_term"])  # 64 years old
        yield from wait_until(lambda: app.overlays.shown == "offer", timeout=10)
        yield 2
        self.shot("elderly-offer")
        tap(app.overlays.views["offer"].ids.accept)
        yield 2
        app.services.speaker.wait()
        self.check("after_accept", [app.elderly, app.overlays.shown, app.sm.current])
        self.check("said", list(said))
        demo.reader_sim.remove()

    def qr_first_and_notices(self):  # noqa: ANN201
        """Paper out: the job's QR button comes first. A notice stays on its own screen."""
        app, demo = self.app, self.app.services.demo
        said = self._said()
        yield from wait_until(lambda: app.sm.current == "attract")
        yield from self.held_until("unrecognised-wifi.png", lambda: app.notice != "")
        self.check("unknown_on", [app.sm.current, app.notice])
        yield 2.5  # the camera lets go of the first code
        yield from self.held_until("job-qh-0001-camera.jpg", lambda: app.sm.current == "job_detail")
        yield 1
        self.check("notice_on_job", app.notice)
        ids = self.screen().ids
        self.check("print_above_qr", ids.print_button.y > ids.qr_button.y)
        demo.printer_sim.set_state(paper_out=True)
        yield from wait_until(lambda: app.visit.qr_first, timeout=20)
        app.act()
        yield 2
        ids = self.screen().ids
        self.check("qr_above_print", ids.qr_button.y > ids.print_button.y)
        self.check("qr_primary", [ids.qr_button.primary, ids.print_button.primary, ids.print_button.text])
        self.shot("paper-out-qr-first")
        self.check("said", list(said))
        # The cable is pulled (a black hole: nothing answers), then the kiosk asks for its
        # config: the strip must show once that first attempt fails, not after its retries.
        import threading

        sync = app.services.sync
        demo.network.set("blackhole")
        t0 = time.monotonic()
        threading.Thread(target=sync._guard, args=(sync.sync_config,), daemon=True).start()
        yield from wait_until(lambda: not app.online, timeout=120)
        self.check("offline_after_s", round(time.monotonic() - t0, 1))
        self.check("read_timeout_s", app.services.settings.api.read_timeout_s)
        yield 1
        self.shot("offline-strip")
        demo.set_network(True)

    def report_job(self):  # noqa: ANN201
        """Issue 16 by touch: the job detail shows the employer check, pay below the guidance
        wage and the no-fee sentence with the county's complaint hotline (also read aloud);
        "Report this job" opens the reason chips, Send commits the report to the outbox and
        the sync delivers it to the (embedded) central."""
        from kiosk.remote_config import AppliedConfig

        app = self.app
        said = self._said()
        yield from wait_until(lambda: app.sm.current == "attract")
        app.apply_remote_config(AppliedConfig(version=96, complaint_phone="0556-12333"))
        tap(self.screen())
        yield 2
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 2
        from kivy.core.window import Window

        jobs = self.screen()

        def footer() -> list:  # the list's no-fee line: text, where it is, where the rows end
            label, rv = jobs.ids.no_fee, jobs.ids.rv
            return [label.text, label.y, label.top, rv.y, label.height, label.font_size, Window.height,
                    rv.height, app.theme.row_h]

        demo_panel, app.demo = app.demo, False  # the screen as a station shows it (no device panel)
        yield 2
        self.check("list_no_fee", {"zh-normal": footer()})
        for lang, elderly in (("en", False), ("en", True), ("zh", True)):
            app.lang, app.elderly = lang, elderly
            yield 2
            self.check("list_no_fee", {**self.result["checks"]["list_no_fee"],
                                       f"{lang}-{'large' if elderly else 'normal'}": footer()})
        self.shot("jobs-no-fee-zh-large")
        app.lang, app.elderly, app.demo = "zh", False, demo_panel
        yield 2
        tap(self.job_row(0))
        yield from wait_until(lambda: app.sm.current == "job_detail")
        yield 2
        detail = self.screen()
        self.check("first", [app.current_job.id, detail.ids.employer_check.text, detail.ids.low_pay.text])
        store = app.services.store
        low = next(j.id for j in (store.get_job(i) for i in [r["job_id"] for r in app.visit.rows])
                   if j.below_guidance)
        app.act(app.visit.choose_job(low))  # as a tap on that row would
        yield 2
        self.check("low", [app.current_job.id, detail.ids.employer_check.text, detail.ids.low_pay.text,
                           detail.ids.no_fee.text])
        self.shot("detail-low-pay")
        app.read_aloud()
        yield 2
        tap(detail.ids.report_button)
        yield from wait_until(lambda: app.overlays.shown == "report")
        yield 1  # laid out
        view = app.overlays.views["report"]
        self.check("send_disabled_before", view.ids.send_report.disabled)
        tap(view.ids.reason_fee)
        yield 1
        self.check("chosen", [view.ids.reason_fee.selected, view.ids.send_report.disabled])
        self.shot("report-dialog")
        tap(view.ids.send_report)
        yield 1
        self.check("after_send", [app.overlays.shown, app.notice])
        self.shot("reported")
        outbox = app.services.outbox
        yield from wait_until(lambda: outbox.reports_pending() == 0, timeout=20)
        self.check("pending_after_sync", outbox.reports_pending())
        tap(detail.ids.report_button)  # again in the same visit: "already reported"
        yield 1
        self.check("again", [app.overlays.shown, app.notice])
        self.check("said", list(said))
    # --- issue 16: the 15-minute circle ---------------------------------------------------
    def job_map(self):  # noqa: ANN201
        """By touch: the 15-minute chip, List -> Map, a dot -> its job, Back, a count -> its
        jobs listed -> one of them; then the same map in large-text English."""
        from kivy.metrics import dp

        app = self.app
        app.demo = False  # the demo's device panel off: the screen as a station shows it
        yield from wait_until(lambda: app.sm.current == "attract")
        tap(self.screen())
        yield from wait_until(lambda: app.sm.current == "home")
        yield 3
        tap(self.screen().ids.browse)
        yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
        yield 3
        jobs = self.screen()
        everything = app.job_count
        walk_chip = next(c for row in ("settle_row", "start_row", "pay_row") for c in jobs.ids[row].children
                         if c.group == "walk")
        tap(walk_chip)
        yield 3
        self.check("walk_chip", [walk_chip.selected, app.job_count, everything, jobs.ids.count.text])
        self.check("row_walk", [r["walk"] for r in jobs.ids.rv.data])
        tap(walk_chip)
        yield 3
        view = find(jobs, lambda w: type(w).__name__ == "Chip" and w.group == "view")
        tap(next(c for c in view if c.label == app.tr("Map")))
        yield from wait_until(lambda: app.sm.current == "jobs_map" and self.screen().ids.jobs_map.dots)
        yield 3
        self.shot("map")
        m = self.screen().ids.jobs_map
        self.check("map_geometry", [m.width, m.height, m.dot / dp(1)])
        self.check("dots", [{"ids": d.job_ids, "w_dp": d.width / dp(1), "edge": d.edge, "daily": d.daily,
                             "text": d.text} for d in m.dots])
        single = next(d for d in m.dots if len(d.job_ids) == 1)
        tap(single)
        yield from wait_until(lambda: app.sm.current == "job_detail")
        self.check("opened", [single.job_ids[0], app.current_job.id])
        yield 3
        self.check("detail_rows", self.screen().rows)
        self.shot("detail")
        tap(app.root.ids.back_button)
        yield from wait_until(lambda: app.sm.current == "jobs_map")
        yield 2
        m = self.screen().ids.jobs_map
        several = max(m.dots, key=lambda d: len(d.job_ids))
        tap(several)
        yield from wait_until(lambda: self.screen().group_rows)
        yield 2
        self.shot("group")
        first = self.screen().ids.group.children[-1]  # children: bottom first
        self.check("group", [list(several.job_ids), [r["job_id"] for r in self.screen().group_rows],
                             self.screen().ids.jobs_map.parent.height, first.job_id])
        tap(first)
        yield from wait_until(lambda: app.sm.current == "job_detail")
        self.check("opened_from_group", app.current_job.id)
        tap(app.root.ids.back_button)
        yield from wait_until(lambda: app.sm.current == "jobs_map")
        tap(self.screen().ids.close_group)
        yield 3
        tap(app.root.ids.elderly_button)
        tap(app.root.ids.lang_button)
        yield 4
        m = self.screen().ids.jobs_map
        self.shot("map-en-elderly")
        self.check("elderly", [app.elderly, app.lang, min(m.width, m.height), min(d.width for d in m.dots) / dp(1),
                               self.screen().ids.count.text, self.screen().spoken_text()])
        view = find(self.screen(), lambda w: type(w).__name__ == "Chip" and w.group == "view")
        tap(next(c for c in view if c.label == "List"))
        yield from wait_until(lambda: app.sm.current == "jobs")
        self.check("back_to_list", app.screen_log[-1])



def _target_sizes(root: Widget) -> list[dict]:
    from kivy.metrics import dp
    from kivy.uix.behaviors import ButtonBehavior

    out = []
    for w in root.walk(restrict=True):
        if isinstance(w, ButtonBehavior) and w.opacity > 0 and not w.disabled and w.get_root_window():
            out.append({"cls": type(w).__name__, "w_dp": w.width / dp(1), "h_dp": w.height / dp(1),
                        "text": getattr(w, "text", "")[:20]})
    return out


def main() -> int:
    name, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    services = build_demo_services(out / "data", speech_dir=out / "speech")
    if name == "hid_scan":  # this station has a keyboard-wedge scanner
        d = services.settings.devices
        scanner = d.scanner.model_copy(update={"hid": True})
        services.settings = services.settings.model_copy(
            update={"devices": d.model_copy(update={"scanner": scanner})}
        )
    if services.background_init:  # sync from the embedded server before the first frame
        services.background_init()
        services.background_init = None
        deadline = time.monotonic() + 60
        while services.store.count_jobs() == 0 or not services.store.policies():
            if time.monotonic() > deadline:
                raise SystemExit("the demo cache was not filled from the embedded central API")
            time.sleep(0.1)
    app = GigKioskApp(services, demo=True)
    scenario = Scenario(app, out)

    def fail(exc: BaseException) -> None:
        scenario.result["error"] = "".join(traceback.format_exception(exc))
        app.stop()

    def script():  # noqa: ANN202
        yield from getattr(scenario, name)()
        app.stop()

    app.bind(on_start=lambda *_: run_script(script(), fail))
    app.run()
    scenario.result["screen_log"] = list(app.screen_log)
    (out / "result.json").write_text(json.dumps(scenario.result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
