"""The kiosk side of the chaos test, run as a subprocess that the test SIGKILLs.

Submits applications to the outbox (printing "ACK <marker> <reference>" only after submit()
returned, i.e. when a seeker would be told "received") while a real SyncWorker flushes them.
Markers go in the (fictional) seeker name so the test can count them on the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sync_helpers import fake_phone, make_outbox, numbered_id_number

from kiosk.api import ApiClient
from kiosk.remote_config import RemoteConfig
from kiosk.settings import from_dict
from kiosk.store import Store
from kiosk.sync import SyncWorker


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("data_dir", "base_url", "token", "station", "job", "tag"):
        p.add_argument(name)
    p.add_argument("start", type=int)
    p.add_argument("count", type=int)
    a = p.parse_args()
    settings = from_dict({
        "station": {"id": a.station},
        "api": {"base_url": a.base_url, "token": a.token, "connect_timeout_s": 1, "read_timeout_s": 2},
        "storage": {"data_dir": a.data_dir},
    })
    data_dir = Path(a.data_dir)
    outbox = make_outbox(data_dir)
    api = ApiClient(settings.api, retries=2, backoff_s=0.05, backoff_cap_s=0.3)
    worker = SyncWorker(settings, Store(data_dir / "cache.db"), outbox, api,
                        RemoteConfig(settings, data_dir), device_health=dict)
    worker.backoff_base_s = 0.2
    worker.start()
    rng = random.Random()
    for i in range(a.start, a.start + a.count):
        entry = outbox.submit(job_id=a.job, station_id=a.station, id_number=numbered_id_number(int(a.tag.lstrip('r')) * 10_000 + i),
                              name=f"测试{a.tag}x{i}", phone=fake_phone(rng),
                              consent_version="v1", consent_at=dt.datetime.now(dt.UTC))
        print(f"ACK {a.tag}x{i} {entry.reference}", flush=True)
        worker.wake()
        time.sleep(rng.uniform(0.005, 0.04))  # a busy station, so kills land mid-delivery too
    while outbox.pending():
        worker.wake()
        time.sleep(0.05)
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
