"""Addresses to WGS-84 positions, and positions to addresses, for imports and new prospects.

The provider is server configuration (README, settings): `GEOCODER` is `nominatim` (a self-hosted
Nominatim at `GEOCODER_URL`), `amap` (高德's web service `v3/geocode/geo`, `GEOCODER_KEY`) or `baidu`
(百度 through geopy's BaiduV3, `GEOCODER_KEY`); anything else turns geocoding off. `GEOCODER_URL`
points 高德 and 百度 elsewhere than their public hosts (a proxy, or a test's fake server).

- Datums: 高德 answers GCJ-02 and 百度 BD-09; both are converted to WGS-84 by server/datum.py (the
  one place that converts) before anything is stored. Nominatim answers WGS-84. Reverse geocoding
  converts the stored WGS-84 point to the provider's datum first.
- Rate: every request goes through geopy's RateLimiter (`GEOCODER_MIN_DELAY_S`, 1 s by default as
  Nominatim's policy asks); 高德 takes up to 10 addresses per request (`batch=true`, joined by `|`).
  A timeout or an unreachable server is retried once; a refused key or a used-up daily quota is not,
  and stops the geocoder asking for the rest of its life (one import): each later row is told why.
- Cache: found addresses are kept in `geocode_cache` by (provider, normalised address, city) with
  the raw coordinate, its datum and the WGS-84 point, so a second import of the same addresses asks
  the provider nothing. An address the provider answered it does not know is kept too (without a
  coordinate) for `GEOCODER_NOT_FOUND_DAYS` (30 by default; 0 keeps none), so re-importing a file
  with a few unknown addresses does not spend the quota on them again; after that the provider is
  asked again (it may know the address by then) and the entry is replaced by its new answer. A
  refusal (key, quota, too fast) or a failure (timeout, no answer) is never kept. New entries are
  written by `save()` on a connection of their own once the caller's transaction is over (an
  import's dry run or refused file rolls back its rows, never what the provider answered);
  `import_file` calls it, and `prefetch` too before the import writes anything.

The interface the importers use is `from_config(config)` -> a Geocoder or None, and
`Geocoder.lookup(address, city=None)` -> (latitude, longitude) in WGS-84 or GeocodeError (a
LookupError) with the reason, as a code (`.code`, one of messages.GEO_REASONS) and in English;
`prefetch(addresses)`, `save()` and `reverse(lat, lng)` are optional extras.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode, urlparse

from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BaiduV3, Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location
from sqlalchemy import select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..datum import BD09, GCJ02, WGS84, from_wgs84, to_wgs84
from ..extensions import db
from ..messages import geo_reason
from ..models import GeocodeCache

log = logging.getLogger(__name__)

PROVIDERS = ("nominatim", "amap", "baidu")
# The reasons after which the provider is not asked again by this geocoder (see `Geocoder._fail`).
STOPPING = ("quota", "key_refused")


class GeocodeError(LookupError):
    """Why an address (or a position) was not geocoded: `code` is its reason's code (messages.GEO_REASONS:
    not_found, quota, key_refused, rate_limited, timed_out, unavailable, failed, no_address), the text
    its English words. Callers decide by the code, never by the words."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code

    def again(self):
        return GeocodeError(self.code, str(self))


AMAP_BATCH = 10  # addresses per v3/geocode/geo request, as 高德 documents
USER_AGENT = "fieldday-import"


class _Limiter(RateLimiter):
    """geopy's RateLimiter, retrying only what may pass on its own (a timeout, a server unreachable):
    a refused key or a used-up quota answers the same on the second try and spends another request."""

    _retry_exceptions = (GeocoderTimedOut, GeocoderUnavailable)


def _limited(function, min_delay_s):
    return _Limiter(
        function,
        min_delay_seconds=min_delay_s,
        max_retries=1,
        error_wait_seconds=max(5.0, min_delay_s),
        swallow_exceptions=False,
    )


def normalise_address(address):
    """The cache's key for an address: full-width forms folded (NFKC), case folded, runs of spaces made
    one, and no space beside a Chinese character ("上海市 徐汇区" is "上海市徐汇区")."""
    text = unicodedata.normalize("NFKC", str(address or "")).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ?([\u3000-\u9fff\uf900-\ufaff]) ?", r"\1", text)


def _endpoint(url, default_host):
    """(scheme, host + path prefix) from GEOCODER_URL, else the provider's public https host."""
    if not url:
        return "https", default_host
    parts = urlparse(url if "//" in url else f"//{url}")
    return parts.scheme or "https", parts.netloc + parts.path.rstrip("/")


class AMap(GeopyGeocoder):
    """高德's web service geocoder (`v3/geocode/geo`, batches of up to 10) and reverse geocoder
    (`v3/geocode/regeo`), on geopy's base class (its HTTP adapter, timeouts and error types).
    Answers are GCJ-02 "lng,lat" strings; this class returns them as they are."""

    geocode_path = "/v3/geocode/geo"
    reverse_path = "/v3/geocode/regeo"
    # infocode -> geopy error, by 高德's error code table (lbs.amap.com/api/webservice/guide/tools/info;
    # `status` is "0" on any of them, `info` the code's name). Any other code is a plain service error.
    QUOTA = {
        "10003",  # DAILY_QUERY_OVER_LIMIT: the key's daily quota, back at 0:00
        "10029",  # ABROAD_DAILY_QUERY_OVER_LIMIT
        "10044",  # USER_DAILY_QUERY_OVER_LIMIT: the account's daily quota
        "10045",  # USER_ABROAD_DAILY_QUERY_OVER_LIMIT
        "40000",  # QUOTA_PLAN_RUN_OUT: a bought plan used up
        "40003",  # ABROAD_QUOTA_PLAN_RUN_OUT
    }
    TOO_FAST = {
        "10004",  # ACCESS_TOO_FREQUENT (per minute)
        "10014",  # QPS_HAS_EXCEEDED_THE_LIMIT
        "10015",  # GATEWAY_TIMEOUT: a single machine's QPS limit
        "10019",  # CQPS_HAS_EXCEEDED_THE_LIMIT
        "10020",  # CKQPS_HAS_EXCEEDED_THE_LIMIT
        "10021",  # CUQPS_HAS_EXCEEDED_THE_LIMIT
    }
    KEY = {
        "10001",  # INVALID_USER_KEY
        "10002",  # SERVICE_NOT_AVAILABLE: the key may not use this service
        "10005",  # INVALID_USER_IP: the server's address is not on the key's whitelist
        "10006",  # INVALID_USER_DOMAIN
        "10007",  # INVALID_USER_SIGNATURE
        "10008",  # INVALID_USER_SCODE
        "10009",  # USERKEY_PLAT_NOMATCH: not a "Web服务" key
        "10010",  # IP_QUERY_OVER_LIMIT: this address is blocked until a ticket lifts it
        "10012",  # INSUFFICIENT_PRIVILEGES
        "10013",  # USER_KEY_RECYCLED: the key was deleted
        "10026",  # INVALID_REQUEST: the account is banned
        "10041",  # NO_EFFECTIVE_INTERFACE: the service's permission expired
        "40002",  # SERVICE_EXPIRED
    }
    BUSY = {"10016", "10017"}  # SERVER_IS_BUSY, RESOURCE_UNAVAILABLE: may pass on its own (retried)

    def __init__(self, api_key, *, domain="restapi.amap.com", scheme="https", timeout=DEFAULT_SENTINEL):
        super().__init__(scheme=scheme, timeout=timeout, user_agent=USER_AGENT)
        self.api_key = api_key
        self.api = f"{self.scheme}://{domain}{self.geocode_path}"
        self.reverse_api = f"{self.scheme}://{domain}{self.reverse_path}"

    def geocode_batch(self, addresses, city=None, *, timeout=DEFAULT_SENTINEL):
        """[Location or None] for up to 10 addresses, in their order."""
        addresses = list(addresses)
        if not 1 <= len(addresses) <= AMAP_BATCH:
            raise ValueError(f"1 to {AMAP_BATCH} addresses per request")
        params = {"key": self.api_key, "address": "|".join(addresses), "output": "JSON"}
        if len(addresses) > 1:
            params["batch"] = "true"
        if city:
            params["city"] = city
        url = f"{self.api}?{urlencode(params)}"
        return self._call_geocoder(url, partial(self._parse_geocodes, count=len(addresses)), timeout=timeout)

    def geocode(self, query, *, city=None, exactly_one=True, timeout=DEFAULT_SENTINEL):
        found = self.geocode_batch([query], city, timeout=timeout)[0]
        return found if exactly_one or found is None else [found]

    def reverse(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        """The address at a GCJ-02 (lat, lng)."""
        lat, lng = (float(v) for v in self._coerce_point_to_string(query).split(","))
        params = {"key": self.api_key, "location": f"{lng:.6f},{lat:.6f}", "output": "JSON"}
        url = f"{self.reverse_api}?{urlencode(params)}"
        return self._call_geocoder(url, partial(self._parse_regeo, point=(lat, lng)), timeout=timeout)

    def _check(self, page):
        if not isinstance(page, dict):
            raise GeocoderServiceError("高德: not a JSON object")
        if str(page.get("status")) == "1":
            return
        code, info = str(page.get("infocode", "")), page.get("info", "")
        if code in self.QUOTA:
            raise GeocoderQuotaExceeded(f"{info} ({code})")
        if code in self.TOO_FAST:
            raise GeocoderRateLimited(f"{info} ({code})")
        if code in self.KEY:
            raise GeocoderAuthenticationFailure(f"{info} ({code})")
        if code in self.BUSY:
            raise GeocoderUnavailable(f"{info} ({code})")
        raise GeocoderServiceError(f"{info} ({code})")

    def _parse_geocodes(self, page, count):
        self._check(page)
        geocodes = page.get("geocodes") or []
        if geocodes and len(geocodes) != count:
            # One answer per address is what a batch gives (an unknown one as an entry without a
            # location); anything else cannot be matched to the addresses and is not guessed at.
            raise GeocoderServiceError(f"高德: {len(geocodes)} answers for {count} addresses")
        out = [self._location(g) for g in geocodes]
        return out + [None] * (count - len(out))

    @staticmethod
    def _location(place):
        text = place.get("location") if isinstance(place, dict) else None
        if not text or not isinstance(text, str) or "," not in text:
            return None
        lng, lat = (float(v) for v in text.split(",")[:2])
        address = place.get("formatted_address")
        return Location(address if isinstance(address, str) else "", (lat, lng), place)

    def _parse_regeo(self, page, point):
        self._check(page)
        address = (page.get("regeocode") or {}).get("formatted_address")
        # 高德 gives [] rather than a string where it knows no address (at sea, abroad).
        if not address or not isinstance(address, str):
            return None
        return Location(address, point, page["regeocode"])


class _Baidu(BaiduV3):
    """geopy's BaiduV3 pointed at GEOCODER_URL when given, reading 百度's status codes as its table
    defines them (lbsyun.baidu.com webapi/appendix) rather than as geopy does (status 5, "ak不存在或者
    非法", is a refused key, not a bad query; 401 and 402 are too many requests at once, not a used-up
    quota), with the provider's own words in the error. "No such address" is status 1 (otherwise
    "服务器内部错误") with msg "Internal Service Error:无相关结果": read as not found, not as an error."""

    QUOTA = {4, 301, 302}  # Quota Failure, 永久配额超限, 天配额超限
    TOO_FAST = {401, 402}  # 当前并发量已经超过约定并发配额
    KEY = {3, 5, 9, 101, 102}  # Verify Failure, AK Failure, Permission Denied, AK参数不存在, MCODE; and 2xx
    BAD_QUERY = {2, 8}  # Parameter Invalid, Parse Proto Failure
    NOT_FOUND = "无相关结果"

    def __init__(self, api_key, *, domain=None, scheme="https", timeout=DEFAULT_SENTINEL):
        super().__init__(api_key, scheme=scheme, timeout=timeout, user_agent=USER_AGENT)
        if domain:
            self.api = f"{self.scheme}://{domain}{self.api_path}"
            self.reverse_api = f"{self.scheme}://{domain}{self.reverse_path}"

    def _answered(self, page):
        """True when the page carries an answer, False for "no such address"; else the error raised."""
        if not isinstance(page, dict):
            raise GeocoderServiceError("百度: not a JSON object")
        try:
            status = int(page.get("status"))
        except (TypeError, ValueError):
            raise GeocoderServiceError("百度: no status") from None
        if status == 0:
            return True
        words = str(page.get("message") or page.get("msg") or "").strip()
        if status == 1 and self.NOT_FOUND in words:
            return False
        detail = f"{words} ({status})" if words else f"status {status}"
        if status in self.QUOTA:
            raise GeocoderQuotaExceeded(detail)
        if status in self.TOO_FAST:
            raise GeocoderRateLimited(detail)
        if status in self.KEY or 200 <= status < 300:
            raise GeocoderAuthenticationFailure(detail)
        if status in self.BAD_QUERY:
            raise GeocoderQueryError(detail)
        raise GeocoderServiceError(detail)

    def _parse_json(self, page, exactly_one=True):
        return super()._parse_json(page, exactly_one) if self._answered(page) else None

    def _parse_reverse_json(self, page, exactly_one=True):
        return super()._parse_reverse_json(page, exactly_one) if self._answered(page) else None


# provider -> (datum of its answers, its name in messages)
DATUM = {"nominatim": WGS84, "amap": GCJ02, "baidu": BD09}
NAME = {"nominatim": "Nominatim", "amap": "高德 (AMap)", "baidu": "百度 (Baidu)"}


class Geocoder:
    """One provider with its rate limit, its cache and its memory of a fatal refusal."""

    def __init__(self, provider="nominatim", url="", key="", min_delay_s=1.0, timeout_s=10, city="", not_found_days=30):
        if provider not in PROVIDERS:
            raise ValueError(f"unknown geocoder {provider!r}: one of {', '.join(PROVIDERS)}")
        self.provider, self.datum, self.city = provider, DATUM[provider], city or ""
        self.not_found_days = max(0, int(not_found_days))
        if provider == "nominatim":
            scheme, domain = _endpoint(url, "nominatim.openstreetmap.org")
            self._client = Nominatim(domain=domain, scheme=scheme, user_agent=USER_AGENT, timeout=timeout_s)
        elif provider == "amap":
            scheme, domain = _endpoint(url, "restapi.amap.com")
            self._client = AMap(key, domain=domain, scheme=scheme, timeout=timeout_s)
            self._batch = _limited(self._client.geocode_batch, min_delay_s)
        else:
            scheme, domain = _endpoint(url, "api.map.baidu.com")
            self._client = _Baidu(key, domain=domain, scheme=scheme, timeout=timeout_s)
        self._geocode = _limited(self._client.geocode, min_delay_s)
        self._reverse = _limited(self._client.reverse, min_delay_s)
        self._known = {}  # (address, city) -> (lat, lng) or None (not found), this geocoder's life
        self._pending = {}  # (address, city) -> row values not yet in geocode_cache
        self._stopped = None  # why the provider is not asked any more (key refused, quota used up)

    # The reasons a row is told (in "Not geocoded (...)"): English, with the provider's own words;
    # server/messages.py reads each back as a code for the client's language.
    def _reason(self, exc):
        """(code, English reason) for a provider's error; see messages.GEO_REASONS."""
        name = NAME[self.provider]
        if isinstance(exc, GeocoderRateLimited):
            code = "rate_limited"
        elif isinstance(exc, GeocoderQuotaExceeded):
            code = "quota"
        elif isinstance(exc, GeocoderAuthenticationFailure):
            code = "key_refused"
        elif isinstance(exc, GeocoderTimedOut):
            return "timed_out", geo_reason("timed_out")
        elif isinstance(exc, GeocoderUnavailable):
            return "unavailable", geo_reason("unavailable")
        else:  # the error's class only: geopy's text may hold the request's URL, key and all
            return "failed", geo_reason("failed", detail=exc.__class__.__name__)
        return code, geo_reason(code, provider=name, detail=exc)

    def _fail(self, exc):
        code, reason = self._reason(exc)
        if code in STOPPING:
            self._stopped = GeocodeError(code, reason)
        raise GeocodeError(code, reason) from exc

    def _key(self, address, city):
        return normalise_address(address), (city if city is not None else self.city) or ""

    def lookup(self, address, city=None):
        """(latitude, longitude) in WGS-84 for an address, or GeocodeError saying why not."""
        key = self._key(address, city)
        if not key[0]:
            raise GeocodeError("no_address", geo_reason("no_address"))
        if key not in self._known:
            self._load_cached([key])
        if key not in self._known:
            if self._stopped:
                raise self._stopped.again()
            try:
                if self.provider == "amap":
                    found = self._batch([str(address).strip()], key[1] or None)[0]
                elif self.provider == "nominatim" and key[1]:
                    found = self._geocode(f"{address}, {key[1]}")
                else:
                    found = self._geocode(str(address).strip())
            except GeopyError as exc:
                self._fail(exc)
            self._remember(key, found)
        point = self._known[key]
        if point is None:
            raise GeocodeError("not_found", geo_reason("not_found"))
        return point

    def prefetch(self, addresses, city=None):
        """Answer many addresses ahead of `lookup`: the cache first, then 高德 10 to a request (the
        other providers answer one address per request, so `lookup` asks them as it goes). Errors are
        left for `lookup` to report per row. Writes what was found to the cache."""
        keys = list(dict.fromkeys(k for k in (self._key(a, city) for a in addresses) if k[0]))
        self._load_cached([k for k in keys if k not in self._known])
        if self.provider == "amap":
            missing = [k for k in keys if k not in self._known]
            for start in range(0, len(missing), AMAP_BATCH):
                if self._stopped:
                    break
                chunk = missing[start : start + AMAP_BATCH]
                by_city = {}
                for k in chunk:
                    by_city.setdefault(k[1], []).append(k)
                for city_name, group in by_city.items():
                    try:
                        found = self._batch([k[0] for k in group], city_name or None)
                    except GeopyError as exc:
                        try:
                            self._fail(exc)
                        except GeocodeError:
                            pass
                        if self._stopped:
                            break
                        continue  # a passing failure: `lookup` asks these one by one
                    for k, location in zip(group, found, strict=True):
                        self._remember(k, location)
        self.save()

    def _remember(self, key, location):
        """Keep the provider's answer for this geocoder's life and for the cache (`save`)."""
        if location is None:
            self._known[key] = None
            if self.not_found_days:
                self._pending[key] = {
                    "provider": self.provider,
                    "address": key[0][:500],
                    "city": key[1][:64],
                    "raw_longitude": None,
                    "raw_latitude": None,
                    "datum": self.datum,
                    "longitude": None,
                    "latitude": None,
                    "formatted_address": None,
                }
            return
        raw_lat, raw_lng = float(location.latitude), float(location.longitude)
        lng, lat = to_wgs84(raw_lng, raw_lat, self.datum)
        # Seven decimals (1 cm): a re-import finds the stored position unchanged.
        self._known[key] = (round(lat, 7), round(lng, 7))
        address = location.address
        self._pending[key] = {
            "provider": self.provider,
            "address": key[0][:500],
            "city": key[1][:64],
            "raw_longitude": raw_lng,
            "raw_latitude": raw_lat,
            "datum": self.datum,
            "longitude": self._known[key][1],
            "latitude": self._known[key][0],
            "formatted_address": address if isinstance(address, str) and address else None,
        }

    def _load_cached(self, keys):
        """What the cache knows of these keys: a point, or None for "not found" while it is recent
        enough (an older one is left out, so the provider is asked again)."""
        table = GeocodeCache
        since = None
        for start in range(0, len(keys), 200):
            chunk = keys[start : start + 200]
            rows = db.session.execute(
                select(table.address, table.city, table.latitude, table.longitude, table.created_at).where(
                    table.provider == self.provider, tuple_(table.address, table.city).in_(chunk)
                )
            ).all()
            for address, city, lat, lng, created_at in rows:
                if lat is not None and lng is not None:
                    self._known[(address, city)] = (lat, lng)
                    continue
                if not self.not_found_days:
                    continue
                if since is None:  # the clock is read only when a "not found" entry is met
                    since = clock.now() - timedelta(days=self.not_found_days)
                if created_at > since:
                    self._known[(address, city)] = None

    def save(self):
        """Write the new answers to geocode_cache on a connection of its own (committed at once).
        A "not found" entry already there (one past its time, asked again) is replaced by the new
        answer; a found one another import wrote meanwhile is left as it is. A failure is logged and
        the entries are kept for the next call: the cache is an economy, never a reason to fail."""
        if not self._pending:
            return
        rows = [{**row, "created_at": clock.stamp()} for row in self._pending.values()]
        table = GeocodeCache.__table__
        try:
            with db.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    from sqlalchemy.dialects.postgresql import insert
                else:
                    from sqlalchemy.dialects.sqlite import insert
                statement = insert(table)
                replaced = ("raw_longitude", "raw_latitude", "longitude", "latitude", "formatted_address", "created_at")
                statement = statement.on_conflict_do_update(
                    index_elements=["provider", "address", "city"],
                    set_={name: statement.excluded[name] for name in replaced},
                    where=table.c.latitude.is_(None),
                )
                connection.execute(statement, rows)
        except SQLAlchemyError:
            log.warning("geocode cache not written (%d entries kept for later)", len(rows), exc_info=True)
            return
        self._pending.clear()

    def reverse(self, latitude, longitude):
        """The address at a WGS-84 position (converted to the provider's datum), or None when the
        provider knows none; GeocodeError when it cannot be asked."""
        if self._stopped:
            raise self._stopped.again()
        lng, lat = from_wgs84(longitude, latitude, self.datum)
        try:
            found = self._reverse((round(lat, 7), round(lng, 7)))
        except GeopyError as exc:
            self._fail(exc)
        if found is None:
            return None
        if isinstance(found, list):
            found = found[0] if found else None
        raw = getattr(found, "raw", None) or {}
        address = raw.get("formatted_address") if isinstance(raw, dict) else None
        address = address if isinstance(address, str) and address else found.address
        return address.decode() if isinstance(address, bytes) else (address or None)


def from_config(config):
    """The configured geocoder, or None (GEOCODER unset, `none`, or missing what it needs)."""
    provider = (config.get("GEOCODER") or "").lower()
    if provider not in PROVIDERS:
        return None
    url, key = config.get("GEOCODER_URL") or "", config.get("GEOCODER_KEY") or ""
    if (provider == "nominatim" and not url) or (provider != "nominatim" and not key):
        return None
    return Geocoder(
        provider,
        url=url,
        key=key,
        min_delay_s=float(config.get("GEOCODER_MIN_DELAY_S", 1.0)),
        city=config.get("GEOCODER_CITY") or "",
        not_found_days=int(config.get("GEOCODER_NOT_FOUND_DAYS", 30)),
    )
