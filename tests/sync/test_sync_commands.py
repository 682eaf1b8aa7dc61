"""Remote commands, kiosk <-> the real reference server on 127.0.0.1 (issue 13): staff send a
command, it comes in a heartbeat answer, the kiosk checks and runs it and the result reaches
central; each refused case (another station, expired, replayed nonce, bad signature) is
refused and reported."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import time
from pathlib import Path

import pytest
from sync_helpers import Central, kiosk_settings, make_outbox

from kiosk import logbundle
from kiosk.api import ApiClient
from kiosk.commands import (
    CommandRunner,
    Deferred,
    Outcome,
    logs_handler,
    restart_handler,
    resync_handler,
    screenshot_handler,
)
from kiosk.privacy import mask_text
from kiosk.remote_config import RemoteConfig
from kiosk.store import Store
from kiosk.sync import SyncWorker

ID_NUMBER = "110101199003077578"  # an ID-shaped number: must never leave the kiosk unmasked
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


class Kiosk:
    """A station: its sync worker and its command runner, on a data dir of its own."""

    def __init__(self, central: Central, data_dir: Path, station: dict | None = None,
                 clock=time.time, handlers: dict | None = None) -> None:  # noqa: ANN001
        self.settings = kiosk_settings(central, data_dir, station=station)
        self.rc = RemoteConfig(self.settings, data_dir)
        self.api = ApiClient(self.settings.api)
        self.sync = SyncWorker(self.settings, Store(data_dir / "cache.db"), make_outbox(data_dir), self.api,
                               self.rc, device_health=dict)
        self.runner = CommandRunner(
            self.settings.station.id, self.settings.station.county, data_dir, self.rc.signature_ok,
            lambda cid, body: self.api.command_result(self.settings.station.id, cid, body),
            handlers if handlers is not None else {}, clock=clock)
        self.sync.commands_received.connect(self.runner.receive)


def send(central: Central, station: str, kind: str = "screenshot", **body: object) -> dict:
    with central.staff_client() as c:
        r = c.post(f"/v1/stations/{station}/commands", json={"kind": kind, **body})
    assert r.status_code == 201, r.text
    return r.json()


def listed(central: Central, station: str) -> dict[str, dict]:
    with central.staff_client() as c:
        return {x["id"]: x for x in c.get(f"/v1/stations/{station}/commands").json()}


def delivered_to(central: Central, station: dict) -> list[dict]:
    """What a heartbeat answer hands `station` (drained: each command goes out once)."""
    with central.client(station["token"]) as c:
        return c.post(f"/v1/stations/{station['id']}/heartbeats", json={}).json()["commands"]


@pytest.fixture
def other_station(central: Central) -> dict:
    return next(s for s in central.seed["stations"]
                if s["county"] == central.station["county"] and s["id"] != central.station["id"])


def test_round_trip_logs_screenshot_resync_restart(central: Central, tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    handler = logbundle.install_file_log(log_dir)
    assert handler is not None
    restarted: list[bool] = []
    try:
        logging.getLogger("kiosk.test").info("an ordinary line before the command")
        # a line written without the filter (an older version, another handler): the bundle re-checks
        with (log_dir / logbundle.FILE).open("a", encoding="utf-8") as f:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + f" INFO old: card {ID_NUMBER}\n")
        k = Kiosk(central, tmp_path / "kiosk")
        k.runner.handlers.update({
            "upload_logs": logs_handler(log_dir), "screenshot": screenshot_handler(lambda: PNG),
            "resync": resync_handler(k.sync.full_resync), "restart": restart_handler(lambda: restarted.append(True)),
        })
        station = central.station["id"]
        made = [send(central, station, "upload_logs", hours=1), send(central, station, "screenshot"),
                send(central, station, "resync"), send(central, station, "restart")]
        k.sync.send_heartbeat()  # the commands arrive in its answer
        assert restarted == []  # nothing runs on the sync thread
        k.runner.step()
        assert restarted == [True]  # after its result was reported
        rows = listed(central, station)
        assert [rows[m["id"]]["state"] for m in made] == ["done"] * 4, [rows[m["id"]] for m in made]
        assert "masked again" in rows[made[0]["id"]]["result_detail"]
        assert rows[made[2]["id"]]["result_detail"].startswith("full resync: ")
        assert k.sync.store.count_jobs() > 0
        with central.staff_client() as c:
            logs = c.get(f"/v1/stations/{station}/commands/{made[0]['id']}/attachment")
            shot = c.get(f"/v1/stations/{station}/commands/{made[1]['id']}/attachment")
        text = gzip.decompress(logs.content).decode()
        assert "an ordinary line before the command" in text
        assert ID_NUMBER not in text and f"card {mask_text(ID_NUMBER)}" in text  # masked by the re-check
        assert shot.headers["content-type"] == "image/png" and shot.content == PNG
        assert k.runner.store.results() == []  # all reported
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_refused_cases_are_refused_and_reported(central: Central, tmp_path: Path, other_station: dict) -> None:
    station = central.station["id"]
    ran: list[str] = []
    k = Kiosk(central, tmp_path / "kiosk", handlers={"resync": lambda c: ran.append(c.id) or Outcome("done")})

    # another station's command (a copy that reached this kiosk): refused, reported as a note
    theirs = send(central, other_station["id"], "resync")
    doc = next(d for d in delivered_to(central, other_station) if d["command_id"] == theirs["id"])
    k.runner.receive([doc])
    # a bad signature: the args changed after signing
    mine = send(central, station, "upload_logs", hours=1)
    k.sync.send_heartbeat()
    # (delivered and checked: an upload_logs with no handler on this kiosk fails honestly)
    forged_src = send(central, station, "upload_logs", hours=1)
    forged = next(d for d in delivered_to(central, central.station) if d["command_id"] == forged_src["id"])
    k.runner.receive([{**forged, "args": {"hours": 72}}])
    # expired: a kiosk whose clock is an hour past the command's 30-minute expiry
    late_src = send(central, station, "resync")
    late_doc = next(d for d in delivered_to(central, central.station) if d["command_id"] == late_src["id"])
    k.runner.clock = lambda: time.time() + 3600
    k.runner.receive([late_doc])
    k.runner.clock = time.time
    # replayed: a command run once, then its document again — also after a restart of the kiosk
    once_src = send(central, station, "resync")
    once = next(d for d in delivered_to(central, central.station) if d["command_id"] == once_src["id"])
    k.runner.receive([once])
    k.runner.step()
    k.runner.receive([once])
    k.runner.step()
    restarted = Kiosk(central, tmp_path / "kiosk", handlers={"resync": lambda c: ran.append(c.id) or Outcome("done")})
    restarted.runner.receive([once])
    restarted.runner.step()

    assert ran == [once_src["id"]]  # nothing refused ever ran
    rows, theirs_rows = listed(central, station), listed(central, other_station["id"])
    assert rows[mine["id"]]["state"] == "failed" and "not available" in rows[mine["id"]]["result_detail"]
    assert (rows[forged_src["id"]]["state"], rows[forged_src["id"]]["result_detail"]) == (
        "refused", "bad signature: does not verify with the trusted county key")
    assert (rows[late_src["id"]]["state"], rows[late_src["id"]]["result_detail"]) == ("refused", "expired")
    assert rows[once_src["id"]]["state"] == "done"
    replays = [n["detail"] for n in rows[once_src["id"]]["notes"]]
    assert replays == ["replayed: this nonce was used before"] * 2
    other = theirs_rows[theirs["id"]]
    assert other["state"] == "sent"  # its own station's result is still to come
    assert other["notes"] == [{"at": other["notes"][0]["at"], "station_id": station, "status": "refused",
                               "detail": "the command is for another station"}]


def test_signed_by_another_key_and_malformed_documents(central: Central, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.remote_config import canonical_bytes

    k = Kiosk(central, tmp_path / "kiosk", handlers={"resync": lambda c: Outcome("done")})
    src = send(central, central.station["id"], "resync")
    doc = next(d for d in delivered_to(central, central.station) if d["command_id"] == src["id"])
    other = {k2: v for k2, v in doc.items() if k2 not in ("signature", "key_id")}
    other["signature"] = base64.b64encode(Ed25519PrivateKey.generate().sign(canonical_bytes(other))).decode()
    k.runner.receive([other, "not a document", {"type": "command"}, {**doc, "type": "config"}])
    k.runner.step()
    row = listed(central, central.station["id"])[src["id"]]
    assert row["state"] == "refused" and row["result_detail"].startswith("bad signature")
    # the genuine document is still good afterwards: a refusal does not use its nonce up
    notes = listed(central, central.station["id"])[src["id"]]["notes"]
    assert [n["detail"] for n in notes] == ["not a command document"]  # the later report
    k.runner.receive([doc])
    k.runner.step()
    # ...it runs, and as a result already came (the refusal), central keeps it as a note
    notes = listed(central, central.station["id"])[src["id"]]["notes"]
    assert [n["status"] for n in notes] == ["refused", "done"]


def test_deferred_command_waits_then_runs_and_results_wait_for_central(fresh_central: Central, tmp_path: Path) -> None:
    safe = {"now": False}

    def capture() -> bytes | None:
        return PNG if safe["now"] else None

    k = Kiosk(fresh_central, tmp_path / "kiosk", handlers={"screenshot": screenshot_handler(capture)})
    made = send(fresh_central, fresh_central.station["id"])
    k.sync.send_heartbeat()
    k.runner.step()
    assert listed(fresh_central, fresh_central.station["id"])[made["id"]]["state"] == "sent"  # waiting
    assert [c.id for c in k.runner.store.queued()] == [made["id"]]
    safe["now"] = True
    fresh_central.stop()  # central down: the result waits in commands.db
    k.runner.step()
    assert [cid for _, cid, _ in k.runner.store.results()] == [made["id"]]
    fresh_central.restart()
    k.api.base_url = fresh_central.base_url
    assert k.runner.flush() == 1
    row = listed(fresh_central, fresh_central.station["id"])[made["id"]]
    assert row["state"] == "done" and row["attachment_type"] == "image/png"


def test_deferred_past_expiry_fails(central: Central, tmp_path: Path) -> None:
    def never() -> bytes:
        raise Deferred

    now = {"t": time.time()}
    k = Kiosk(central, tmp_path / "kiosk", clock=lambda: now["t"],
              handlers={"screenshot": lambda c: never()})
    made = send(central, central.station["id"], ttl_minutes=1)
    k.sync.send_heartbeat()
    k.runner.step()
    now["t"] += 600
    k.runner.step()
    row = listed(central, central.station["id"])[made["id"]]
    assert (row["state"], row["result_detail"]) == ("failed", "expired before it could run")


def test_commands_db_holds_no_document_secrets(central: Central, tmp_path: Path) -> None:
    """What stays on disk: nonces, the queued command's kind/args, results — checked as JSON."""
    k = Kiosk(central, tmp_path / "kiosk", handlers={})
    send(central, central.station["id"], "resync")
    k.sync.send_heartbeat()
    queued = k.runner.store.queued()
    assert [c.kind for c in queued] == ["resync"]
    json.dumps([c.args for c in queued])
