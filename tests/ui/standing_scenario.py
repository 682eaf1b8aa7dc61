"""The standing registration (求职登记, issue 16) as a seeker does it, by touch in the real
window (run from scenarios.py as `standing_registration`): card -> home -> Register for work
-> chips -> consent (SMS opt-in) -> keypad -> received, delivered by the real sync worker to
the demo's embedded reference server; the jobs list then shows the fitting jobs first; the
card again -> My work registration -> End -> Yes: ended and erased at central, once."""

from __future__ import annotations

from typing import Any

from screens.scripted import tap


def _chip(sc: Any, group: str, value: object) -> Any:
    chips = sc.find(sc.screen(), lambda w: type(w).__name__ == "Chip" and w.group == group and w.value == value)
    assert chips, (group, value)
    return chips[0]


def run(sc: Any, wait_until: Any):  # noqa: ANN201
    """sc: scenarios.Scenario (with `find`); wait_until: scenarios.wait_until (that module is
    __main__ in the scenario process: imported again it would set Kivy up twice)."""
    import httpx

    app, demo = sc.app, sc.app.services.demo
    outbox, sync = app.services.outbox, app.services.sync
    yield from wait_until(lambda: app.sm.current == "attract" and sync is not None)
    card = demo.cards["resident"]
    demo.reader_sim.place(card)
    yield from wait_until(lambda: app.sm.current == "jobs" and app.screen("jobs").ids.rv.data)
    # The look-up started at card-laid answers "none" before the seeker reaches the button.
    yield from wait_until(lambda: app.visit.standing.mine_state == "ready", timeout=20)
    tap(app.root.ids.back_button)
    yield 3
    button = sc.screen().ids.register_for_work
    sc.check("home_button", [app.sm.current, bool(button.shown and button.height > 0), button.text])
    sc.shot("home-register")
    tap(button)
    yield 3
    sc.check("after_button", app.sm.current)
    for group, value in (("category", "仓储分拣"), ("reach", ("km", 10)), ("settlement", "daily")):
        chip = _chip(sc, group, value)
        sc.screen().ids.scroll.scroll_to(chip, padding=40, animate=False)  # as a seeker's swipe would
        yield 3
        tap(chip)
        yield 3
    sc.check("chosen", [[c.group, c.label] for c in sc.screen().walk(restrict=True)
                        if type(c).__name__ == "Chip" and c.selected])
    sc.shot("register-wants")
    tap(sc.screen().ids.next)
    yield 3
    sc.check("consent_screen", app.sm.current)
    sc.check("sms_before", sc.screen().ids.sms.selected)
    tap(sc.screen().ids.sms)
    yield 3
    sc.check("sms_after", sc.screen().ids.sms.selected)
    sc.shot("register-consent")
    tap(sc.screen().ids.agree)
    yield 3
    sc.check("phone_screen", app.sm.current)
    yield from sc._type_phone("13900000001")
    sc.shot("register-phone")
    tap(sc.screen().ids.confirm)
    yield 3
    sc.check("done_screen", app.sm.current)
    ref = app.visit.standing.done.reference
    yield from wait_until(lambda: outbox.standing_status(ref) == "delivered", timeout=30)
    yield 0.8
    sc.check("done_texts", [sc.screen().summary, sc.screen().until, sc.screen().ids.delivery.text])
    sc.shot("register-done")
    tap(sc.screen().ids.print_slip)
    yield from wait_until(lambda: app.print_state in ("done", "sent", "problem"), timeout=20)
    sc.check("slip", app.print_state)
    tap(app.root.ids.back_button)  # the printing screen -> the done screen
    yield 3
    # Next visit: the card again; the fitting jobs come first on the list.
    demo.reader_sim.remove()
    yield from wait_until(lambda: app.sm.current == "attract", timeout=10)
    demo.reader_sim.place(card)
    yield from wait_until(lambda: app.sm.current == "jobs" and app.visit.standing.mine_state == "ready", timeout=20)
    yield 3
    rows = app.screen("jobs").ids.rv.data
    matching = [r for r in rows if r.get("match")]
    sc.check("matching_first", [bool(matching), rows[:len(matching)] == matching,
                                all(app.services.store.get_job(r["job_id"]).category == "仓储分拣" for r in matching)])
    sc.shot("jobs-matching-first")
    tap(app.root.ids.back_button)
    yield 3
    tap(sc.screen().ids.register_for_work)
    yield 3
    sc.check("mine_screen", app.sm.current)
    sc.shot("register-mine")
    tap(sc.screen().ids.end)
    yield 3
    sc.check("confirm_shown", [sc.screen().ids.end_yes.shown, sc.screen().ids.renew.shown])
    sc.shot("register-mine-confirm")
    server_id = app.visit.standing.open.server_id
    tap(sc.screen().ids.end_yes)
    yield from wait_until(lambda: outbox.standing_end_status(server_id) == "ended", timeout=30)
    yield 3
    sc.check("ended_notice", app.notice)
    sc.shot("register-mine-ended")
    live = sync.settings
    with httpx.Client(base_url=sync.api.base_url, timeout=30) as central:
        r = central.post("/v1/registrations/mine", headers={"Authorization": f"Bearer {live.api.resolved_token()}"},
                         json={"station_id": live.station.id, "id_number": card.id_number})
    sc.check("central_open_after_end", [x["status"] for x in r.json()["registrations"] if x["status"] == "open"])
    sc.check("pending_after", outbox.pending())
    demo.reader_sim.remove()
    yield from wait_until(lambda: app.sm.current == "attract", timeout=10)
    sc.check("wiped", [app.visit.standing.open is None, app.services.session.identified])
