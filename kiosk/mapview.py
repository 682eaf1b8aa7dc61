"""The map view's geometry, without a window: where the rings, the dots and the count badges go.

The kiosk draws its own map (no tile server: stations may be offline). The station is in the
middle, north is up, and the rings are 5, 10 and 15 minutes' walk (kiosk.travel). A job is
placed by an equirectangular projection around the station, which at a kilometre or two is
exact to well under a pixel. Jobs beyond the outer ring sit just outside it, one marker per
compass direction (eight), with an arrow (`edge`): a ring of twenty numbers reads as noise. Dots that would overlap (closer than a dot's width) merge into one
marker with a count; tapping it lists its jobs. A dot never hides under the station's mark.

Coordinates are pixels relative to the station, x east and y north (Kivy's y is up too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.geo import EARTH_RADIUS_KM
from kiosk.i18n import N_
from kiosk.travel import WITHIN_MINUTES, walk_km

RINGS_MIN = (5, 10, WITHIN_MINUTES)


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A job to place: where it is, how far (straight line) and whether it pays daily."""

    job_id: str
    lat: float
    lng: float
    km: float
    daily: bool


@dataclass(frozen=True, slots=True)
class Marker:
    """One thing drawn and tapped: a job, or several close together (`job_ids` in order)."""

    x: float
    y: float
    job_ids: tuple[str, ...]
    daily: bool  # every job here pays daily
    any_daily: bool  # at least one does
    edge: bool  # farther than the outer ring: drawn just outside it, on its bearing
    bearing: float  # degrees clockwise from north, as seen from the station

    @property
    def count(self) -> int:
        return len(self.job_ids)


def project(lat: float, lng: float, lat0: float, lng0: float) -> tuple[float, float]:
    """(east_km, north_km) of (lat, lng) from (lat0, lng0): equirectangular about lat0.

    >>> e, n = project(31.0 + 0.009, 117.0, 31.0, 117.0)
    >>> round(e, 6), round(n, 3)
    (0.0, 1.001)
    """
    east = math.radians(lng - lng0) * math.cos(math.radians(lat0)) * EARTH_RADIUS_KM
    north = math.radians(lat - lat0) * EARTH_RADIUS_KM
    return east, north


def bearing_of(x: float, y: float) -> float:
    """Degrees clockwise from north of the vector (x east, y north); 0 for the origin."""
    return math.degrees(math.atan2(x, y)) % 360.0


def ring_radii(radius_px: float, rings: tuple[int, ...] = RINGS_MIN) -> list[tuple[int, float]]:
    """(minutes, radius in px) of each ring, the last one `radius_px`.

    >>> [(m, round(r)) for m, r in ring_radii(300)]
    [(5, 100), (10, 200), (15, 300)]
    """
    outer = walk_km(rings[-1])
    return [(m, radius_px * walk_km(m) / outer) for m in rings]


def px_per_km(radius_px: float, rings: tuple[int, ...] = RINGS_MIN) -> float:
    return radius_px / walk_km(rings[-1])


def _on_circle(bearing: float, r: float) -> tuple[float, float]:
    b = math.radians(bearing)
    return r * math.sin(b), r * math.cos(b)


def _mean_bearing(bearings: list[float]) -> float:
    """Circular mean: 350° and 10° average to 0°, not 180°."""
    s = sum(math.sin(math.radians(b)) for b in bearings)
    c = sum(math.cos(math.radians(b)) for b in bearings)
    return bearing_of(s, c) if (s or c) else bearings[0]


@dataclass
class _Group:
    """Jobs drawn as one marker. Running sums keep its centre O(1): inside, the sum of the
    positions; on the edge, the sum of unit vectors (a circular mean of the bearings)."""

    points: list[MapPoint]
    edge: bool
    sx: float
    sy: float

    def centre(self, edge_px: float) -> tuple[float, float]:
        if self.edge:
            return _on_circle(bearing_of(self.sx, self.sy), edge_px)
        n = len(self.points)
        return self.sx / n, self.sy / n

    def absorb(self, other: _Group) -> None:
        self.points.extend(other.points)
        self.sx, self.sy = self.sx + other.sx, self.sy + other.sy


def layout(points: list[MapPoint], lat0: float, lng0: float, *, radius_px: float, dot_px: float,
           edge_px: float | None = None, station_px: float | None = None,
           rings: tuple[int, ...] = RINGS_MIN, edge_sectors: int = 8) -> list[Marker]:
    """The markers for `points` on a map whose outer ring has radius `radius_px`.

    dot_px: a dot's diameter (at least a touch target); markers closer than that merge.
    edge_px: where jobs beyond the outer ring sit (default just outside the ring), on their
    bearing rounded to one of `edge_sectors` compass directions (0: their own bearing).
    station_px: keep dots at least this far from the centre (default one dot's width), so
    the station's mark stays visible and a job next door is still its own target.
    Markers come nearest first; a merged marker lists its jobs nearest first.
    """
    scale = px_per_km(radius_px, rings)
    outer_km = walk_km(rings[-1])
    edge_px = radius_px + dot_px * 0.75 if edge_px is None else edge_px
    station_px = dot_px if station_px is None else station_px
    groups: list[_Group] = []
    for p in sorted(points, key=lambda p: (p.km, p.job_id)):
        east, north = project(p.lat, p.lng, lat0, lng0)
        x, y = east * scale, north * scale
        r = math.hypot(x, y)
        edge = p.km > outer_km or r > radius_px
        if edge:
            b = bearing_of(x, y)
            if edge_sectors:
                step = 360 / edge_sectors
                b = (round(b / step) * step) % 360
            x, y = _on_circle(b, edge_px)
        elif r < station_px:  # next door: out to the station mark's rim, on its own bearing
            x, y = _on_circle(bearing_of(x, y) if r > 0 else 45.0, station_px)
        r = math.hypot(x, y) or 1.0
        groups.append(_Group([p], edge, x / r, y / r) if edge else _Group([p], edge, x, y))
    groups = _merge(groups, dot_px, edge_px)
    markers = []
    for g in groups:
        x, y = g.centre(edge_px)
        if not g.edge and math.hypot(x, y) < station_px:  # a merged centre may fall back inwards
            x, y = _on_circle(bearing_of(x, y) if (x or y) else 45.0, station_px)
        pts = sorted(g.points, key=lambda p: (p.km, p.job_id))
        markers.append(Marker(x, y, tuple(p.job_id for p in pts), all(p.daily for p in pts),
                              any(p.daily for p in pts), g.edge, bearing_of(x, y)))
    return markers


def _merge(groups: list[_Group], dot_px: float, edge_px: float) -> list[_Group]:
    """Merge groups whose centres are closer than dot_px (inside ones with inside ones, edge
    ones with edge ones) until none are. Each pass files the groups in a grid of dot_px
    cells, so a group is compared with its neighbours only: O(n) a pass, a few passes.
    Comparing all pairs again after each merge took 0.2-0.5 s for 200 jobs in the circle, too
    slow for a tap; this is about 200 times faster (bench/bench_mapview.py). A pass that
    merges nothing has compared every close pair, so no two markers overlap."""
    while True:
        cells: dict[tuple[bool, int, int], list[_Group]] = {}
        kept: list[_Group] = []
        merged = False
        for g in groups:  # nearest first: a group joins the nearer one it overlaps
            x, y = g.centre(edge_px)
            cx, cy = math.floor(x / dot_px), math.floor(y / dot_px)
            into = None
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for h in cells.get((g.edge, cx + dx, cy + dy), ()):
                        hx, hy = h.centre(edge_px)
                        if math.hypot(hx - x, hy - y) < dot_px:
                            into = h
                            break
                    if into is not None:
                        break
                if into is not None:
                    break
            if into is None:
                cells.setdefault((g.edge, cx, cy), []).append(g)
                kept.append(g)
            else:
                into.absorb(g)
                merged = True
        groups = kept
        if not merged:
            return groups


def outer_ring_m(rings: tuple[int, ...] = RINGS_MIN) -> int:
    """The outer ring's radius in metres, to the nearest 10: the scale printed under the map.

    >>> outer_ring_m()
    870
    """
    return int(round(walk_km(rings[-1]) * 1000, -1))


Box = tuple[float, float, float, float]  # x, y (lower left), width, height: px from the station
# Where a ring's minute label may go, in order of preference: first between the eight compass
# directions (where the farther jobs' edge markers are not), then every 10 degrees.
LABEL_BEARINGS: tuple[float, ...] = (22.5, 337.5, 67.5, 292.5, 112.5, 247.5,
                                     *(float(b) for b in range(0, 360, 10)))


def _box_gap(box: Box, x: float, y: float) -> float:
    """Distance from (x, y) to the nearest point of box (0 inside it)."""
    bx, by, w, h = box
    return math.hypot(max(bx - x, 0.0, x - bx - w), max(by - y, 0.0, y - by - h))


def _boxes_gap(a: Box, b: Box) -> float:
    """Distance between two boxes (0 when they touch or overlap)."""
    return math.hypot(max(b[0] - a[0] - a[2], 0.0, a[0] - b[0] - b[2]),
                      max(b[1] - a[1] - a[3], 0.0, a[1] - b[1] - b[3]))


def _marker_gap(box: Box, m: Marker, dot_px: float) -> float:
    """Room between box and a marker as screens/jobs_map.py draws it: one day-paid job is a
    square, anything else a disc; an edge marker's arrow reaches 0.28 of a dot further."""
    square = m.daily and m.count == 1
    if square and not m.edge:
        return _boxes_gap(box, (m.x - dot_px / 2, m.y - dot_px / 2, dot_px, dot_px))
    reach = dot_px * ((0.5 * math.sqrt(2) if square else 0.5) + (0.28 if m.edge else 0.0))
    return _box_gap(box, m.x, m.y) - reach


def ring_labels(markers: list[Marker], rings: list[tuple[float, float, float]], dot_px: float, *,
                keep_out: tuple[Box, ...] = (), margin: float = 0.0,
                candidates: tuple[float, ...] = LABEL_BEARINGS) -> list[float]:
    """A bearing for each ring's minute label, so that no dot sits on it.

    rings: (radius, label width, label height) in px, inner first; a label is centred on its
    ring at its bearing. A place is clear when the label's box is more than `margin` from
    every marker (as drawn: a disc or a day-paid square of dot_px, an edge marker's arrow)
    and off the labels placed before it and `keep_out` (the station's mark, "You are here").
    All labels take the first of `candidates` clear on every ring, so they line up; if none
    is, each ring takes its own first clear one, or (a map full of dots) the one with the
    most room that covers no label.

    >>> ring_labels([], [(100, 60, 20), (200, 60, 20)], 48)
    [22.5, 22.5]
    >>> on_it = Marker(100 * math.sin(math.radians(22.5)), 100 * math.cos(math.radians(22.5)),
    ...                ("a",), False, False, False, 22.5)
    >>> ring_labels([on_it], [(100, 60, 20), (200, 60, 20)], 48)
    [337.5, 337.5]
    """
    def box_at(b: float, r: float, w: float, h: float) -> Box:
        x, y = _on_circle(b, r)
        return (x - w / 2, y - h / 2, w, h)

    # only the markers near a ring can touch its label
    near = [[m for m in markers if abs(math.hypot(m.x, m.y) - r) < dot_px + math.hypot(w, h) / 2]
            for r, w, h in rings]

    def fit(i: int, b: float, placed: list[Box]) -> tuple[bool, float]:
        """(off the other labels and keep_out, room to the nearest marker) of ring i's label at b."""
        box = box_at(b, *rings[i])
        return (all(_boxes_gap(box, o) > 0 for o in (*keep_out, *placed)),
                min((_marker_gap(box, m, dot_px) for m in near[i]), default=math.inf))

    for b in candidates:  # in line, if one bearing is clear on every ring
        placed: list[Box] = []
        for i in range(len(rings)):
            apart, room = fit(i, b, placed)
            if not (apart and room > margin):
                break
            placed.append(box_at(b, *rings[i]))
        else:
            return [b] * len(rings)
    placed, out = [], []
    for i in range(len(rings)):  # else each ring on its own
        best, best_fit = candidates[0], (False, -math.inf)
        for b in candidates:
            apart, room = fit(i, b, placed)
            if apart and room > margin:
                best = b
                break
            if (apart, room) > best_fit:  # crowded: never over another label, else most room
                best, best_fit = b, (apart, room)
        placed.append(box_at(best, *rings[i]))
        out.append(best)
    return out


COMPASS = (N_("north"), N_("north-east"), N_("east"), N_("south-east"),
           N_("south"), N_("south-west"), N_("west"), N_("north-west"))


def compass(bearing: float) -> str:
    """The msgid of the nearest of the eight compass directions.

    >>> compass(0), compass(100), compass(337.6)
    ('north', 'east', 'north')
    """
    return COMPASS[round(bearing % 360 / 45) % 8]


def direction_of(points: list[MapPoint], lat0: float, lng0: float) -> str:
    """The compass direction (msgid) in which `points` lie, on average, from the station."""
    east = north = 0.0
    for p in points:
        e, n = project(p.lat, p.lng, lat0, lng0)
        d = math.hypot(e, n) or 1.0
        east, north = east + e / d, north + n / d
    return compass(bearing_of(east, north))
