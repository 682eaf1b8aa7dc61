"""Synthetic jobs for benchmarks and tests: deterministic, spread around a centre."""

from __future__ import annotations

import datetime as dt
import math
import random

from kiosk.models import CATEGORIES_ZH_EN, Job, JobStatus, PayUnit, Requirements, Settlement


def make_jobs(
    n: int,
    lat: float = 31.30,
    lng: float = 117.25,
    spread_km: float = 60.0,
    seed: int = 7,
    today: dt.date | None = None,
) -> list[Job]:
    """n jobs uniformly spread over a square of side 2*spread_km around (lat, lng)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    categories = list(CATEGORIES_ZH_EN)
    dlat = spread_km / 111.32
    dlng = spread_km / (111.32 * math.cos(math.radians(lat)))
    jobs = []
    for i in range(n):
        start = today + dt.timedelta(days=rng.randint(-3, 14))
        jobs.append(
            Job(
                id=f"syn-{i:06d}",
                title=f"临时工 {i}",
                category=rng.choice(categories),
                employer="合成数据有限公司",
                headcount=rng.randint(1, 20),
                pay_amount=float(rng.randint(15, 400)),
                pay_unit=rng.choice(list(PayUnit)),
                settlement=rng.choice(list(Settlement)),
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randint(0, 30)),
                daily_hours="08:00-17:00",
                address="合成路1号",
                lat=lat + rng.uniform(-dlat, dlat),
                lng=lng + rng.uniform(-dlng, dlng),
                contact="",
                requirements=Requirements(
                    age_min=rng.choice([None, 16, 18, 20]), age_max=rng.choice([None, 45, 55, 60])
                ),
                valid_through=today + dt.timedelta(days=rng.randint(-2, 30)),
                status=JobStatus.OPEN if rng.random() > 0.05 else JobStatus.CLOSED,
            )
        )
    return jobs
