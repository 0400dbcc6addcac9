"""Local stand-ins for 高德's and 百度's web geocoders, answering as each documents (CHINA.md, Geocoding).

Each fake knows some addresses by their true WGS-84 position and answers in its provider's datum:
高德 GCJ-02 as a "lng,lat" string of 6 decimals, 百度 BD-09 as numbers. One address of each is a
published reference pair, answered with the published figures (not computed here): 高德 the
eviltransform test pair, 百度 gcoord's README pair. Every request is counted (`asked`).

The shapes, as each provider documents them:
- 高德 (lbs.amap.com/api/webservice/guide/api/georegeo, and the error code table at
  .../guide/tools/info): HTTP 200 always; `status` "1" with `info` "OK", `infocode` "10000", `count`
  (a string) and `geocodes`; "not found" is `count` "0" and no geocodes (in a batch, the unknown
  address keeps its place as an entry whose fields are empty lists, as 高德 writes an empty string);
  an error is `status` "0" with `info` the code's name and `infocode` its number (AMAP_CODES).
  regeo answers `regeocode.formatted_address`, an empty list where there is no address (at sea,
  abroad).
- 百度 (lbsyun.baidu.com webapi/guide/webservice-geocoding and webapi/appendix): `status` a number, 0
  with `result`; "not found" is status 1 with msg "Internal Service Error:无相关结果" and an empty
  `results`; a missing parameter is status 2 with `msg`; key and quota refusals carry `message`
  (BAIDU_CODES).

`mode` turns on a provider's error answers: "bad_key" (the key refused: 高德 10001, 百度 200, or the
code given), "quota_after" (the daily quota runs out after that many requests: 高德 `quota_code`
10003 by default, 百度 302) or "code" (every request answered with that error code).
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from server.datum import wgs84_to_bd09, wgs84_to_gcj02
from tests.fake_http import json_server

# Published pairs: eviltransform python/test.py (WGS-84 -> GCJ-02); gcoord README (WGS-84 -> BD-09).
AMAP_REFERENCE = ("上海市浦东新区参考路1号", (121.5272106, 31.1774276), "121.531542,31.175304")
BAIDU_REFERENCE = ("北京市东城区参考路1号", (116.403988, 39.914266), (116.41661560068297, 39.92196580126834))


def shanghai(n):
    """n addresses in 徐汇 with their true WGS-84 (lng, lat)."""
    return {f"上海市徐汇区漕溪北路{i}号": (121.43 + i * 0.001, 31.19 + i * 0.0007) for i in range(1, n + 1)}


@dataclass
class Fake:
    url: str = ""
    known: dict = field(default_factory=dict)  # address -> true WGS-84 (lng, lat)
    asked: list = field(default_factory=list)  # (path, {param: value}) of every request
    mode: dict = field(default_factory=dict)
    key: str = "good-key"

    def requests(self, path_part):
        return [params for path, params in self.asked if path_part in path]


def _params(path):
    return path.split("?")[0], {k: v[0] for k, v in parse_qs(urlparse(path).query).items()}


def _amap_geocode(fake, address):
    if address == AMAP_REFERENCE[0]:
        location = AMAP_REFERENCE[2]
    elif address in fake.known:
        lng, lat = wgs84_to_gcj02(*fake.known[address])
        location = f"{lng:.6f},{lat:.6f}"
    else:
        return None
    return {
        "formatted_address": address,
        "country": "中国",
        "province": "上海市",
        "citycode": "021",
        "city": "上海市",
        "district": "徐汇区",
        "township": [],
        "adcode": "310104",
        "location": location,
        "level": "门牌号",
    }


# In a batch, an address 高德 does not know still takes its place in `geocodes`, with empty fields.
AMAP_UNKNOWN = {
    "formatted_address": [],
    "country": [],
    "province": [],
    "citycode": [],
    "city": [],
    "district": [],
    "township": [],
    "neighborhood": {"name": [], "type": []},
    "building": {"name": [], "type": []},
    "adcode": [],
    "street": [],
    "number": [],
    "location": [],
    "level": [],
}

# 高德's error codes (infocode -> info), from its table.
AMAP_CODES = {
    "10001": "INVALID_USER_KEY",
    "10002": "SERVICE_NOT_AVAILABLE",
    "10003": "DAILY_QUERY_OVER_LIMIT",
    "10004": "ACCESS_TOO_FREQUENT",
    "10009": "USERKEY_PLAT_NOMATCH",
    "10010": "IP_QUERY_OVER_LIMIT",
    "10016": "SERVER_IS_BUSY",
    "10021": "CUQPS_HAS_EXCEEDED_THE_LIMIT",
    "10044": "USER_DAILY_QUERY_OVER_LIMIT",
    "20000": "INVALID_PARAMS",
    "20001": "MISSING_REQUIRED_PARAMS",
    "20003": "UNKNOWN_ERROR",
}

# 百度's status codes (status -> its words), from its appendix.
BAIDU_CODES = {
    1: "服务器内部错误",
    2: "Parameter Invalid",
    4: "Quota Failure",
    5: "AK Failure",
    101: "AK参数不存在",
    200: "APP不存在，AK有误请检查再重试",
    240: "APP 服务被禁用",
    302: "天配额超限，限制访问",
    401: "当前并发量已经超过约定并发配额，限制访问",
}


def amap_error(code):
    return 200, {"status": "0", "info": AMAP_CODES[code], "infocode": code}


def baidu_error(status):
    return 200, {"status": status, "message": BAIDU_CODES[status]}


def _outside_china(lng, lat):
    return not (73.5 < lng < 135.1 and 18.1 < lat < 53.6)


def amap_answer(fake):
    def answer(path):
        route, params = _params(path)
        fake.asked.append((route, params))
        bad_key = fake.mode.get("bad_key")
        if params.get("key") != fake.key or bad_key:
            return amap_error(bad_key if isinstance(bad_key, str) else "10001")
        if "quota_after" in fake.mode and len(fake.asked) > fake.mode["quota_after"]:
            return amap_error(fake.mode.get("quota_code", "10003"))
        if "code" in fake.mode:
            return amap_error(fake.mode["code"])
        if route.endswith("/v3/geocode/geo"):
            if not params.get("address"):
                return amap_error("20001")
            addresses = params["address"].split("|")
            if params.get("batch") != "true":
                addresses = addresses[:1]  # without batch=true only the first address is answered
            if len(addresses) > 10:
                return amap_error("20000")
            found = [_amap_geocode(fake, a) for a in addresses]
            if params.get("batch") != "true":
                found = [f for f in found if f]
                return 200, {
                    "status": "1",
                    "info": "OK",
                    "infocode": "10000",
                    "count": str(len(found)),
                    "geocodes": found,
                }
            geocodes = [f or AMAP_UNKNOWN for f in found]
            count = sum(1 for f in found if f)
            return 200, {"status": "1", "info": "OK", "infocode": "10000", "count": str(count), "geocodes": geocodes}
        if route.endswith("/v3/geocode/regeo"):
            if not params.get("location"):
                return amap_error("20001")
            lng, lat = (float(v) for v in params["location"].split(","))
            address = [] if _outside_china(lng, lat) else f"上海市徐汇区@{lng:.6f},{lat:.6f}"
            return 200, {
                "status": "1",
                "info": "OK",
                "infocode": "10000",
                "regeocode": {"formatted_address": address, "addressComponent": {}},
            }
        return amap_error("10002")  # a path it does not serve: "SERVICE_NOT_AVAILABLE", as 高德 answers

    return answer


def baidu_answer(fake):
    def answer(path):
        route, params = _params(path)
        fake.asked.append((route, params))
        bad_key = fake.mode.get("bad_key")
        if not params.get("ak"):
            return baidu_error(101)
        if params["ak"] != fake.key or bad_key:
            return baidu_error(bad_key if isinstance(bad_key, int) and bad_key is not True else 200)
        if "quota_after" in fake.mode and len(fake.asked) > fake.mode["quota_after"]:
            return baidu_error(fake.mode.get("quota_code", 302))
        if "code" in fake.mode:
            return baidu_error(fake.mode["code"])
        if route.endswith("/geocoding/v3/"):
            address = params.get("address", "")
            if not address:
                return 200, {"status": 2, "msg": "Request Parameter Error: lack address or location", "results": []}
            if address == BAIDU_REFERENCE[0]:
                lng, lat = BAIDU_REFERENCE[2]
            elif address in fake.known:
                lng, lat = wgs84_to_bd09(*fake.known[address])
            else:
                return 200, {"status": 1, "msg": "Internal Service Error:无相关结果", "results": []}
            return 200, {
                "status": 0,
                "result": {
                    "location": {"lng": lng, "lat": lat},
                    "precise": 1,
                    "confidence": 80,
                    "comprehension": 100,
                    "level": "门址",
                },
            }
        if route.endswith("/reverse_geocoding/v3/"):
            lat, lng = (float(v) for v in params["location"].split(","))
            return 200, {
                "status": 0,
                "result": {
                    "location": {"lng": lng, "lat": lat},
                    "formatted_address": f"北京市东城区@{lng:.6f},{lat:.6f}",
                    "addressComponent": {},
                },
            }
        return baidu_error(240)  # a service the key may not use

    return answer


@contextmanager
def fake_amap(known=None, **mode):
    fake = Fake(known=dict(known or {}), mode=mode)
    with json_server(amap_answer(fake)) as url:
        fake.url = url
        yield fake


@contextmanager
def fake_baidu(known=None, **mode):
    fake = Fake(known=dict(known or {}), mode=mode)
    with json_server(baidu_answer(fake)) as url:
        fake.url = url
        yield fake


def configure(app, provider, fake, key=None):
    app.config.update(GEOCODER=provider, GEOCODER_URL=fake.url, GEOCODER_KEY=key or fake.key, GEOCODER_MIN_DELAY_S=0)
