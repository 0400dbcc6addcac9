"""The map's tile sources, each with its datum and attribution. A team picks one (team_settings.map_tiles);
the phone draws with it and converts every position for display through pwa/js/map.js when its datum is
GCJ-02. The deployment may point a source at another server (a mirror, a test's fake) by its setting
MAP_TILE_URL (OpenStreetMap) or MAP_TILE_URL_<SOURCE>; the Content-Security-Policy lets in every source's
origin, so a team's choice needs no restart.

Templates (Leaflet's {s}, {z}, {x}, {y}, {-y}) are those of leaflet.chinatmsproviders 3.0.6 (see
../shared/CHINA.md); 天地图 needs the team's key (`tk`), put in by `resolve`. 百度 (BD-09 with its own
projection) is not offered.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

WGS84 = "wgs84"
GCJ02 = "gcj02"


@dataclass(frozen=True)
class Source:
    name: str
    datum: str
    url: str
    attribution: str
    subdomains: str = ""
    overlay_url: str = ""  # a second layer drawn over the first (天地图's labels)
    max_zoom: int = 18
    needs_key: bool = False


SOURCES = {
    "osm": Source("osm", WGS84, "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    # CGCS2000 differs from WGS-84 by centimetres: drawn with no conversion.
    "tianditu": Source(
        "tianditu",
        WGS84,
        "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&X={x}&Y={y}&L={z}&tk={key}",
        "© 天地图 (国家地理信息公共服务平台)",
        subdomains="01234567",
        overlay_url="https://t{s}.tianditu.gov.cn/DataServer?T=cva_w&X={x}&Y={y}&L={z}&tk={key}",
        needs_key=True,
    ),
    "amap": Source(
        "amap",
        GCJ02,
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi",
        subdomains="1234",
    ),
    "tencent": Source(
        "tencent",
        GCJ02,
        "https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={-y}&type=vector&styleid=3",
        "© 腾讯地图 Tencent",
        subdomains="0123",
    ),
}
DEFAULT = "osm"


def _config_key(name):
    return "MAP_TILE_URL" if name == DEFAULT else f"MAP_TILE_URL_{name.upper()}"


def _url(config, name, overlay=False):
    key = _config_key(name) + ("_OVERLAY" if overlay else "")
    source = SOURCES[name]
    return config.get(key, source.overlay_url if overlay else source.url)


def resolve(config, name, key=None):
    """What the phone draws with: {source, datum, url, overlay_url, attribution, subdomains, max_zoom}."""
    source = SOURCES.get(name) or SOURCES[DEFAULT]
    if name == DEFAULT and "MAP_TILE_ATTRIBUTION" in config:
        attribution = config["MAP_TILE_ATTRIBUTION"]
    else:
        attribution = source.attribution
    fill = quote(key or "", safe="")
    return {
        "source": source.name,
        "datum": source.datum,
        "url": _url(config, source.name).replace("{key}", fill),
        "overlay_url": _url(config, source.name, overlay=True).replace("{key}", fill) if source.overlay_url else "",
        "attribution": attribution,
        "subdomains": source.subdomains,
        "max_zoom": source.max_zoom,
    }


def origin(url):
    """The origin a tile template loads from, for the CSP: a subdomain placeholder ({s}) widens to `*.`."""
    probe = url.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0").replace("{-y}", "0")
    parts = urlsplit(probe)
    if not parts.scheme or not parts.netloc:
        if url.startswith("//"):
            return origin("https:" + url)
        return ""
    host = parts.netloc
    if "{s}" in host:
        first, _, rest = host.partition(".")
        host = f"*.{rest}" if "{s}" in first and rest else host.replace("{s}", "a")
    return f"{parts.scheme}://{host}"


def origins(config):
    """Every source's origin (and its overlay's), as the CSP's img-src lists them."""
    found = []
    for name, source in SOURCES.items():
        urls = [_url(config, name)] + ([_url(config, name, overlay=True)] if source.overlay_url else [])
        for url in urls:
            o = origin(url)
            if o and o not in found:
                found.append(o)
    return found
