"""Travel-time matrices behind one interface: `provider(points) -> seconds[i][j]`, cached.

- `GeodesicProvider`: the geodesic distance on the WGS-84 ellipsoid (GeographicLib, the library geopy's
  `geodesic` calls, used directly: importing geopy loads its geocoders and requests, a quarter of a
  second the solver's deadline would pay) x a detour factor / an average speed (the default).
- `OSRMProvider`: durations from an OSRM server's table service (`OSRM_URL`, a routing engine the
  user runs); if it fails, the geodesic estimate is used for that day and a warning is logged.
"""

import json
import logging
import urllib.error
import urllib.request
from functools import lru_cache

from geographiclib.geodesic import Geodesic

DETOUR = 1.35  # city streets are longer than the straight line
SPEED_KMH = 22.0  # average urban driving speed, stops and lights included

log = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def _matrix(points, detour, speed_kmh):
    n = len(points)
    out = [[0] * n for _ in range(n)]
    inverse, distance = Geodesic.WGS84.Inverse, Geodesic.DISTANCE
    for i in range(n):
        for j in range(i + 1, n):
            (lat1, lng1), (lat2, lng2) = points[i], points[j]
            km = inverse(lat1, lng1, lat2, lng2, distance)["s12"] / 1000 * detour
            out[i][j] = out[j][i] = round(km / speed_kmh * 3600)
    return tuple(tuple(row) for row in out)


def geodesic_matrix(points, detour=DETOUR, speed_kmh=SPEED_KMH):
    """Travel seconds between every pair of (lat, lng) points."""
    return _matrix(tuple(tuple(p) for p in points), detour, speed_kmh)


class GeodesicProvider:
    def __init__(self, detour=DETOUR, speed_kmh=SPEED_KMH):
        self.detour, self.speed_kmh = detour, speed_kmh

    def __call__(self, points):
        return geodesic_matrix(points, self.detour, self.speed_kmh)


class OSRMProvider:
    """Durations from OSRM's `/table/v1/driving/` service; pairs it cannot route fall back to geodesic."""

    def __init__(self, url, timeout_s=10.0, fallback=None):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.fallback = fallback or GeodesicProvider()
        self._cached = lru_cache(maxsize=256)(self._table)

    def __call__(self, points):
        points = tuple(tuple(p) for p in points)
        try:
            return self._cached(points)
        except (OSError, ValueError, KeyError) as exc:  # network, HTTP, or a body that is not a table
            log.warning("OSRM table failed (%s); using geodesic estimates", exc)
            return self.fallback(points)

    def _table(self, points):
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        with urllib.request.urlopen(
            f"{self.url}/table/v1/driving/{coordinates}?annotations=duration", timeout=self.timeout_s
        ) as response:
            body = json.loads(response.read())
        if body.get("code") != "Ok":
            raise ValueError(f"OSRM answered {body.get('code')}: {body.get('message', '')}")
        estimate = self.fallback(points)
        return tuple(
            tuple(round(d) if d is not None else estimate[i][j] for j, d in enumerate(row))
            for i, row in enumerate(body["durations"])
        )


def provider_from_config(config):
    """OSRM when `OSRM_URL` is set, else geodesic with `ROUTING_DETOUR` and `ROUTING_SPEED_KMH`."""
    geodesic_provider = GeodesicProvider(
        float(config.get("ROUTING_DETOUR", DETOUR)), float(config.get("ROUTING_SPEED_KMH", SPEED_KMH))
    )
    if config.get("OSRM_URL"):
        return OSRMProvider(config["OSRM_URL"], fallback=geodesic_provider)
    return geodesic_provider
