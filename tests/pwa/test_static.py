"""The app shell as the server sends it: manifest, service worker, files, and the API kept apart."""
import json
import re

from server.pwa import PWA_DIR


def fetch(client, path):
    """GET a file and close the response (files are streamed from disk)."""
    with client.get(path) as response:
        return response.status_code, response.get_data(), response.headers


def test_root_serves_the_app_shell(client):
    status, body, headers = fetch(client, "/")
    assert status == 200 and b'<main id="view"' in body
    assert headers["Cache-Control"] == "no-cache"


def test_manifest_makes_the_app_installable(client):
    manifest = json.loads(fetch(client, "/manifest.webmanifest")[1])
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert fetch(client, icon["src"])[0] == 200, icon["src"]


def test_service_worker_precaches_every_shell_file_under_a_versioned_cache(app, client):
    body = client.get("/sw.js").get_data(as_text=True)
    build = re.search(r'const BUILD = "(\w+)";', body).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*\]);", body).group(1))
    on_disk = {"/" + p.relative_to(PWA_DIR).as_posix() for p in PWA_DIR.rglob("*")
               if p.is_file() and p.name not in ("sw.js", "README.md", "LICENSE", "LICENSE.md")}
    assert set(precache) == on_disk | {"/"}
    for path in ("/js/app.js", "/vendor/idb/idb.js", "/vendor/leaflet/leaflet.js", "/css/app.css"):
        assert path in precache and fetch(client, path)[0] == 200
    app.config["PWA_BUILD"] = "next"
    assert re.search(r'const BUILD = "(\w+)";', client.get("/sw.js").get_data(as_text=True)).group(1) != build


def test_unknown_api_paths_stay_json_and_files_stay_inside_the_app(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    for path in ("/../server/config.py", "/js/../../server/config.py", "/no-such-file.js"):
        assert fetch(client, path)[0] == 404, path


def test_every_vendored_library_is_recorded_with_version_and_licence():
    table = (PWA_DIR / "vendor" / "README.md").read_text()
    for folder in (PWA_DIR / "vendor").iterdir():
        if folder.is_dir():
            assert f"`{folder.name}/" in table, folder.name
            assert any(p.name.startswith("LICENSE") for p in folder.iterdir()), folder.name
