"""Travel-time providers: geodesic by default, OSRM's table service when OSRM_URL is set (a local fake here)."""

import pytest

from routing.matrix import GeodesicProvider, OSRMProvider, provider_from_config
from tests.fake_http import json_server


@pytest.fixture
def fake_osrm():
    """Answers every table with 600 s between distinct points, except when told to fail."""
    state = {"calls": [], "fail": False}

    def answer(path):
        state["calls"].append(path)
        if state["fail"]:
            return 503, {"code": "Unavailable"}
        n = len(path.split("/table/v1/driving/")[1].split("?")[0].split(";"))
        durations = [
            [0 if i == j else (None if state.get("gap") == (i, j) else 600.4) for j in range(n)] for i in range(n)
        ]
        return 200, {"code": "Ok", "durations": durations}

    with json_server(answer) as url:
        yield url, state


POINTS = [(31.23, 121.47), (31.20, 121.44), (31.25, 121.50)]


def test_osrm_durations_are_used_and_cached(fake_osrm):
    url, state = fake_osrm
    provider = OSRMProvider(url)
    matrix = provider(POINTS)
    assert matrix == ((0, 600, 600), (600, 0, 600), (600, 600, 0))
    assert state["calls"][0].startswith("/table/v1/driving/121.470000,31.230000;121.440000,31.200000;")
    provider(POINTS)
    assert len(state["calls"]) == 1


def test_unroutable_pairs_and_a_failing_server_fall_back_to_geodesic(fake_osrm, caplog):
    url, state = fake_osrm
    geodesic = GeodesicProvider()(POINTS)
    state["gap"] = (0, 2)
    assert OSRMProvider(url)(POINTS)[0][2] == geodesic[0][2]
    state["fail"] = True
    assert OSRMProvider(url)(POINTS) == geodesic
    assert "OSRM table failed" in caplog.text


def test_the_app_plans_with_osrm_when_configured(app, client, world, fake_osrm, clock):
    clock.set("2026-11-10T07:00:00+08:00")  # the morning of the day planned: a past day is not planned
    url, state = fake_osrm
    app.config["OSRM_URL"] = url
    assert isinstance(provider_from_config(app.config), OSRMProvider)
    plan = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1")).get_json()
    assert state["calls"] and plan["stops"][0]["travel_minutes"] == 10  # 600 s from home to the first stop
    assert plan["total_travel_s"] == 1200  # there and back
