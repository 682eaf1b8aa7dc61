"""The kiosk side of the statistics exactly-once test, run as a subprocess that the test
SIGKILLs. Records scripted visit events into a real StatsCounter (a simulated clock spreads
them over about a week of hours), appending each event's index to a ground-truth file only
after record() returned; a thread delivers the counts to central (whose URL may change when
it restarts) with the production StatsCounter.deliver and ApiClient.put_stats."""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
from pathlib import Path

from kiosk.api import ApiClient
from kiosk.settings import ApiSettings
from kiosk.stats import StatsCounter

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
SPACING_S = 137  # simulated seconds between events: 4,000 events ~ 6 days


def script(n: int) -> list[str]:
    """n events of scripted visits (deterministic)."""
    rng, events = random.Random(13), []
    while len(events) < n:
        visit = ["visit_started"]
        if rng.random() < 0.5:
            visit += ["card_read", "card_read_" + rng.choice(["resident", "resident", "foreign_2023"])]
        visit += ["job_viewed"] * rng.randint(0, 4)
        visit += [e for e, p in (("slip_printed", 0.4), ("phone_saved", 0.3), ("registration", 0.2),
                                 ("policy_viewed", 0.2), ("code_scanned", 0.2), ("english_on", 0.1))
                  if rng.random() < p]
        events += visit + ["visit_ended"]
    return events[:n]


def main() -> int:
    p = argparse.ArgumentParser()
    for name in ("data_dir", "url_file", "token", "station", "truth"):
        p.add_argument(name)
    p.add_argument("total", type=int)
    a = p.parse_args()
    events = script(a.total)
    truth = Path(a.truth)
    done = len(truth.read_text().split()) if truth.exists() else 0
    now = [T0 + done * SPACING_S]
    counter = StatsCounter(Path(a.data_dir) / "stats.db", clock=lambda: now[0], monotonic=lambda: now[0])
    finished = threading.Event()

    def deliver() -> None:
        client, url = None, ""
        while True:
            try:
                current = Path(a.url_file).read_text().strip()
                if current != url:
                    url = current
                    client = ApiClient(ApiSettings(base_url=url, token=a.token, connect_timeout_s=1,
                                                   read_timeout_s=3), retries=0)
                result = counter.deliver(lambda rows, c=client: c.put_stats(a.station, rows))
                if finished.is_set() and result["pending"] == 0:
                    os._exit(0)
            except Exception:  # central restarting: try again
                pass
            time.sleep(0.05)

    threading.Thread(target=deliver, daemon=True).start()
    with open(truth, "a") as log:
        for i in range(done, a.total):
            now[0] = T0 + i * SPACING_S
            counter.record(events[i])
            log.write(f"{i}\n")
            log.flush()
            os.fsync(log.fileno())
            time.sleep(0.001)
    finished.set()
    time.sleep(120)
    return 1  # not delivered within two minutes


if __name__ == "__main__":
    raise SystemExit(main())
