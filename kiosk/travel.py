"""How long it takes to get from the station to a job: the kiosk's stated travel model.

Only the straight-line (haversine) distance d km is known; stations may be offline and have no
routing service. The model (the same constants are mirrored in central's matching):

- road distance = ROUTE_FACTOR × d (1.3: the usual detour of streets over a straight line);
- walking at WALK_KMH = 4.5 km/h: ``walk_minutes = ceil(1.3 × d / 4.5 × 60)``;
- cycling at CYCLE_KMH = 12 km/h, same factor;
- bus at BUS_KMH = 18 km/h on the same road distance, plus BUS_EXTRA_MIN = 10 minutes to walk
  to the stop and wait.

Minutes round up, so "within 15 minutes" never promises too much: a job is within m walking
minutes exactly when d ≤ walk_km(m) (15 minutes ≈ 0.865 km straight line).

>>> walk_minutes(0.5)
9
>>> walk_minutes(walk_km(15)), walk_minutes(walk_km(15) + 0.001)
(15, 16)
>>> round(walk_km(15), 3)
0.865
>>> cycle_minutes(2.0), bus_minutes(2.0)
(13, 19)
>>> walk_minutes(0.0), bus_minutes(0.0)
(0, 10)
"""

from __future__ import annotations

import math

ROUTE_FACTOR = 1.3  # road distance over straight-line distance
WALK_KMH = 4.5
CYCLE_KMH = 12.0
BUS_KMH = 18.0
BUS_EXTRA_MIN = 10  # walk to the stop and wait
WITHIN_MINUTES = 15  # the "15 分钟内" chip and the map's outer ring
# A float error must not push an exact boundary (walk_km(m)) over to the next minute.
_EPS = 1e-9


def _minutes(km: float, kmh: float) -> int:
    return max(0, math.ceil(ROUTE_FACTOR * km / kmh * 60 - _EPS))


def walk_minutes(km: float) -> int:
    """Minutes on foot for a straight-line distance of km."""
    return _minutes(km, WALK_KMH)


def cycle_minutes(km: float) -> int:
    """Minutes by bicycle (or e-bike kept to town speed)."""
    return _minutes(km, CYCLE_KMH)


def bus_minutes(km: float) -> int:
    """Minutes by bus, the walk to the stop and the wait included."""
    return _minutes(km, BUS_KMH) + BUS_EXTRA_MIN


def walk_km(minutes: float) -> float:
    """The straight-line distance walked in `minutes`: the radius of that walking ring."""
    return minutes / 60 * WALK_KMH / ROUTE_FACTOR
