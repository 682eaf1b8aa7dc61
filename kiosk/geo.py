"""Great-circle distance and bounding boxes: one definition for search, receipts and screens."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) that contains every point within radius_km."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(lat))
    # Near the poles the longitude span blows up; clamp to the whole circle.
    dlng = 180.0 if cos_lat < 1e-6 else min(180.0, math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng
