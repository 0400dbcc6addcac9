"""Maps with their tile source's datum, in Chromium at 360x740, against a local fake tile server per datum
(a plain PNG per tile, each requested z/x/y recorded; the team's tile source points at it).

- On a WGS-84 source (OpenStreetMap) a stored position is drawn where it is; on a GCJ-02 source (高德) it is
  drawn at the pixel where its GCJ-02 point lies (Leaflet's latLngToContainerPoint of the point converted
  here, on the server's side, by server/datum.py), and a tap on the map is stored back in WGS-84 within 0.5 m.
- Tiles seen are served by the service worker without a network, and its tile cache stays under its cap,
  the oldest dropped first.
- The territory map opens without a network and a tap on an account opens it; an account's position is
  corrected by dragging or tapping, old and new shown before it is saved, and it syncs.

The live server's sync counts days since each account's last contact (the seeded history lies before
today), but nothing here asserts on a date: the module runs at one fixed instant (`fixed_clock`).
"""

import math
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from server import datum, team_settings
from server.changelog import recorded
from server.extensions import db
from server.models import Account, RoutePlan, Team, User
from tests.fake_http import FakeTiles
from tests.pwa.conftest import (
    IDB_GET_META,
    log_in,
    phone_context,
    shot,
    start_live_server,
    today_local,
    wait_controlled,
    wait_synced,
    wait_until,
)

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")

CAP_BYTES = 400 * 1024  # the tile cache's cap on this server: small, so a few zooms pass it


def tile_padding(z, x, y):
    """The GCJ-02 fake's tiles differ in size (479 to about 45,500 bytes): the cache counts bytes, not tiles."""
    return (x % 4) * 15000


@pytest.fixture(scope="module")
def wgs_tiles():
    tiles = FakeTiles()
    yield tiles
    tiles.stop()


@pytest.fixture(scope="module")
def gcj_tiles():
    tiles = FakeTiles(cors=True, padding=tile_padding)
    yield tiles
    tiles.stop()


@pytest.fixture(scope="module")
def map_server(tmp_path_factory, wgs_tiles, gcj_tiles):
    server = start_live_server(
        tmp_path_factory.mktemp("maps"),
        today_local(),
        MAP_TILE_URL=f"{wgs_tiles.url}/osm/{{z}}/{{x}}/{{y}}.png",
        MAP_TILE_ATTRIBUTION="Fake OSM tiles",
        MAP_TILE_URL_AMAP=f"{gcj_tiles.url}/amap/{{z}}/{{x}}/{{y}}.png",
        MAP_TILE_URL_TENCENT=f"{gcj_tiles.url}/tencent/{{z}}/{{x}}/{{-y}}.png",
        MAP_TILE_CACHE_BYTES=CAP_BYTES,
    )
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


def use_tiles(server, source):
    """rep1's team draws its maps with `source` (as its manager would set it on the Settings screen)."""
    with server.app.app_context():
        rep = db.session.scalar(db.select(User).where(User.username == "rep1"))
        team = db.session.get(Team, rep.team_id)
        team_settings.save(team, {"map_tiles": source}, by=team.manager_id)
        db.session.commit()
        db.session.remove()


def stored_account(server, account_id):
    with server.app.app_context():
        row = db.session.execute(
            db.select(Account.latitude, Account.longitude).where(Account.id == uuid.UUID(account_id))
        ).one()
        db.session.remove()
        return tuple(row)


@pytest.fixture
def phone(browser, map_server):
    context = phone_context(browser, map_server.url, service_workers="allow")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield context, page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# Where a stored position's converted point lies on the screen: Leaflet's own answer for the point.
SCREEN_POINT = """([selector, lat, lng]) => {
  const element = document.querySelector(selector);
  const p = element.fieldMap.map.latLngToContainerPoint([lat, lng]);
  const box = element.getBoundingClientRect(); // container points start inside the border, as Leaflet counts
  return [box.left + element.clientLeft + p.x, box.top + element.clientTop + p.y];
}"""

# The point on the map (as Leaflet reads it: the tile source's datum) under a screen pixel.
MAP_POINT = """([selector, x, y]) => {
  const element = document.querySelector(selector);
  const box = element.getBoundingClientRect();
  const point = [x - box.left - element.clientLeft, y - box.top - element.clientTop];
  const at = element.fieldMap.map.containerPointToLatLng(point);
  return [at.lat, at.lng];
}"""

TILES_LOADED = """(selector) => {
  const tiles = [...document.querySelectorAll(`${selector} img.leaflet-tile`)];
  return tiles.length > 0 && tiles.every((img) => img.classList.contains('leaflet-tile-loaded'));
}"""

SHOW_AT = """([lat, lng, zoom]) =>
  document.querySelector('#territory-map').fieldMap.map.setView([lat, lng], zoom, { animate: false })"""

CACHED_TILES = "async () => (await (await caches.open('fieldday-tiles')).keys()).map((r) => r.url)"


# An image of a tile URL, loaded as the map loads its tiles (through the service worker).
LOAD_TILE = """(url) => new Promise((done, fail) => {
  const img = new Image();
  img.onload = () => done(true);
  img.onerror = () => fail(new Error(`tile not drawn: ${url}`));
  img.src = url;
})"""

# The tile cache has settled: `last` is in it and the tiles in it (sizes from the fake server) add up to at most `cap`.
TILE_CACHE_SETTLED = """async ([last, sizes, cap]) => {
  const urls = (await (await caches.open('fieldday-tiles')).keys()).map((r) => r.url);
  return urls.includes(last) && urls.reduce((sum, url) => sum + (sizes[url] || 0), 0) <= cap;
}"""


def tile_sizes(tiles):
    """{tile URL: bytes} of every tile the fake server has answered."""
    return {f"{tiles.url}/{source}/{z}/{x}/{y}.png": n for (source, z, x, y), n in tiles.sizes.items()}


def centre(page, selector):
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def tile_of(lat, lng, z):
    """The slippy-map tile (x, y) a point lies in at zoom z (Web Mercator, as Leaflet and the sources)."""
    n = 2**z
    x = int((lng + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def shown_as(lat, lng, on):
    """A stored (WGS-84) position as drawn on a map of datum `on`: (lat, lng)."""
    if on == "wgs84":
        return lat, lng
    g_lng, g_lat = datum.wgs84_to_gcj02(lng, lat)
    return g_lat, g_lng


def metres(a, b):
    return datum.distance_m((a[1], a[0]), (b[1], b[0]))


def a_lone_account(page):
    """An account of the phone's copy with no other within 200 m (its marker alone under a tap)."""
    accounts = [a for a in page.evaluate("import('/js/db.js').then((m) => m.all('accounts'))") if a["latitude"]]
    at = {a["id"]: (a["latitude"], a["longitude"]) for a in accounts}
    return next(a for a in accounts if all(metres(at[a["id"]], p) > 200 for i, p in at.items() if i != a["id"]))


def today_start(page):
    page.wait_for_selector("#today-map .route-start")
    lat, lng = (float(v) for v in page.locator("#today-map").get_attribute("data-start").split(","))
    return lat, lng


def test_on_a_wgs84_source_the_day_is_drawn_where_it_is_stored(phone, map_server, wgs_tiles):
    _, page = phone
    use_tiles(map_server, "osm")
    log_in(page, "rep1")
    wait_synced(page)
    page.wait_for_function(TILES_LOADED, arg="#today-map")
    assert page.locator("#today-map").get_attribute("data-datum") == "wgs84"
    assert "Fake OSM tiles" in page.locator("#today-map .leaflet-control-attribution").inner_text()
    lat, lng = today_start(page)
    drawn = centre(page, "#today-map .route-start")
    expected = page.evaluate(SCREEN_POINT, ["#today-map", lat, lng])
    assert math.dist(drawn, expected) < 1.0, (drawn, expected)
    # The tile under the start was asked of the WGS-84 source, at the map's zoom.
    z = page.evaluate("document.querySelector('#today-map').fieldMap.map.getZoom()")
    assert ("osm", z, *tile_of(lat, lng, z)) in wgs_tiles.seen
    # This tile server sends no CORS header: its tiles are kept all the same (opaque) for use without signal.
    wait_controlled(page)
    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector("#territory-map[data-ready='1']")
    page.wait_for_function(TILES_LOADED, arg="#territory-map")
    view = page.evaluate("[...document.querySelectorAll('#territory-map img.leaflet-tile')].map((i) => i.src)")
    assert view and set(view) <= set(page.evaluate(CACHED_TILES))


# Markup in an account's name, as anyone who may name an account could type it (the office, an import, the
# rep who created it): on a page, a meta refresh would take the phone to another site.
MARKUP_NAME = '<meta http-equiv="refresh" content="0;url=about:blank"><b id="injected">bold</b>'


def test_an_accounts_name_on_the_days_map_is_text_never_markup(phone, map_server):
    """The name a stop's marker shows on tap is the account's name as written, its markup shown, not run."""
    _, page = phone
    with map_server.app.app_context(), recorded(db.session):
        rep = db.session.scalar(db.select(User).where(User.username == "rep1"))
        plan = db.session.scalar(
            db.select(RoutePlan).where(RoutePlan.rep_id == rep.id, RoutePlan.plan_date == today_local())
        )
        account = db.session.get(Account, plan.stops[0].account_id)
        account_id, before = account.id, account.name
        account.name = MARKUP_NAME
        db.session.commit()
    try:
        log_in(page, "rep1")
        wait_synced(page)
        page.wait_for_selector("#today-map .stop-pin")
        page.evaluate(
            "document.querySelector('#today-map').fieldMap.map.eachLayer((l) => l.getTooltip?.() && l.openTooltip())"
        )
        page.wait_for_timeout(500)  # time for a refresh in the name to take the page away
        assert page.evaluate("location.href").startswith(map_server.url)
        assert page.locator("#injected, #today-map meta").count() == 0
        tips = page.locator("#today-map .leaflet-tooltip")
        expect(tips.first).to_be_visible()
        assert any(tip.endswith(f". {MARKUP_NAME}") for tip in tips.all_inner_texts()), tips.all_inner_texts()
    finally:
        with map_server.app.app_context(), recorded(db.session):
            db.session.get(Account, account_id).name = before
            db.session.commit()


# Scroll `control` (a map's control) under `bar` (the sticky header or the fixed tab bar) and answer whether the
# bar is what a tap at the control's centre reaches, and whether the control is under the bar there at all.
UNDER_BAR = """([control, bar]) => {
  const c = document.querySelector(control);
  const b = document.querySelector(bar).getBoundingClientRect();
  const box = c.getBoundingClientRect();
  window.scrollBy(0, box.top + box.height / 2 - (b.top + b.height / 2));
  const at = c.getBoundingClientRect();
  const x = at.left + at.width / 2, y = at.top + at.height / 2;
  return { under: y > b.top && y < b.bottom, bar: document.elementFromPoint(x, y)?.closest(bar) !== null };
}"""


def test_the_maps_controls_scroll_under_the_header_and_the_tabs_not_over_them(phone, map_server, wgs_tiles):
    """Today at 360×740: the attribution scrolled up under the sticky header and the zoom buttons down under the
    tab bar stay beneath them (Leaflet's controls stack at z-index 1000, the bars' own: a tap there reached the
    map's link instead of Me or the language switch)."""
    _, page = phone
    use_tiles(map_server, "osm")
    log_in(page, "rep1")
    wait_synced(page)
    page.wait_for_selector("#today-map .leaflet-control-attribution")
    page.evaluate("document.querySelector('#today-map').closest('details').open = true")
    page.evaluate("document.querySelector('main').style.paddingBottom = '800px'")  # room to scroll it up
    header = page.evaluate(UNDER_BAR, ["#today-map .leaflet-control-attribution", ".bar"])
    shot(page, "map-under-header")
    assert header == {"under": True, "bar": True}
    page.evaluate("window.scrollTo(0, 0)")
    tabs = page.evaluate(UNDER_BAR, ["#today-map .leaflet-control-zoom-in", ".tabs"])
    assert tabs == {"under": True, "bar": True}


def test_on_a_gcj02_source_every_position_is_drawn_at_its_gcj02_point(phone, map_server, gcj_tiles):
    context, page = phone
    use_tiles(map_server, "amap")
    context.grant_permissions(["geolocation"])
    here = (31.2304, 121.4737)
    context.set_geolocation({"latitude": here[0], "longitude": here[1], "accuracy": 15})
    log_in(page, "rep1")
    wait_synced(page)
    page.wait_for_function(TILES_LOADED, arg="#today-map")
    assert page.locator("#today-map").get_attribute("data-datum") == "gcj02"
    assert "高德" in page.locator("#today-map .leaflet-control-attribution").inner_text()
    # Today: the route's start is drawn at its GCJ-02 point, some pixels away from where WGS-84 would put it.
    lat, lng = today_start(page)
    drawn = centre(page, "#today-map .route-start")
    expected = page.evaluate(SCREEN_POINT, ["#today-map", *shown_as(lat, lng, "gcj02")])
    raw = page.evaluate(SCREEN_POINT, ["#today-map", lat, lng])
    assert math.dist(drawn, expected) < 1.0, (drawn, expected)
    assert math.dist(drawn, raw) > 3, "drawn as if the tiles were WGS-84"
    z = page.evaluate("document.querySelector('#today-map').fieldMap.map.getZoom()")
    assert ("amap", z, *tile_of(*shown_as(lat, lng, "gcj02"), z)) in gcj_tiles.seen
    # "You are here" too.
    page.wait_for_selector("#today-map .you-are-here")
    expected_here = page.evaluate(SCREEN_POINT, ["#today-map", *shown_as(*here, "gcj02")])
    assert math.dist(centre(page, "#today-map .you-are-here"), expected_here) < 1.0
    page.locator("#today-map").scroll_into_view_if_needed()
    shot(page, "today-gcj02-en-US")

    # The territory map: every account at its GCJ-02 point; a tap opens the account.
    page.get_by_role("link", name="Accounts").click()
    page.locator("#territory-link").click()
    page.wait_for_selector("#territory-map[data-ready='1']")
    page.wait_for_function(TILES_LOADED, arg="#territory-map")
    page.wait_for_selector("#territory-map .you-are-here")
    assert int(page.locator("#territory-map").get_attribute("data-count")) == 40
    shot(page, "territory-map-gcj02-en-US")
    accounts = [a for a in page.evaluate("import('/js/db.js').then((m) => m.all('accounts'))") if a["latitude"]]
    # Filtered as the account list is: by class, and overdue by the team's cadence (ui.js isOverdue).
    page.get_by_text("Filter and colour").click()
    page.locator("#map-filters #class").select_option("A")
    page.wait_for_function(
        "(n) => document.querySelector('#territory-map').dataset.count === String(n)",
        arg=sum(a["account_class"] == "A" for a in accounts),
    )
    page.locator("#map-filters #class").select_option("")
    page.locator("#map-filters #overdue").check()
    overdue = page.evaluate(
        """Promise.all([import('/js/db.js'), import('/js/ui.js')]).then(([db, ui]) => db.all('accounts')
             .then((all) => all.filter((a) => a.latitude != null && ui.isOverdue(a)).length))"""
    )
    assert 0 < overdue < len(accounts)
    page.wait_for_function("(n) => document.querySelector('#territory-map').dataset.count === String(n)", arg=overdue)
    page.locator("#map-filters #overdue").uncheck()
    page.wait_for_function(
        "(n) => document.querySelector('#territory-map').dataset.count === String(n)", arg=len(accounts)
    )
    account = a_lone_account(page)
    gcj = shown_as(account["latitude"], account["longitude"], "gcj02")
    page.evaluate(SHOW_AT, [*gcj, 18])
    pin = f"#territory-map [data-account='{account['id']}']"
    page.wait_for_selector(pin)
    expected = page.evaluate(SCREEN_POINT, ["#territory-map", *gcj])
    assert math.dist(centre(page, pin), expected) < 1.0
    # Coloured by its class (and, chosen so, by overdue).
    assert f"class-{account['account_class']}" in page.locator(pin).locator("..").get_attribute("class")
    page.locator("#map-filters #colour").select_option("overdue")
    page.wait_for_function(
        "(pin) => /(^| )(overdue|on-time)( |$)/.test(document.querySelector(pin).parentElement.className)", arg=pin
    )
    expect(page.locator("#map-legend")).to_contain_text("Overdue")
    page.locator(pin).click()
    page.wait_for_url(f"**/#/account/{account['id']}")
    expect(page.locator("h1")).to_contain_text(account["name"])

    # The same two screens in Chinese.
    page.locator("#lang-switch").click()
    page.get_by_role("link", name="今天").click()
    page.wait_for_function(TILES_LOADED, arg="#today-map")
    page.locator("#today-map").scroll_into_view_if_needed()
    shot(page, "today-gcj02-zh-CN")
    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector("#territory-map[data-ready='1']")
    page.wait_for_function(TILES_LOADED, arg="#territory-map")
    expect(page.locator("h1")).to_have_text("辖区地图")
    shot(page, "territory-map-gcj02-zh-CN")


def test_a_corrected_position_is_shown_old_and_new_stored_in_wgs84_and_synced(phone, map_server):
    _, page = phone
    use_tiles(map_server, "amap")
    log_in(page, "rep1")
    wait_synced(page)
    account = next(a for a in page.evaluate("import('/js/db.js').then((m) => m.all('accounts'))") if a["latitude"])
    old = (account["latitude"], account["longitude"])
    page.evaluate(f"location.hash = '#/account/{account['id']}'")
    page.get_by_text("Position on the map").click()
    marker = "#account-map img.account-position"
    page.wait_for_selector(marker)
    page.locator("#account-map").scroll_into_view_if_needed()
    page.wait_for_function(TILES_LOADED, arg="#account-map")
    # The marker's point (its icon's tip) is where the account's GCJ-02 point lies.
    box = page.locator(marker).bounding_box()
    tip = (box["x"] + 12, box["y"] + 41)
    assert math.dist(tip, page.evaluate(SCREEN_POINT, ["#account-map", *shown_as(*old, "gcj02")])) < 1.0

    # Dragged: the new position is where it was dropped, as WGS-84; nothing is saved until the rep says so.
    page.mouse.move(tip[0], tip[1] - 20)
    page.mouse.down()
    page.mouse.move(tip[0] + 20, tip[1] - 5, steps=5)
    page.mouse.move(tip[0] + 40, tip[1] + 10, steps=5)
    page.mouse.up()
    page.wait_for_selector("#position-preview")
    dropped = page.evaluate(
        "document.querySelector('#account-map').fieldMap.map.hasLayer && "
        "[...Object.values(document.querySelector('#account-map').fieldMap.map._layers)]"
        ".filter((l) => l.dragging).map((l) => [l.getLatLng().lat, l.getLatLng().lng])[0]"
    )
    d_lng, d_lat = datum.gcj02_to_wgs84(dropped[1], dropped[0])
    preview = page.locator("#position-preview")
    proposed = (float(preview.get_attribute("data-lat")), float(preview.get_attribute("data-lng")))
    assert metres(proposed, (d_lat, d_lng)) < 0.5
    assert metres(proposed, old) > 20
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#position-preview")).to_have_count(0)

    # Tapped: old and new shown; saved, it syncs and the server holds the WGS-84 of the tapped point.
    page.locator("#account-map").scroll_into_view_if_needed()  # pressing Cancel may have scrolled the page
    box = page.locator(marker).bounding_box()
    tip = (box["x"] + 12, box["y"] + 41)
    tap = (round(tip[0] + 70), round(tip[1] + 45))  # whole pixels, as the mouse event carries them
    page.mouse.click(*tap)
    tapped = page.evaluate(MAP_POINT, ["#account-map", *tap])  # the GCJ-02 point under the finger
    w_lng, w_lat = datum.gcj02_to_wgs84(tapped[1], tapped[0])
    expect(page.locator("#position-old")).to_have_text(f"{old[0]:.6f}, {old[1]:.6f}")
    expect(page.locator("#position-new")).to_have_text(f"{w_lat:.6f}, {w_lng:.6f}")
    assert metres((w_lat, w_lng), (tapped[0], tapped[1])) > 100  # the tap was converted, not kept as drawn
    page.get_by_role("button", name="Save position").click()
    page.wait_for_selector("#position-saved")
    wait_synced(page, 0)
    on_server = stored_account(map_server, account["id"])
    assert metres(on_server, (w_lat, w_lng)) < 0.5, (on_server, (w_lat, w_lng))
    on_phone = next(
        a for a in page.evaluate("import('/js/db.js').then((m) => m.all('accounts'))") if a["id"] == account["id"]
    )
    assert metres((on_phone["latitude"], on_phone["longitude"]), (w_lat, w_lng)) < 0.5


def test_tiles_seen_are_drawn_offline_and_the_cache_keeps_under_its_cap(phone, map_server, gcj_tiles):
    context, page = phone
    use_tiles(map_server, "amap")
    log_in(page, "rep1")
    wait_synced(page)
    wait_controlled(page)
    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector("#territory-map[data-ready='1']")
    page.wait_for_function(TILES_LOADED, arg="#territory-map")
    view = sorted(page.evaluate("[...document.querySelectorAll('#territory-map img.leaflet-tile')].map((i) => i.src)"))
    assert set(view) <= set(page.evaluate(CACHED_TILES))

    # No network, and the tile server down: the screen, its accounts and the tiles seen all come back.
    asked = len(gcj_tiles.seen)
    gcj_tiles.down = True
    context.set_offline(True)
    try:
        page.reload()  # at #/map: the app starts on the territory map
        page.wait_for_selector("#territory-map[data-ready='1']")
        page.wait_for_function(TILES_LOADED, arg="#territory-map")
        again = sorted(
            page.evaluate("[...document.querySelectorAll('#territory-map img.leaflet-tile')].map((i) => i.src)")
        )
        assert again == view
        assert len(gcj_tiles.seen) == asked and gcj_tiles.refused == 0
        # A tap on an account opens it, still offline.
        account = a_lone_account(page)
        gcj = shown_as(account["latitude"], account["longitude"], "gcj02")
        page.evaluate(SHOW_AT, [*gcj, 18])
        page.locator(f"#territory-map [data-account='{account['id']}']").click()
        page.wait_for_url(f"**/#/account/{account['id']}")
        expect(page.locator("h1")).to_contain_text(account["name"])
    finally:
        context.set_offline(False)
        gcj_tiles.down = False

    # Looking around at other zooms asks for more bytes of tiles than the cap: the cache keeps at most CAP_BYTES,
    # the least recently used gone.
    page.evaluate("location.hash = '#/map'")
    page.wait_for_selector("#territory-map[data-ready='1']")
    first = len(gcj_tiles.seen)
    for zoom in (8, 9, 10, 11, 12, 13, 14, 15, 16, 17):
        page.evaluate(SHOW_AT, [31.23, 121.47, zoom])
        page.wait_for_function(TILES_LOADED, arg="#territory-map")
    sizes = tile_sizes(gcj_tiles)
    assert sum(gcj_tiles.sizes[t] for t in gcj_tiles.seen[first:]) > CAP_BYTES
    source, z, x, y = gcj_tiles.seen[-1]
    last = f"{gcj_tiles.url}/{source}/{z}/{x}/{y}.png"
    wait_until(page, TILE_CACHE_SETTLED, [last, sizes, CAP_BYTES])
    cached = page.evaluate(CACHED_TILES)
    assert 0 < sum(sizes[url] for url in cached) <= CAP_BYTES
    assert not set(view) & set(cached)  # the first tiles seen (and drawn offline since) were the first to go
    assert last in cached  # the last one seen is kept


def test_the_tile_cache_is_bounded_in_bytes_and_drops_the_least_recently_used(phone, map_server, gcj_tiles):
    _, page = phone
    use_tiles(map_server, "amap")
    log_in(page, "rep1")
    wait_synced(page)
    wait_controlled(page)
    page.wait_for_function(TILES_LOADED, arg="#today-map")
    page.evaluate("location.hash = '#/accounts'")  # no map on the screen: only this test's tiles are asked for
    page.wait_for_selector("#today-map", state="detached")

    def url(x):
        return f"{gcj_tiles.url}/amap/19/{x}/200000.png"

    def load(xs):
        for x in xs:
            page.evaluate(LOAD_TILE, url(x))
        wait_until(page, TILE_CACHE_SETTLED, [url(xs[-1]), tile_sizes(gcj_tiles), CAP_BYTES])

    def size(x):
        return gcj_tiles.sizes[("amap", 19, x, 200000)]

    # Half the cap of tiles, of several sizes; the first is then drawn again: from the cache, and now the most
    # recently used (last in the cache's order).
    older = []
    while sum(size(x) for x in older) < CAP_BYTES // 2:
        x = 1000 + len(older)
        load([x])
        older.append(x)
    assert len({size(x) for x in older}) == 4
    asked = len(gcj_tiles.seen)
    page.reload()  # a new page: the image is not the one this page already holds, the worker is asked for it
    wait_controlled(page)
    page.evaluate(LOAD_TILE, url(older[0]))
    wait_until(
        page,
        "async (u) => (await (await caches.open('fieldday-tiles')).keys()).map((r) => r.url).at(-1) === u",
        url(older[0]),
    )
    assert len(gcj_tiles.seen) == asked  # drawn without the network

    # More than the cap in all: the least recently used go, down to within the cap; the tile drawn again stays.
    newer = []
    while sum(size(x) for x in newer) < CAP_BYTES // 2:
        x = 2000 + len(newer)
        load([x])
        newer.append(x)
    sizes = tile_sizes(gcj_tiles)
    cached = page.evaluate(CACHED_TILES)
    assert sum(sizes[u] for u in cached) <= CAP_BYTES
    assert url(older[0]) in cached and url(older[1]) not in cached
    assert {url(x) for x in newer} <= set(cached)
    # Counted in bytes: what is kept is the most recent tiles that fit, whatever their number.
    dropped = [x for x in older[1:] if url(x) not in cached]
    kept = [x for x in older[1:] if url(x) in cached]
    assert dropped == older[1 : 1 + len(dropped)] and kept == older[1 + len(dropped) :]


def test_the_manager_picks_the_tile_source_on_the_settings_screen_and_the_reps_map_follows(browser, map_server):
    use_tiles(map_server, "osm")
    manager = phone_context(browser, map_server.url)
    try:
        page = manager.new_page()
        log_in(page, "manager", wait=None)
        page.get_by_role("link", name="Settings").click()
        tiles = page.get_by_label("Map tiles")
        expect(tiles).to_have_value("osm")
        # 天地图 without its key is refused, the field named; nothing changes.
        tiles.select_option("tianditu")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-error")).to_contain_text("天地图 key")
        tiles.select_option("amap")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator("#settings-saved")).to_be_visible()
        expect(page.locator("#map-attribution")).to_contain_text("高德")
    finally:
        manager.close()
    rep = phone_context(browser, map_server.url)
    try:
        page = rep.new_page()
        log_in(page, "rep1")
        wait_synced(page)
        page.wait_for_selector("#today-map[data-datum='gcj02']")
        assert page.locator("#today-map").get_attribute("data-tiles") == "amap"
    finally:
        rep.close()


def test_tencent_tiles_are_asked_with_their_row_counted_from_the_south(phone, map_server, gcj_tiles):
    """腾讯's template has {-y} (a TMS row): the tile under a point is asked as 2^z - 1 - y, on GCJ-02."""
    _, page = phone
    use_tiles(map_server, "tencent")
    log_in(page, "rep1")
    wait_synced(page)
    page.wait_for_function(TILES_LOADED, arg="#today-map")
    assert page.locator("#today-map").get_attribute("data-datum") == "gcj02"
    lat, lng = today_start(page)
    drawn = centre(page, "#today-map .route-start")
    assert math.dist(drawn, page.evaluate(SCREEN_POINT, ["#today-map", *shown_as(lat, lng, "gcj02")])) < 1.0
    z = page.evaluate("document.querySelector('#today-map').fieldMap.map.getZoom()")
    x, y = tile_of(*shown_as(lat, lng, "gcj02"), z)
    assert ("tencent", z, x, 2**z - 1 - y) in gcj_tiles.seen


def test_a_new_accounts_position_tapped_on_the_gcj02_map_is_kept_in_wgs84(phone, map_server):
    """The account form's map (a prospect placed by hand) goes through the same module as every other map."""
    context, page = phone
    use_tiles(map_server, "amap")
    context.clear_permissions()  # no GPS fix to race the tap
    log_in(page, "rep1")
    wait_synced(page)
    page.evaluate("location.hash = '#/account/new'")
    page.wait_for_selector("#pick-map.leaflet-container")
    page.locator("#pick-map").scroll_into_view_if_needed()
    box = page.locator("#pick-map").bounding_box()
    tap = (round(box["x"] + 150), round(box["y"] + 80))
    page.mouse.click(*tap)
    expect(page.locator("#position-line")).to_contain_text("tap the map to move it")
    tapped = page.evaluate(MAP_POINT, ["#pick-map", *tap])
    w_lng, w_lat = datum.gcj02_to_wgs84(tapped[1], tapped[0])
    shown = [float(v) for v in re.findall(r"-?\d+\.\d{5}", page.locator("#position-line").inner_text())]
    assert abs(shown[0] - w_lat) <= 6e-6 and abs(shown[1] - w_lng) <= 6e-6, (shown, (w_lat, w_lng))
    assert metres((w_lat, w_lng), tapped) > 100


def test_a_position_corrected_offline_meets_the_servers_change_as_a_conflict_like_any_field(phone, map_server):
    context, page = phone
    use_tiles(map_server, "amap")
    log_in(page, "rep1")
    wait_synced(page)
    account = a_lone_account(page)
    page.evaluate(f"location.hash = '#/account/{account['id']}'")
    page.get_by_text("Position on the map").click()
    page.wait_for_selector("#account-map img.account-position")
    page.locator("#account-map").scroll_into_view_if_needed()
    context.set_offline(True)
    box = page.locator("#account-map").bounding_box()
    page.mouse.click(round(box["x"] + 100), round(box["y"] + 60))
    page.get_by_role("button", name="Save position").click()
    page.wait_for_selector("#position-saved")
    expect(page.locator("#position-new")).to_have_count(0)  # the preview is gone: read what the phone kept
    kept = next(
        a for a in page.evaluate("import('/js/db.js').then((m) => m.all('accounts'))") if a["id"] == account["id"]
    )
    # Meanwhile the office moves the same account.
    with map_server.app.app_context(), recorded(db.session):
        row = db.session.get(Account, uuid.UUID(account["id"]))
        row.latitude, row.longitude = row.latitude + 0.002, row.longitude + 0.002
        theirs = (row.latitude, row.longitude)
        db.session.commit()
    context.set_offline(False)
    page.locator("#sync-status").click()
    wait_synced(page, 0)
    # The server's position stands and the phone shows both, field by field, to choose from.
    conflicts = page.evaluate(IDB_GET_META, "conflicts")
    assert [sorted(c["conflicts"]) for c in conflicts if c["entity_id"] == account["id"]] == [["latitude", "longitude"]]
    assert metres(stored_account(map_server, account["id"]), theirs) < 0.01
    page.evaluate(f"location.hash = '#/accounts'; location.hash = '#/account/{account['id']}'")
    # One choice for the position, both halves together: the rep keeps theirs; the next sync takes it.
    conflict = page.locator(".conflict-field[data-field='latitude,longitude']")
    expect(conflict).to_contain_text(f"Position: yours {kept['latitude']:.6f}, {kept['longitude']:.6f}")
    expect(conflict).to_contain_text(f"the office's {theirs[0]:.6f}, {theirs[1]:.6f}")
    conflict.locator("[data-keep='mine']").click()
    expect(page.locator(".conflict-field")).to_have_count(0)
    deadline = time.monotonic() + 60
    while metres(stored_account(map_server, account["id"]), (kept["latitude"], kept["longitude"])) > 0.01:
        assert time.monotonic() < deadline, "the rep's position never reached the server"
        page.wait_for_timeout(200)
