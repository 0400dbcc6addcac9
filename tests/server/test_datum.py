"""server/datum.py against published pairs, its iterative inverse over China, and identity outside China."""

import json
from pathlib import Path

import pytest

from server import datum

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "datum_reference.json").read_text("utf-8"))
PAIRS = REFERENCE["pairs"]
CITIES = REFERENCE["cities"]["points"]


def china_grid(step=1.0):
    """Points every `step` degrees over mainland China's extent (73.5-135 E, 18-53.5 N)."""
    lng = 73.5
    while lng <= 135:
        lat = 18.0
        while lat <= 53.5:
            yield lng, lat
            lat += step
        lng += step


def convert(point, source, target):
    return datum.from_wgs84(*datum.to_wgs84(*point, source), target)


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{p['from']}-{p['to']}-{p['a']}" for p in PAIRS])
def test_published_pairs(pair):
    got = convert(pair["a"], pair["from"], pair["to"])
    assert datum.distance_m(got, pair["b"]) < 0.05, (pair["source"], got)


@pytest.mark.parametrize("city", CITIES, ids=[c["name"] for c in CITIES])
def test_gcoord_city_fixture(city):
    for source in datum.DATUMS:
        for target in datum.DATUMS:
            got = convert(city[source], source, target)
            assert datum.distance_m(got, city[target]) < REFERENCE["cities"]["tolerance_m"], (source, target, got)


def test_gcj_shift_is_hundreds_of_metres_in_china():
    shifts = [datum.distance_m(p, datum.wgs84_to_gcj02(*p)) for p in china_grid(2.0)]
    assert min(shifts) > 10 and max(shifts) < 800
    shanghai = (121.4737, 31.2304)
    assert datum.distance_m(shanghai, datum.wgs84_to_gcj02(*shanghai)) > 300


def test_round_trips_over_china_within_half_a_metre():
    worst_gcj = worst_bd = 0.0
    for p in china_grid(0.5):
        worst_gcj = max(worst_gcj, datum.distance_m(p, datum.gcj02_to_wgs84(*datum.wgs84_to_gcj02(*p))))
        worst_bd = max(worst_bd, datum.distance_m(p, datum.bd09_to_wgs84(*datum.wgs84_to_bd09(*p))))
        # The inverse from the other side: a GCJ-02 point read off a map comes back onto itself.
        back = datum.wgs84_to_gcj02(*datum.gcj02_to_wgs84(*p))
        assert datum.distance_m(p, back) < 0.5, p
    assert worst_gcj < 0.5 and worst_bd < 0.5, (worst_gcj, worst_bd)


def test_inverse_beats_the_one_step_approximation():
    """The one-step inverse (WGS = GCJ - shift(GCJ)) is metres off; the module's must be centimetres."""
    worst_one_step = worst = 0.0
    for p in china_grid(1.0):
        g = datum.wgs84_to_gcj02(*p)
        shifted = datum.wgs84_to_gcj02(*g)
        one_step = (2 * g[0] - shifted[0], 2 * g[1] - shifted[1])
        worst_one_step = max(worst_one_step, datum.distance_m(p, one_step))
        worst = max(worst, datum.distance_m(p, datum.gcj02_to_wgs84(*g)))
    assert worst_one_step > 1.0
    assert worst < 0.05


@pytest.mark.parametrize(
    "point",
    [(-0.1276, 51.5072), (139.6917, 35.6895), (-74.006, 40.7128), (151.2093, -33.8688), (0.0, 0.0), (180.0, 90.0)],
    ids=["london", "tokyo", "new-york", "sydney", "null-island", "pole"],
)
def test_identity_outside_china(point):
    assert not datum.in_china(*point)
    for source in datum.DATUMS:
        for target in datum.DATUMS:
            assert convert(point, source, target) == point


def test_near_the_rectangle_edge_ends():
    """A GCJ-02 point just inside the rectangle whose WGS-84 lies outside it: the inverse still ends nearby."""
    p = (72.0045, 30.0)
    got = datum.gcj02_to_wgs84(*p)
    assert datum.distance_m(p, got) < 1000


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("WGS-84", "wgs84"), ("wgs84", "wgs84"), ("", "wgs84"), (None, "wgs84"), ("GCJ-02", "gcj02"), ("gcj02", "gcj02")]
    + [("BD-09", "bd09"), ("bd09ll", "bd09"), ("Baidu", None), ("utm", None)],
)
def test_normalise(spelling, name):
    if name is None:
        with pytest.raises(ValueError):
            datum.normalise(spelling)
    else:
        assert datum.normalise(spelling) == name


@pytest.mark.parametrize("point", [(float("nan"), 30.0), (121.0, 91.0), (181.0, 30.0), (float("inf"), 0.0)])
def test_not_a_position(point):
    with pytest.raises(ValueError):
        datum.to_wgs84(*point, "gcj02")
