"""gunicorn on a free local port, as a production host runs the app, for the benchmarks that load it."""

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Served:
    port: int
    pid: int  # gunicorn's master; its workers are its children


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(port, server, seconds=180):
    """Until gunicorn answers the health check: its master accepts connections at once, but a worker takes
    seconds to import the app (tens of seconds on a busy machine), and a run must not time its first
    requests against workers still starting."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer the health check within {seconds} s")


@contextlib.contextmanager
def gunicorn(database_url, folder, workers, threads=4, config=None, root=ROOT, **env):
    """Serve `wsgi:app` from the checkout at `root` on `database_url` with `workers` processes of `threads`
    threads (and gunicorn's `config` file, if any); yield its port and pid once /api/health answers, and stop
    it (its log is `folder`/gunicorn.log) however the block ends."""
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": "bench-secret-key-long-enough-for-hs256",
        "FIELDDAY_INSTANCE": str(Path(folder) / "instance"),
        "PYTHONPATH": str(root),
        **env,
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads)]
    if config is not None:
        command += ["-c", str(config)]
    with open(Path(folder) / "gunicorn.log", "wb") as log:
        server = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=root, env=environ, stdout=log, stderr=log
        )
        try:
            _wait_until_serving(port, server)
            yield Served(port, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
