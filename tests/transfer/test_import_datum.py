"""Account imports take the datum of their positions (wgs84, gcj02, bd09) and store WGS-84."""

import io
import json
import time
from pathlib import Path

from sqlalchemy import select

from server import datum
from server.extensions import db
from server.models import Account

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "datum_reference.json").read_text("utf-8"))
# Published pairs: eviltransform's Shanghai point (WGS-84 -> GCJ-02) and gcoord's README point (WGS-84 -> BD-09).
SHANGHAI = next(p for p in REFERENCE["pairs"] if "shanghai" in p["source"])
BEIJING_BD = next(p for p in REFERENCE["pairs"] if p["source"] == "gcoord README")
HEADER = "external_key,name,address,latitude,longitude,class,owner\n"


def _post(client, world, content, query=""):
    return client.post(
        f"/api/imports/accounts{query}",
        headers=world.headers("m1"),
        data={"file": (io.BytesIO(content.encode()), "accounts.csv")},
        content_type="multipart/form-data",
    )


def _stored(app, key):
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.external_key == key))
        return account.longitude, account.latitude


def _row(key, point, extra=""):
    lng, lat = point
    return f"{key},Account {key},Road {key},{lat},{lng},B,r1{extra}\n"


def test_a_gcj02_file_is_stored_as_wgs84_and_a_reimport_changes_nothing(app, client, world):
    content = HEADER + _row("D1", SHANGHAI["b"]) + _row("D2", (-0.1276, 51.5072))
    answer = _post(client, world, content, "?datum=gcj02")
    assert answer.status_code == 200 and answer.get_json()["created"] == 2, answer.get_json()
    stored = _stored(app, "D1")
    assert datum.distance_m(stored, SHANGHAI["a"]) < 0.5  # the published WGS-84 of that GCJ-02 point
    assert datum.distance_m(stored, SHANGHAI["b"]) > 300  # not the file's raw numbers
    assert _stored(app, "D2") == (-0.1276, 51.5072)  # outside China nothing moves
    again = _post(client, world, content, "?datum=gcj02").get_json()
    assert (again["unchanged"], again["updated"]) == (2, 0)


def test_without_a_datum_the_file_is_wgs84_as_before(app, client, world):
    answer = _post(client, world, HEADER + _row("D3", SHANGHAI["b"]))
    assert answer.status_code == 200
    assert _stored(app, "D3") == tuple(SHANGHAI["b"])


def test_a_datum_column_says_each_rows_datum_in_either_language(app, client, world):
    content = (
        "external_key,name,address,latitude,longitude,class,owner,坐标系\n"
        + _row("D4", SHANGHAI["b"], ",GCJ-02")
        + _row("D5", BEIJING_BD["b"], ",bd09")
        + _row("D6", SHANGHAI["a"], ",")  # empty: the import's datum (here WGS-84)
    )
    answer = _post(client, world, content)
    assert answer.status_code == 200 and answer.get_json()["created"] == 3, answer.get_json()
    assert answer.get_json()["warnings"] == []  # the column is known, not ignored
    assert datum.distance_m(_stored(app, "D4"), SHANGHAI["a"]) < 0.5
    assert datum.distance_m(_stored(app, "D5"), BEIJING_BD["a"]) < 0.5
    assert _stored(app, "D6") == tuple(SHANGHAI["a"])


def test_an_unknown_datum_is_refused(app, client, world):
    answer = _post(client, world, HEADER.replace("\n", ",datum\n") + _row("D7", SHANGHAI["b"], ",utm"))
    assert answer.status_code == 422
    [error] = answer.get_json()["error"]["report"]["errors"]
    assert (error["row"], error["field"]) == (2, "datum")
    assert _post(client, world, HEADER + _row("D8", SHANGHAI["b"]), "?datum=mars").status_code == 422


def test_a_background_import_keeps_the_datum(app, client, world):
    answer = _post(client, world, HEADER + _row("D9", BEIJING_BD["b"]), "?datum=bd09&background=true")
    assert answer.status_code == 202
    deadline = time.monotonic() + 60
    while (job := client.get(answer.headers["Location"], headers=world.headers("m1")).get_json())["status"] not in (
        "done",
        "failed",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "done" and job["report"]["created"] == 1, job
    assert datum.distance_m(_stored(app, "D9"), BEIJING_BD["a"]) < 0.5


def test_the_command_line_import_takes_the_datum(app, runner, world, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + _row("D10", SHANGHAI["b"]), encoding="utf-8")
    result = runner.invoke(args=["import-accounts", str(path), "--datum", "gcj02"])
    assert result.exit_code == 0, result.output
    assert datum.distance_m(_stored(app, "D10"), SHANGHAI["a"]) < 0.5
