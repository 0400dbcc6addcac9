"""Lighthouse on the field app, as a new user and a rep at the start of the day would meet it:

    make bench

the login page cold (empty cache, no service worker), a rep's Today warm and the manager's Team screen warm
(logged in, synced, the service worker installed), each with Lighthouse's mobile emulation and simulated
throttling, in Debian's Chromium. Prints the performance score, LCP and total blocking time of each (median of
BENCH_LIGHTHOUSE_RUNS, 3 by default).
Lighthouse is the npm package pinned in tests/benchmarks/lighthouse/ (its node_modules/.bin/lighthouse, which
`make bench` installs, or LIGHTHOUSE=path).
Nothing is asserted: compare runs on one machine.
"""

import json
import os
import socket
import statistics
import subprocess
from pathlib import Path

import pytest

from server import pwa
from tests.pwa.conftest import PASSWORD, chromium_path, start_live_server, today_local, wait_synced

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))


def lighthouse_bin():
    path = os.environ.get("LIGHTHOUSE") or str(
        ROOT / "tests" / "benchmarks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
    )
    return path if Path(path).exists() else None


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("lighthouse"), today_local(), weeks=1)
    pwa.warm()  # as a serving worker does at start (wsgi.py): the files are compressed before the first audit
    yield server
    server.stop()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def audit(url, out, port=None):
    """One Lighthouse run (performance only): (score, LCP ms, TBT ms). With `port`, in the Chromium already
    listening there, its storage kept (a warm run); without, in a fresh Chromium of Lighthouse's own."""
    command = [
        lighthouse_bin(),
        url,
        "--only-categories=performance",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    if port:
        command += [f"--port={port}", "--disable-storage-reset"]
    else:
        command += ["--chrome-flags=--headless=new --no-sandbox"]
    env = {**os.environ, "CHROME_PATH": chromium_path()}
    subprocess.run(command, check=True, env=env, timeout=300, capture_output=True)
    report = json.loads(Path(out).read_text())
    if os.environ.get("BENCH_LIGHTHOUSE_KEEP"):  # a folder to keep the reports in, to read them whole
        keep = Path(os.environ["BENCH_LIGHTHOUSE_KEEP"])
        keep.mkdir(parents=True, exist_ok=True)
        (keep / Path(out).name).write_text(Path(out).read_text())
    audits = report["audits"]
    print(f"  {url}: {diagnosis(audits)}")
    return (
        round(report["categories"]["performance"]["score"] * 100),
        audits["largest-contentful-paint"]["numericValue"],
        audits["total-blocking-time"]["numericValue"],
    )


def diagnosis(audits):
    """What Lighthouse names as the LCP element, the render-blocking files and the longest main-thread tasks."""
    element = next(
        (
            item.get("node", {}).get("snippet", "")
            for table in audits.get("largest-contentful-paint-element", {}).get("details", {}).get("items", [])
            for item in table.get("items", [])
            if item.get("node")
        ),
        "?",
    )
    blocking = [
        f"{item['url'].rsplit('/', 1)[-1]} {item.get('wastedMs', 0):.0f} ms"
        for item in audits.get("render-blocking-resources", {}).get("details", {}).get("items", [])
    ]
    tasks = [
        f"{item['duration']:.0f} ms" for item in audits.get("long-tasks", {}).get("details", {}).get("items", [])[:3]
    ]
    return f"LCP element {element[:90]}; render-blocking [{', '.join(blocking)}]; long tasks [{', '.join(tasks)}]"


def summary(label, runs):
    scores, lcps, tbts = zip(*runs, strict=True)
    print(
        f"Lighthouse {label}: performance {statistics.median(scores):.0f} (runs {', '.join(map(str, scores))}), "
        f"LCP {statistics.median(lcps) / 1000:.2f} s, TBT {statistics.median(tbts):.0f} ms (median of {len(runs)})"
    )


# What is on each warm screen once it has drawn: Today's plan (or its Plan button), the Team screen's first table.
WARM = {
    "today": ("rep1", "#route, #plan-today, #day-over", "Today"),
    "team": ("manager", "#report-time-ratios table:not(.chart-data)", "Team (the manager's screen)"),
}


def warm_runs(server, folder, screen):
    """Lighthouse runs on a screen warm: its user logged in and synced in a Chromium of its own, the service
    worker in control, then each audit in that Chromium with its storage kept."""
    from playwright.sync_api import sync_playwright

    username, drawn, _ = WARM[screen]
    port = free_port()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(folder / f"profile-{screen}"),
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", f"--remote-debugging-port={port}"],
            viewport={"width": 360, "height": 740},
        )
        try:
            page = context.new_page()
            page.goto(server.url + "/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector(drawn)
            wait_synced(page)
            # Polled with evaluate: the page's CSP (kept as served, so that Lighthouse measures it) refuses the
            # string evaluation wait_for_function's polling uses.
            for _ in range(300):
                if page.evaluate("() => navigator.serviceWorker.controller !== null"):
                    break
                page.wait_for_timeout(100)
            else:
                raise AssertionError("the service worker never took control of the page")
            page.wait_for_timeout(1000)  # the precache settles
            return [audit(f"{server.url}/#/{screen}", folder / f"{screen}-{i}.json", port) for i in range(RUNS)]
        finally:
            context.close()


def test_lighthouse_figures(demo_server, tmp_path):
    if not lighthouse_bin() or not chromium_path():
        pytest.skip("Lighthouse (npm ci: package.json pins it) or Chromium is missing")
    print()
    summary("login page, cold", [audit(demo_server.url + "/", tmp_path / f"cold-{i}.json") for i in range(RUNS)])
    for screen, (_, _, label) in WARM.items():
        summary(f"{label}, warm (logged in, service worker installed)", warm_runs(demo_server, tmp_path, screen))
