"""The app shell as the server sends it: manifest, service worker, files, and the API kept apart."""

import base64
import gzip
import hashlib
import json
import re

import brotli
import pytest

from server import assets
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
    on_disk = {
        "/" + p.relative_to(PWA_DIR).as_posix()
        for p in PWA_DIR.rglob("*")
        if p.is_file()
        and p.name not in ("sw.js", "README.md", "LICENSE", "LICENSE.md")
        and p.relative_to(PWA_DIR).parts[0] != "screenshots"
    }
    # DingTalk's JS API is fetched only inside DingTalk, online: not precached for every phone (but served).
    online_only = {p for p in on_disk if p.startswith("/vendor/dingtalk-jsapi/")}
    assert online_only == {"/vendor/dingtalk-jsapi/dingtalk.open.js"}
    assert fetch(client, "/vendor/dingtalk-jsapi/dingtalk.open.js")[0] == 200
    # Each file at its versioned URL: the version is a hash of the bytes the file has now.
    paths = {url.split("?v=")[0] for url in precache}
    assert paths == (on_disk - {"/index.html"} - online_only) | {"/"} and len(precache) == len(paths)
    for url in precache[1:]:
        path, version = url.split("?v=")
        assert version == hashlib.sha256((PWA_DIR / path.lstrip("/")).read_bytes()).hexdigest()[:10], url
    # Views and libraries the app loads on demand are precached too (offline, every screen works);
    # the README's screenshots are not.
    lazy = ("/js/views/team.js", "/js/lazy.js", "/vendor/chartjs/chart.umd.min.js", "/vendor/leaflet/leaflet.css")
    assert set(lazy) <= paths
    assert not [p for p in paths if p.startswith("/screenshots/")]
    assert any((PWA_DIR / "screenshots").glob("*.png"))  # there are some to leave out
    for path in ("/js/app.js", "/vendor/idb/idb.js", "/vendor/leaflet/leaflet.js", "/css/app.css"):
        assert path in paths and fetch(client, path)[0] == 200
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


@pytest.mark.parametrize(
    "path", ["/js/app.js", "/css/app.css", "/vendor/chartjs/chart.umd.min.js", "/manifest.webmanifest", "/sw.js", "/"]
)
def test_files_go_out_brotli_or_gzip_compressed_as_accepted_and_decompress_to_the_same_bytes(client, path):
    status, stored, headers = fetch_with(client, path, {"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and "Accept-Encoding" in headers["Vary"]
    if path not in ("/", "/sw.js"):  # those two are generated (versioned links, the precache list)
        assert stored == (PWA_DIR / path.lstrip("/")).read_bytes()
    tags = {headers["ETag"]}
    for accept, encoding, unpack in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("br;q=0.5, gzip", "br", brotli.decompress),
        ("gzip, deflate", "gzip", gzip.decompress),
        ("gzip, br;q=0", "gzip", gzip.decompress),
    ):
        suffix = {"br": "br", "gzip": "gz"}[encoding]
        status, packed, headers = fetch_with(client, path, {"Accept-Encoding": accept})
        assert status == 200 and headers["Content-Encoding"] == encoding, accept
        assert "Accept-Encoding" in headers["Vary"]
        assert len(packed) < len(stored) and unpack(packed) == stored
        assert int(headers["Content-Length"]) == len(packed)
        # Strong ETags, one per representation; the security headers stay on compressed answers.
        assert not headers["ETag"].startswith("W/") and headers["ETag"].endswith(f'-{suffix}"')
        assert headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in headers
        tags.add(headers["ETag"])
    assert len(tags) == 3
    assert fetch_with(client, path, {"Accept-Encoding": "gzip;q=0, br;q=0"})[1] == stored


def test_brotli_is_computed_once_per_file_and_kept_only_when_smaller(client):
    png = PWA_DIR / "icons" / "icon-192.png"
    assert assets.variants(png).packed == {}  # compressed pictures are sent as they are
    status, _, headers = fetch_with(client, "/icons/icon-192.png", {"Accept-Encoding": "br, gzip"})
    assert status == 200 and "Content-Encoding" not in headers and "Vary" not in headers
    js = PWA_DIR / "js" / "app.js"
    assert assets.variants(js) is assets.variants(js)  # not computed again while the file is unchanged


def test_a_file_asked_for_by_its_version_is_kept_a_year_and_anything_else_is_asked_about(client):
    version = hashlib.sha256((PWA_DIR / "js/app.js").read_bytes()).hexdigest()[:10]
    status, body, headers = fetch_with(client, f"/js/app.js?v={version}", {"Accept-Encoding": "br"})
    assert status == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert brotli.decompress(body) == (PWA_DIR / "js/app.js").read_bytes()
    # Without a version, or with one the file no longer has: the file as it is now, revalidated before each use.
    for url in ("/js/app.js", "/js/app.js?v=0123456789", "/", "/sw.js", "/manifest.webmanifest"):
        status, body, headers = fetch_with(client, url, {"Accept-Encoding": "br"})
        assert status == 200 and headers["Cache-Control"] == "no-cache", url


def test_an_unchanged_file_revalidates_with_a_304(client):
    for path in ("/js/app.js", "/", "/sw.js"):
        for encoding in ("identity", "gzip", "br"):
            status, body, headers = fetch_with(client, path, {"Accept-Encoding": encoding})
            assert status == 200 and body
            status, body, again = fetch_with(
                client, path, {"Accept-Encoding": encoding, "If-None-Match": headers["ETag"]}
            )
            assert status == 304 and body == b"" and again["ETag"] == headers["ETag"], (path, encoding)
            assert again["Cache-Control"] == "no-cache"
    assert fetch_with(client, "/js/app.js", {"If-None-Match": '"something-else"'})[0] == 200


def test_the_shell_links_versioned_files_and_maps_every_module_to_its_version(client):
    _, html, headers = fetch_with(client, "/", {"Accept-Encoding": "identity"})
    html = html.decode()
    version = {
        "/" + p.relative_to(PWA_DIR).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
        for p in PWA_DIR.rglob("*")
        if p.is_file()
    }
    # The stylesheet is in the shell itself (the first paint waits for no other file), as the file has it.
    assert f'<style id="app-css">{(PWA_DIR / "css" / "app.css").read_text()}</style>' in html
    assert "/css/app.css" not in html.split('<script type="importmap">')[0]
    assert f'<script type="module" src="/js/app.js?v={version["/js/app.js"]}"></script>' in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html  # the installed app's identity
    mapped = re.search(r'<script type="importmap">(.*?)</script>', html).group(1)
    imports = json.loads(mapped)["imports"]
    modules = {p for p in version if p.endswith((".js", ".mjs")) and p != "/sw.js"}
    assert modules <= set(imports)
    for path, url in imports.items():
        assert url == f"{path}?v={version[path]}", path
    # The import map and the script choosing what the shell paints are the only inline scripts, and run only
    # because the policy names their hashes.
    boot = re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)
    digests = [base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() for text in (boot, mapped)]
    csp = headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digests[0]}' 'sha256-{digests[1]}';" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]
    assert html.count("<script") == 3


def test_the_shell_paints_without_scripts_and_loads_no_library_up_front(client):
    html = fetch(client, "/")[1].decode()
    body = re.sub(r'<script type="importmap">.*?</script>', "", html, flags=re.DOTALL)  # what loads, not the map
    loads = re.findall(r'\b(?:src|href)="([^"]+)"', body)
    assert not [url for url in loads if "chart" in url or "leaflet" in url]  # loaded when a chart or a map draws
    assert re.search(r'<button id="sync-status"[^>]*>[^<]+</button>', html)  # text before any module runs
    assert 'class="card skeleton shell-screen"' in html and body.count('<script type="module"') == 1
    # The login form too, in both languages, its words the catalogues' (the app shows the same words).
    for language in ("en", "zh-CN"):
        catalogue = (PWA_DIR / "js" / "i18n" / f"{language}.js").read_text()
        for key in ("login.title", "login.username", "login.password", "login.submit"):
            words = re.search(rf'"{re.escape(key)}": "([^"]*)"', catalogue).group(1)
            spans = re.search(rf'data-t="{re.escape(key)}"[^>]*>((?:<span lang="[^"]+">[^<]*</span>)+)<', html).group(1)
            assert dict(re.findall(r'<span lang="([^"]+)">([^<]*)</span>', spans))[language] == words, (language, key)


def fetch_with(client, path, headers):
    with client.get(path, headers=headers) as response:
        return response.status_code, response.get_data(), response.headers
