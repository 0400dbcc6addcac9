"""Addresses to coordinates through geopy, for import rows without them.

`GEOCODER=nominatim` with `GEOCODER_URL` (a self-hosted Nominatim, e.g. http://127.0.0.1:8080) turns
it on; anything else leaves rows without coordinates as they are. Calls are rate limited with geopy's
RateLimiter (`GEOCODER_MIN_DELAY_S`, 1 s by default as Nominatim's policy asks) and cached per address.
"""
from functools import lru_cache
from urllib.parse import urlparse

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim


class Geocoder:
    def __init__(self, url, min_delay_s=1.0, timeout_s=10):
        parts = urlparse(url)
        self._client = Nominatim(domain=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme or "https",
                                 user_agent="fieldday-import", timeout=timeout_s)
        self._geocode = RateLimiter(self._client.geocode, min_delay_seconds=min_delay_s, max_retries=1,
                                    swallow_exceptions=False)
        self.lookup = lru_cache(maxsize=10_000)(self._lookup)

    def _lookup(self, address):
        """(lat, lng) or raise LookupError with why."""
        try:
            found = self._geocode(address)
        except GeopyError as exc:
            raise LookupError(f"geocoder failed: {exc.__class__.__name__}") from exc
        if found is None:
            raise LookupError("address not found")
        return round(found.latitude, 6), round(found.longitude, 6)


def from_config(config):
    """The configured geocoder, or None."""
    if (config.get("GEOCODER") or "").lower() != "nominatim" or not config.get("GEOCODER_URL"):
        return None
    return Geocoder(config["GEOCODER_URL"], float(config.get("GEOCODER_MIN_DELAY_S", 1.0)))
