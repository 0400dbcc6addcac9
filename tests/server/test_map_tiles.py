"""The map's tile source as a team setting (server/tiles.py): each source with its datum and attribution,
天地图 only with its key, the deployment's URL for a source (a mirror, a test's fake) reaching the phone,
and the Content-Security-Policy letting in every source a team may pick."""

from server import tiles
from server.extensions import db
from server.headers import policy
from server.models import Team


def team_id(app, name):
    with app.app_context():
        return db.session.scalar(db.select(Team.id).where(Team.name == name))


def test_each_source_has_its_datum_and_attribution_and_the_catalogue_its_origins():
    config = {"MAP_TILE_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}
    osm, amap = tiles.resolve(config, "osm"), tiles.resolve(config, "amap")
    assert (osm["datum"], osm["url"]) == ("wgs84", config["MAP_TILE_URL"])
    assert amap["datum"] == "gcj02" and "高德" in amap["attribution"] and amap["subdomains"] == "1234"
    assert tiles.resolve(config, "tencent")["datum"] == "gcj02" and "{-y}" in tiles.resolve(config, "tencent")["url"]
    tdt = tiles.resolve(config, "tianditu", "abc123")
    assert tdt["datum"] == "wgs84" and tdt["url"].endswith("tk=abc123") and "T=cva_w" in tdt["overlay_url"]
    assert tdt["overlay_url"].endswith("tk=abc123")
    # An unknown name (a row from a newer version) falls back to the default, never to nothing.
    assert tiles.resolve(config, "bing")["source"] == "osm"
    assert tiles.origin("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == "https://*.is.autonavi.com"
    assert tiles.origin("https://t{s}.tianditu.gov.cn/DataServer") == "https://*.tianditu.gov.cn"
    assert tiles.origin("http://127.0.0.1:8123/amap/{z}/{x}/{y}.png") == "http://127.0.0.1:8123"
    assert tiles.origin("") == ""


def test_the_policy_lets_in_every_source_for_images_and_the_service_workers_fetch(app):
    csp = policy(app.config)
    img = next(part for part in csp.split("; ") if part.startswith("img-src"))
    connect = next(part for part in csp.split("; ") if part.startswith("connect-src"))
    for origin in (
        "https://tile.openstreetmap.org",
        "https://*.is.autonavi.com",
        "https://*.map.gtimg.com",
        "https://*.tianditu.gov.cn",
    ):
        assert origin in img.split() and origin in connect.split()


def test_a_team_picks_its_source_and_the_phone_gets_it_with_the_other_settings(client, app, world):
    north = team_id(app, "North")
    app.config["MAP_TILE_URL_AMAP"] = "http://127.0.0.1:9/amap/{z}/{x}/{y}.png"
    before = client.get("/api/settings", headers=world.headers("r1")).get_json()
    assert before["map_tiles"] == "osm" and before["map"]["datum"] == "wgs84" and before["map_tile_key"] is None
    done = client.patch(f"/api/teams/{north}/settings", json={"map_tiles": "amap"}, headers=world.headers("m1"))
    assert done.status_code == 200, done.get_json()
    mine = client.get("/api/settings", headers=world.headers("r1")).get_json()
    assert mine["map_tiles"] == "amap" and mine["changed_by"] == str(world.users["m1"])
    assert mine["map"] == {
        "source": "amap",
        "datum": "gcj02",
        "url": "http://127.0.0.1:9/amap/{z}/{x}/{y}.png",
        "overlay_url": "",
        "attribution": tiles.SOURCES["amap"].attribution,
        "subdomains": "1234",
        "max_zoom": 18,
    }
    # The other team is untouched.
    assert client.get("/api/settings", headers=world.headers("r3")).get_json()["map_tiles"] == "osm"


def test_tianditu_needs_its_key_and_bad_values_are_refused_per_field(client, app, world):
    north = team_id(app, "North")
    m1 = world.headers("m1")
    no_key = client.patch(f"/api/teams/{north}/settings", json={"map_tiles": "tianditu"}, headers=m1)
    assert no_key.status_code == 422 and "map_tiles" in no_key.get_json()["error"]["fields"]
    unknown = client.patch(f"/api/teams/{north}/settings", json={"map_tiles": "baidu"}, headers=m1)
    assert unknown.status_code == 422 and "map_tiles" in unknown.get_json()["error"]["fields"]
    bad_key = client.patch(f"/api/teams/{north}/settings", json={"map_tile_key": "a b/c"}, headers=m1)
    assert bad_key.status_code == 422 and "map_tile_key" in bad_key.get_json()["error"]["fields"]
    ok = client.patch(f"/api/teams/{north}/settings", json={"map_tiles": "tianditu", "map_tile_key": "k3y"}, headers=m1)
    assert ok.status_code == 200 and ok.get_json()["map"]["url"].endswith("tk=k3y")
    # The key cannot be taken away while 天地图 is the source.
    gone = client.patch(f"/api/teams/{north}/settings", json={"map_tile_key": None}, headers=m1)
    assert gone.status_code == 422 and "map_tile_key" in gone.get_json()["error"]["fields"]
    rep = client.patch(f"/api/teams/{north}/settings", json={"map_tiles": "osm"}, headers=world.headers("r1"))
    assert rep.status_code == 403
