"""Travel-time matrices: geodesic distance x detour factor / average speed, cached."""
from functools import lru_cache

from geopy.distance import geodesic

DETOUR = 1.35  # city streets are longer than the straight line
SPEED_KMH = 22.0  # average urban driving speed, stops and lights included


@lru_cache(maxsize=256)
def _matrix(points, detour, speed_kmh):
    n = len(points)
    out = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            km = geodesic(points[i], points[j]).km * detour
            out[i][j] = out[j][i] = round(km / speed_kmh * 3600)
    return tuple(tuple(row) for row in out)


def geodesic_matrix(points, detour=DETOUR, speed_kmh=SPEED_KMH):
    """Travel seconds between every pair of (lat, lng) points."""
    return _matrix(tuple(tuple(p) for p in points), detour, speed_kmh)
