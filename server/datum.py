"""Datums of positions in China: WGS-84 (what Fieldday stores), GCJ-02 and BD-09.

The rule: every position Fieldday stores is WGS-84 (GPS, the phone's geolocation, 天地图). A point
in GCJ-02 (高德, 腾讯, Apple Maps in mainland China) or BD-09 (百度) is converted here when it
comes in (an import) and a stored point is converted by the phone's `pwa/js/datum.js` when it goes
out (a navigation link); nothing else converts. Both modules use the same formulas and the same
"in China" rectangle, and agree within 0.5 m (tests/pwa/test_datum.py).

The forward formulas and the inverse come from `prcoords` (CC0, pinned in pyproject.toml). This module
adds the "in China" decision (the rectangle gcoord uses too, so the phone and the server agree; outside
it every conversion is the identity, without prcoords' warning) and one (longitude, latitude) order.
The GCJ-02 inverse is iterative (prcoords' gcj_wgs_bored: a fixed point of the forward transform,
at most 10 steps, centimetre-exact) rather than the one-step approximation (up to 4.7 m off).
Points are (longitude, latitude) tuples in degrees, as GeoJSON and gcoord order them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import prcoords

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
DATUMS = (WGS84, GCJ02, BD09)

# The rough rectangle around China that gcoord (pwa/vendor/gcoord) and prcoords use: outside it,
# GCJ-02 and BD-09 are taken to be WGS-84. Hong Kong, Macau and Taiwan are inside, as in both.
CHINA_LNG = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

Point = tuple[float, float]


def in_china(lng: float, lat: float) -> bool:
    return CHINA_LNG[0] <= lng <= CHINA_LNG[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]


def _checked(lng: float, lat: float) -> Point:
    lng, lat = float(lng), float(lat)
    if not (math.isfinite(lng) and math.isfinite(lat)) or not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError(f"not a position: {lng}, {lat}")
    return lng, lat


def _via(function: Callable[..., prcoords.Coords], lng: float, lat: float) -> Point:
    """prcoords works on (lat, lon) and warns outside China; this module decides China first."""
    lng, lat = _checked(lng, lat)
    if not in_china(lng, lat):
        return lng, lat
    out = function(prcoords.Coords(lat, lng), False)
    return out.lon, out.lat


def wgs84_to_gcj02(lng: float, lat: float) -> Point:
    return _via(prcoords.wgs_gcj, lng, lat)


def gcj02_to_wgs84(lng: float, lat: float) -> Point:
    """Iterative inverse: the result maps back onto the given point within millimetres."""
    return _via(prcoords.gcj_wgs_bored, lng, lat)


def gcj02_to_bd09(lng: float, lat: float) -> Point:
    return _via(prcoords.gcj_bd, lng, lat)


def bd09_to_gcj02(lng: float, lat: float) -> Point:
    return _via(prcoords.bd_gcj_bored, lng, lat)


def wgs84_to_bd09(lng: float, lat: float) -> Point:
    return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))


def bd09_to_wgs84(lng: float, lat: float) -> Point:
    return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))


_TO_WGS84 = {WGS84: _checked, GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}
_FROM_WGS84 = {WGS84: _checked, GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def normalise(datum: str | None) -> str:
    """A datum's name as a file or a form may spell it (WGS-84, gcj-02, bd09ll...), else ValueError."""
    key = "".join(c for c in str(datum or WGS84).lower() if c.isalnum())
    key = {"gps": WGS84, "gcj": GCJ02, "gcj02ll": GCJ02, "bd": BD09, "bd09ll": BD09}.get(key, key)
    if key not in DATUMS:
        raise ValueError(f"unknown datum {datum!r}: one of {', '.join(DATUMS)}")
    return key


def to_wgs84(lng: float, lat: float, datum: str) -> Point:
    return _TO_WGS84[normalise(datum)](lng, lat)


def from_wgs84(lng: float, lat: float, datum: str) -> Point:
    return _FROM_WGS84[normalise(datum)](lng, lat)


def distance_m(a: Point, b: Point) -> float:
    """Metres between two (lng, lat) points (haversine, mean Earth radius): for checking conversions."""
    (lng1, lat1), (lng2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))
