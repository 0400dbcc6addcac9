"""pwa/js/navlinks.js in Chromium: each map app's link carries the parameters that app documents, in the
datum it reads (GCJ-02 for 高德, 腾讯 and Apple Maps, WGS-84 for 百度 with coord_type and for geo:), and
the rep's choice of app is kept on the phone and used by Today and the account screen."""

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from server import datum
from tests.pwa.conftest import log_in, wait_synced, wait_until

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

# A Shanghai account, stored in WGS-84 as every position is.
SHANGHAI = {"name": "上海 A&B 办公设备, 有限公司|#1", "latitude": 31.2304, "longitude": 121.4737}
LONDON = {"name": "London office", "latitude": 51.5072, "longitude": -0.1276}
KEY = "OB4BZ-D4W3U-B7VVO-4PJWW-6TKDJ-WPB77"

BUILD = """async ([provider, place, key]) => {
  const n = await import('/js/navlinks.js');
  return n.navLink(provider, place, { tencentKey: key });
}"""


def link(page, provider, place=SHANGHAI, key=KEY):
    return page.evaluate(BUILD, [provider, place, key])


def query(url):
    parts = urlsplit(url)
    return parts, {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True, strict_parsing=True).items()}


def stored(place):
    return place["longitude"], place["latitude"]


def assert_gcj(point, place, shifted=True):
    """`point` (lng, lat) is the place's GCJ-02 within 0.5 m, and comes back onto the stored point."""
    expected = datum.wgs84_to_gcj02(*stored(place))
    assert datum.distance_m(point, expected) < 0.5
    assert datum.distance_m(datum.gcj02_to_wgs84(*point), stored(place)) < 0.5
    if shifted:
        assert datum.distance_m(point, stored(place)) >= 300


def test_amap_link_is_gcj02_with_its_documented_parameters(module_page):
    parts, q = query(link(module_page, "amap")["href"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/navigation")
    lng, lat, name = q["to"].split(",", 2)
    assert name == SHANGHAI["name"]
    assert_gcj((float(lng), float(lat)), SHANGHAI)
    assert q["mode"] == "car" and q["src"] == "fieldday" and q["coordinate"] == "gaode" and q["callnative"] == "1"
    # The phone's own inverse brings the link's point back onto the stored one too.
    back = module_page.evaluate("async (p) => (await import('/js/datum.js')).gcj02ToWgs84(p)", [float(lng), float(lat)])
    assert datum.distance_m(back, stored(SHANGHAI)) < 0.5


def test_baidu_app_link_and_web_fallback_keep_wgs84_with_coord_type(module_page):
    built = link(module_page, "baidu")
    app_parts, app = query(built["app"])
    web_parts, web = query(built["href"])
    assert (app_parts.scheme, app_parts.netloc, app_parts.path) == ("baidumap", "map", "/direction")
    assert (web_parts.scheme, web_parts.netloc, web_parts.path) == ("https", "api.map.baidu.com", "/direction")
    for q in (app, web):
        where, name = q["destination"].split("|", 1)
        assert name == "name:" + SHANGHAI["name"]
        lat, lng = where.removeprefix("latlng:").split(",")
        assert datum.distance_m((float(lng), float(lat)), stored(SHANGHAI)) < 0.5
        assert q["coord_type"] == "wgs84" and q["mode"] == "driving"
        assert q["src"].count(".") == 2  # 百度's platform.company.app
    assert web["output"] == "html" and "output" not in app


def test_tencent_link_is_gcj02_with_the_key_as_referer(module_page):
    parts, q = query(link(module_page, "tencent")["href"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "apis.map.qq.com", "/uri/v1/routeplan")
    assert q["type"] == "drive" and q["to"] == SHANGHAI["name"] and q["referer"] == KEY
    lat, lng = q["tocoord"].split(",")
    assert_gcj((float(lng), float(lat)), SHANGHAI)
    assert link(module_page, "tencent", key="") is None  # no key, no 腾讯 link


def test_apple_maps_link_is_gcj02_in_china(module_page):
    parts, q = query(link(module_page, "apple")["href"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "maps.apple.com", "/")
    assert q["dirflg"] == "d"
    lat, lng = q["daddr"].split(",")
    assert_gcj((float(lng), float(lat)), SHANGHAI)


def test_geo_uri_is_the_stored_wgs84_point_with_the_name(module_page):
    href = link(module_page, "geo")["href"]
    assert href.startswith("geo:")
    path, label = href[4:].split("?q=")
    lat, lng = path.split(",")
    assert datum.distance_m((float(lng), float(lat)), stored(SHANGHAI)) < 0.5
    assert label == f"{lat},{lng}(" + href.split("(", 1)[1]
    assert unquote(label.split("(", 1)[1].removesuffix(")")) == SHANGHAI["name"]


def test_outside_china_every_link_carries_the_stored_point(module_page):
    for provider in ("amap", "tencent", "apple"):
        href = link(module_page, provider, LONDON)["href"]
        _, q = query(href)
        text = {"amap": q.get("to"), "tencent": q.get("tocoord"), "apple": q.get("daddr")}[provider]
        numbers = [float(x) for x in text.split(",")[:2]]
        point = numbers if provider == "amap" else numbers[::-1]
        assert datum.distance_m(point, stored(LONDON)) < 0.5, provider


def test_no_position_no_link_and_unknown_app_throws(module_page):
    for provider in ("amap", "baidu", "tencent", "apple", "geo"):
        assert link(module_page, provider, {"name": "x", "latitude": None, "longitude": None}) is None
    error = module_page.evaluate(
        """async () => { const n = await import('/js/navlinks.js');
                        try { n.navLink('waze', { latitude: 31, longitude: 121 }); return null; }
                        catch (e) { return e.name; } }"""
    )
    assert error == "RangeError"


@pytest.mark.parametrize(
    ("user_agent", "time_zone", "language", "expected"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "Asia/Shanghai",
            "zh-CN",
            "apple",
        ),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "Europe/Paris", "fr-FR", "apple"),
        (
            "Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 Mobile Safari/537.36",
            "Asia/Shanghai",
            "en-US",
            "amap",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36",
            "Europe/Berlin",
            "zh-CN",
            "amap",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36",
            "Europe/Berlin",
            "de-DE",
            "geo",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
            "Asia/Shanghai",
            "zh-CN",
            "geo",
        ),
    ],
)
def test_default_app_follows_the_phone(module_page, user_agent, time_zone, language, expected):
    got = module_page.evaluate(
        "async (o) => (await import('/js/navlinks.js')).defaultProvider(o)",
        {"userAgent": user_agent, "timeZone": time_zone, "language": language},
    )
    assert got == expected


def test_the_choice_is_kept_on_the_phone(module_page):
    result = module_page.evaluate(
        """async (key) => {
          const n = await import('/js/navlinks.js');
          const before = await n.chosenProvider({ tencentKey: key });
          await n.chooseProvider('baidu');
          const baidu = await n.chosenProvider({ tencentKey: key });
          await n.chooseProvider('tencent');
          const tencent = [await n.chosenProvider({ tencentKey: key }), await n.chosenProvider({ tencentKey: '' })];
          let refused = null;
          try { await n.chooseProvider('waze'); } catch (e) { refused = e.name; }
          return { before, baidu, tencent, refused, default: n.defaultProvider() };
        }""",
        KEY,
    )
    assert result["before"] == result["default"]
    assert result["baidu"] == "baidu"
    assert result["tencent"] == ["tencent", result["default"]]  # without the company's key 腾讯 is not offered
    assert result["refused"] == "RangeError"


def test_rep_picks_amap_once_and_today_and_the_account_navigate_there(page, live_server):
    log_in(page)
    wait_synced(page)
    first = page.locator("#route li.stop").first
    assert first.locator("a.nav-link").get_attribute("href").startswith("geo:")  # a desktop Chromium: geo:
    page.goto("/#/me")
    page.get_by_label("Navigation app").select_option("amap")
    wait_until(
        page,
        """async () => { const n = await import('/js/navlinks.js'); return (await n.chosenProvider()) === 'amap'; }""",
    )
    page.goto("/#/today")
    first = page.locator("#route li.stop").first
    account_id = first.get_attribute("data-account")
    account = page.evaluate(
        """async (id) => (await import('/js/db.js')).get('accounts', id)""",
        account_id,
    )
    href = first.locator("a.nav-link").get_attribute("href")
    _, q = query(href)
    lng, lat, name = q["to"].split(",", 2)
    assert name == account["name"]
    assert_gcj((float(lng), float(lat)), account)
    assert first.locator("a.nav-link").get_attribute("target") == "_blank"
    page.goto(f"/#/account/{account_id}")
    assert page.locator("a.nav-link").get_attribute("href") == href
    page.reload()  # the choice outlives a reload
    page.goto("/#/today")
    assert page.locator("#route li.stop").first.locator("a.nav-link").get_attribute("href") == href
