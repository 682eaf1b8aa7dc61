"""`gig-kiosk shots DIR`: every screen in zh and en, normal and elderly mode, as PNGs, at the
two station sizes: 720x1280 (NAME-LANG-MODE.png) and the production 1080x1920
(NAME-LANG-MODE-1080x1920.png). `--size WxH` renders one size only."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screens.commands.common import configure_desktop_window, run_app, setup_logging

SIZES = ("720x1280", "1080x1920")
PLAIN_SIZE = SIZES[0]  # its file names carry no size (the names the README links to)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="output folder")
    parser.add_argument("--size", default="all", help=f"window size WxH, or all ({' and '.join(SIZES)})")
    parser.add_argument("--only", nargs="*", help="screen names to render (default: all)")


def shot_name(name: str, lang: str, elderly: bool, size: str) -> str:
    suffix = "" if size == PLAIN_SIZE else f"-{size}"
    return f"{name}-{lang}-{'elderly' if elderly else 'normal'}{suffix}.png"


def run(args: argparse.Namespace) -> int:
    if args.size == "all":  # one Kivy window per process: a process per size
        only = ["--only", *args.only] if args.only else []
        codes = [subprocess.call([sys.executable, "-m", "kiosk.cli", "shots", str(args.dir), "--size", size, *only])
                 for size in SIZES]
        return max(codes)
    setup_logging()
    configure_desktop_window(args.size)
    from screens.app import GigKioskApp
    from screens.demo_setup import build_demo_services
    from screens.scripted import run_script, screenshot

    errors: list[BaseException] = []
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="gig-shots-") as tmp:
        services = build_demo_services(Path(tmp) / "data")
        app = GigKioskApp(services, demo=False)

        def script():  # noqa: ANN202 (generator for run_script)
            deadline = time.monotonic() + 60  # the embedded central API fills the cache
            while not (services.store.count_jobs() and services.store.policies()):
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo cache was not filled from the embedded central API")
                yield 0.2
            yield 5
            for lang in ("zh", "en"):
                for elderly in (False, True):
                    app.lang, app.elderly = lang, elderly
                    for name, prepare in shot_plan(app):
                        if args.only and name not in args.only:
                            continue
                        prepare()
                        app.lang, app.elderly = lang, elderly  # end_session resets them
                        while app.print_state == "printing":
                            yield 0.1
                        yield 4
                        path = args.dir / shot_name(name, lang, elderly, args.size)
                        screenshot(app.root, path)
                        written.append(path)
            app.stop()

        def fail(exc: BaseException) -> None:
            errors.append(exc)
            app.stop()

        app.bind(on_start=lambda *_: run_script(script(), fail))
        run_app(app)
    for path in written:
        print(path)
    if errors:
        print(f"gig-kiosk shots: {errors[0]!r}", file=sys.stderr)
        return 1
    return 0


def shot_plan(app) -> list[tuple[str, object]]:  # noqa: ANN001
    """(name, prepare) for each screen: prepare puts the app in a representative state."""
    from kiosk.search import nearby

    v = app.visit

    def first_job_id() -> str:
        s = app.services.settings.station
        return nearby(app.services.store, s.lat, s.lng).hits[0].job.id

    def act(step: object) -> None:
        app.act(step)

    def fresh() -> None:  # a new visit (the loop sets language and text size again after)
        act(v.end("shots"))
        act(v.start())

    def printed() -> None:  # a real slip through the print queue and the printer simulator
        act(v.choose_job(first_job_id()))
        act(v.print_slip())

    def policy() -> None:
        act(v.open_policies())
        act(v.open_policy(app.services.store.policies()[0].id))

    def maintenance() -> None:
        # as after a valid PIN or code: access for a while (else the next tick ends it)
        v.maintenance_until = v.clock.now().timestamp() + 600
        act(v.go("maintenance"))

    def applied() -> None:
        from kiosk.visit import Application

        act(v.choose_job(first_job_id()))
        v.application = Application("QH7K-2D9M", v.job, (  # fictional person, already masked
            ("Job", v.job.title_text(v.lang)), ("Name", "李*梅"), ("ID number", "3499**********0021"),
            ("Phone", "139****0001"), ("Reference", "QH7K-2D9M")))
        v.application_state = "queued"
        v.followup_hours, v.followup_phone = 4, "0556-1234567"  # the county's call-back promise
        act(v.go("apply_done"))

    def my_registrations(offline: bool = False) -> None:
        import datetime as dt

        from kiosk.visit.registrations import OFFLINE, Registration

        s = app.services.settings.station
        hits = nearby(app.services.store, s.lat, s.lng).hits[:4]
        day = v.clock.now().date()
        states = [("new", True), ("contacted", True), ("new", False), ("withdrawn", True)]
        v.my_regs = [] if offline else [  # rows as central returns them, on demo jobs (no personal data)
            Registration(f"a{i}", h.job.id, h.job.title, day - dt.timedelta(days=i), status, job_open)
            for i, (h, (status, job_open)) in enumerate(zip(hits, states, strict=False))]
        v.my_regs_state, v.my_regs_message = ("offline", OFFLINE) if offline else ("ready", "")
        v.confirm_withdraw = "" if offline else "a2"
        act(v.go("my_registrations"))
    def job_where(test) -> str:  # noqa: ANN001 - the nearest job the demo's trust data marks so
        s = app.services.settings.station
        store = app.services.store
        return next(h.job.id for h in nearby(store, s.lat, s.lng).hits if test(store.get_job(h.job.id)))

    def reporting() -> None:  # issue 16: "report this job", a reason chosen
        act(v.choose_job(job_where(lambda j: j.below_guidance)))
        v.reported_jobs.clear()
        act(v.ask_report())
        act(v.choose_report_reason("fee"))
    def map_group() -> None:  # the largest count marker of the map just drawn, tapped
        markers = app.screen("jobs_map").ids.jobs_map.markers
        act(v.map_pick(max(markers, key=lambda m: m.count).job_ids))
    def register(screen: str) -> None:  # issue 16: a fictional demo card on the reader
        import json

        from kiosk.identity import IdentityCard
        from kiosk.visit import standing

        if not v.session.identified:
            fresh()
            raw = json.loads((Path(__file__).resolve().parents[2] / "assets/demo/cards.json").read_text("utf-8"))
            v.session.identity = IdentityCard.from_dict(raw["cards"][0])
        s = v.standing
        from kiosk.models import CATEGORIES_ZH_EN

        two = frozenset(list(CATEGORIES_ZH_EN)[::2][:2])  # cleaning and housekeeping
        s.draft = standing.Wants(categories=two, reach=("minutes", 15),
                                 days=standing.WEEKDAYS, settlement="daily", min_pay=(150, "day"))
        if screen == standing.DONE:
            v.session.phone = "13900000001"
            day = v.clock.now().date()
            s.done = standing.Standing("", "QH7K-2D9M", "pending", s.draft, True, day,
                                       day + dt.timedelta(days=30))
        if screen == standing.MINE:
            day = v.clock.now().date()
            s.done, s.mine_state = None, "ready"
            s.mine = [standing.Standing("r1", "QH7K-2D9M", "open", s.draft, True, day - dt.timedelta(days=3),
                                        day + dt.timedelta(days=27))]
        act(v.go(screen))

    def countdown() -> None:  # 12 s before the idle reset; the next shot's end() clears it
        v.elderly_offer = False
        v.last_activity = v.clock.monotonic() - v.idle_timeout_s + 12
        act(None)

    return [
        ("attract", lambda: act(v.end("shots"))),
        ("home", lambda: act(v.start())),
        ("jobs", lambda: (fresh(), act(v.open_jobs()))),  # fresh: no filter left by an earlier shot
        ("jobs-filtered", lambda: (fresh(), act(v.open_jobs()), v.toggle_filter("settlements", "daily"), act(None))),
        # issue 16: the list as a map, and the jobs of a count marker listed under it
        ("jobs_map", lambda: (fresh(), act(v.open_jobs()), act(v.open_map()))),
        ("jobs_map-group", map_group),
        ("job_detail", lambda: act(v.choose_job(first_job_id()))),
        # issue 16: an unverified employer paying below the county's guidance wage, and reporting it
        ("job_detail-low_pay", lambda: act(v.choose_job(job_where(lambda j: j.below_guidance)))),
        ("job_detail-report", lambda: (reporting(), act(None))),
        ("job_detail-reported", lambda: act(v.send_report())),
        ("job_qr", lambda: (act(v.cancel_report()), act(v.choose_job(first_job_id())), act(v.show_qr()))),
        ("printing", printed),
        ("policies", lambda: act(v.open_policies())),
        ("policy", policy),
        ("apply_consent", lambda: (act(v.choose_job(first_job_id())), act(v.go("apply_consent")))),
        ("apply_phone", lambda: act(v.go("apply_phone"))),
        ("apply_done", applied),
        ("my_registrations", my_registrations),
        ("my_registrations-offline", lambda: my_registrations(offline=True)),
        ("register_wants", lambda: register("register_wants")),
        ("register_consent", lambda: register("register_consent")),
        ("register_phone", lambda: register("register_phone")),
        ("register_done", lambda: register("register_done")),
        ("register_mine", lambda: register("register_mine")),
        ("home-register", lambda: (register("register_mine"), act(v.go("home")))),
        ("maintenance_pin", lambda: act(v.go("maintenance_pin"))),
        ("maintenance", maintenance),
        # issue 18's dialogs, over the screen that opened them
        ("help", lambda: (v.activity(), act(v.start()), act(v.ask_help()))),
        ("confirm_end", lambda: (act(v.close_help()), act(v.open_jobs()), act(v.ask_end()))),
        ("elderly_offer", lambda: (act(v.cancel_end()), setattr(v, "elderly_offer", True), act(None))),
        ("idle_countdown", countdown),
    ]
