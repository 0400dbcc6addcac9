"""pwa/js/datum.js in Chromium: the published pairs, round trips, identity outside China, and agreement
with the server's server/datum.py within 0.5 m."""

import pytest

from server import datum
from tests.server.test_datum import CITIES, PAIRS, REFERENCE, china_grid

CONVERT = """async ([points, source, target]) => {
  const d = await import('/js/datum.js');
  return points.map((p) => d.fromWgs84(d.toWgs84(p, source), target));
}"""


def phone(page, points, source, target):
    return page.evaluate(CONVERT, [[list(p) for p in points], source, target])


def test_published_pairs(module_page):
    for pair in PAIRS:
        [got] = phone(module_page, [pair["a"]], pair["from"], pair["to"])
        assert datum.distance_m(got, pair["b"]) < 0.05, (pair["source"], got)


def test_gcoord_city_fixture(module_page):
    for source in datum.DATUMS:
        for target in datum.DATUMS:
            got = phone(module_page, [c[source] for c in CITIES], source, target)
            for city, point in zip(CITIES, got, strict=True):
                assert datum.distance_m(point, city[target]) < REFERENCE["cities"]["tolerance_m"], (
                    city["name"],
                    source,
                )


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in datum.DATUMS for t in datum.DATUMS if s != t])
def test_phone_agrees_with_the_server_over_china(module_page, source, target):
    points = list(china_grid(1.0))
    got = phone(module_page, points, source, target)
    worst = max(
        datum.distance_m(p, datum.from_wgs84(*datum.to_wgs84(*q, source), target))
        for p, q in zip(got, points, strict=True)
    )
    assert worst < 0.5, worst


def test_round_trips_and_shift_on_the_phone(module_page):
    result = module_page.evaluate(
        """async (points) => {
          const d = await import('/js/datum.js');
          let gcj = 0, bd = 0, minShift = Infinity;
          for (const p of points) {
            gcj = Math.max(gcj, d.distanceM(p, d.gcj02ToWgs84(d.wgs84ToGcj02(p))));
            bd = Math.max(bd, d.distanceM(p, d.bd09ToWgs84(d.wgs84ToBd09(p))));
            minShift = Math.min(minShift, d.distanceM(p, d.wgs84ToGcj02(p)));
          }
          return { gcj, bd, minShift };
        }""",
        [list(p) for p in china_grid(0.5)],
    )
    assert result["gcj"] < 0.5 and result["bd"] < 0.5, result
    assert result["minShift"] > 10, result


def test_identity_outside_china(module_page):
    points = [[-0.1276, 51.5072], [139.6917, 35.6895], [-74.006, 40.7128], [151.2093, -33.8688], [0, 0]]
    for source in datum.DATUMS:
        for target in datum.DATUMS:
            assert phone(module_page, points, source, target) == points, (source, target)


def test_inverse_near_the_rectangle_edge_ends(module_page):
    """gcoord's own GCJ-02 inverse loops forever here; the module's must answer (in a worker, given 3 s)."""
    result = module_page.evaluate(
        """async () => {
          const source = `import { gcj02ToWgs84 } from '${location.origin}/js/datum.js';
                          postMessage(gcj02ToWgs84([72.0045, 30]));`;
          const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
                                    { type: 'module' });
          const answer = await Promise.race([
            new Promise((ok) => { worker.onmessage = (e) => ok(e.data); }),
            new Promise((ok) => setTimeout(() => ok('hung'), 3000)),
          ]);
          worker.terminate();
          return answer;
        }"""
    )
    assert result != "hung"
    assert datum.distance_m(result, (72.0045, 30)) < 1000


def test_unknown_datum_and_bad_points_throw(module_page):
    errors = module_page.evaluate(
        """async () => {
          const d = await import('/js/datum.js');
          const out = [];
          for (const f of [() => d.toWgs84([121, 31], 'utm'), () => d.fromWgs84([NaN, 31], 'gcj02'),
                           () => d.wgs84ToGcj02([121, 95]), () => d.gcj02ToWgs84(null)]) {
            try { f(); out.push(null); } catch (e) { out.push(e.name); }
          }
          return out;
        }"""
    )
    assert errors == ["RangeError"] * 4
