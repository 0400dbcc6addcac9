"""An independent sync load client: N simulated reps against a running server, in a process of its own (threads
inside it), so the server's interpreter and its start-up never share a GIL with the load.

    python -m tests.benchmarks.loadclient --port 8000 --reps 100 --seconds 60 --acked acked.txt

Each rep logs in (rep1 ... repN, password `bench-password` as `server.demo.seed` makes them), lists its
accounts and takes its first sync's snapshot; once every rep is ready they all start together: push a new
visit (with whatever an earlier push left unacknowledged), pull the changes after its cursor, repeat until
the window closes. Each rep holds one keep-alive connection, as a phone behind the reverse proxy does, and
opens a new one when the server closed it (counted as `reconnects`, the request sent again: a push is
idempotent by its mutations' ids and seqs).

Prints, per endpoint, requests, p50 / p95 / p99 and errors (5xx, or no answer), the window's requests per
second, and as its last line the same as JSON; the ids of the visits whose push was answered 200 go to
`--acked` (one a line) for the caller to compare with what the database stored.
"""

import argparse
import http.client
import json
import sys
import threading
import time
import uuid

PASSWORD = "bench-password"
ENDPOINTS = ("login", "accounts", "snapshot", "push", "pull")


class Figures:
    """Latencies and errors per endpoint, from every rep's thread."""

    def __init__(self):
        self.latency = {name: [] for name in ENDPOINTS}
        self.errors = dict.fromkeys(ENDPOINTS, 0)
        self.reconnects = 0
        self.lock = threading.Lock()

    def add(self, endpoint, seconds, failed):
        with self.lock:  # list.append is atomic, the counters are not
            self.latency[endpoint].append(seconds)
            self.errors[endpoint] += failed

    def summary(self, endpoints, elapsed):
        out = {"endpoints": {}, "seconds": elapsed}
        for name in endpoints:
            values = sorted(self.latency[name])
            out["endpoints"][name] = {
                "requests": len(values),
                "errors": self.errors[name],
                **{f"p{q}": _percentile(values, q) for q in (50, 95, 99)},
            }
        requests = sum(e["requests"] for e in out["endpoints"].values())
        out["requests"] = requests
        out["errors"] = sum(e["errors"] for e in out["endpoints"].values())
        out["req_per_s"] = requests / elapsed if elapsed else 0.0
        return out


def _percentile(values, q):
    """The q-th percentile (nearest rank) in milliseconds; None when there are no values."""
    if not values:
        return None
    return 1000 * values[max(0, min(len(values) - 1, -(-len(values) * q // 100) - 1))]


class Rep(threading.Thread):
    """One simulated rep (see the module's docstring)."""

    def __init__(self, port, username, figures, go, deadline, think_s=0.0):
        super().__init__(daemon=True)
        self.port, self.username, self.figures, self.go, self.deadline = port, username, figures, go, deadline
        self.think_s = think_s  # the pause after each pull (0: the next push at once, the server's capacity)
        self.client_id, self.seq, self.cursor, self.conn = str(uuid.uuid4()), 0, None, None
        self.acked = []
        self.ready = threading.Event()  # logged in (or failed to): the sync loop waits for `go`

    def _send(self, method, path, body, headers):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def request(self, endpoint, method, path, body=None, auth=None):
        headers = {"Content-Type": "application/json", **(auth or {})}
        body = json.dumps(body) if body is not None else None
        t0 = time.perf_counter()
        try:
            try:
                status, data = self._send(method, path, body, headers)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the server closed the kept-alive connection: once more on a new one
                with self.figures.lock:
                    self.figures.reconnects += 1
                status, data = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.close()
            status, data = 0, b""
        self.figures.add(endpoint, time.perf_counter() - t0, status >= 500 or status == 0)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def snapshot(self, auth):
        """Take the first sync's snapshot, every page, as a phone does once: the run then times reps
        that sync what changed since (the first sync has a benchmark of its own, test_sync_bench.py)."""
        while True:
            query = "/api/sync/pull?limit=1000" + (f"&cursor={self.cursor}" if self.cursor else "")
            status, page = self.request("snapshot", "GET", query, auth=auth)
            if status != 200:
                return
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return

    def run(self):
        try:
            status, body = self.request(
                "login", "POST", "/api/auth/login", {"username": self.username, "password": PASSWORD}
            )
            if status != 200:
                return
            auth = {"Authorization": f"Bearer {body['access_token']}"}
            status, page = self.request("accounts", "GET", "/api/accounts?per_page=20", auth=auth)
            if status != 200 or not page["items"]:
                return
            accounts = [a["id"] for a in page["items"]]
            self.snapshot(auth)
        finally:
            self.ready.set()
        self.go.wait()
        outbox = []
        while time.time() < self.deadline[0]:
            self.seq += 1
            outbox.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "entity": "visit",
                    "entity_id": str(uuid.uuid4()),
                    "op": "create",
                    "data": {"account_id": accounts[self.seq % len(accounts)], "purpose": "Load visit"},
                }
            )
            status, _ = self.request(
                "push", "POST", "/api/sync/push", {"client_id": self.client_id, "mutations": outbox}, auth
            )
            if status == 200:
                self.acked += [m["entity_id"] for m in outbox]
                outbox = []
            query = "/api/sync/pull?limit=200" + (f"&cursor={self.cursor}" if self.cursor else "")
            status, page = self.request("pull", "GET", query, auth=auth)
            if status == 200:
                self.cursor = page["cursor"]
            if self.think_s:
                time.sleep(self.think_s)
        self.close()


def run(port, reps, seconds, handshake=False, think_s=0.0):
    """Log `reps` reps in, let them sync for `seconds`; (setup figures, sync figures, acked visit ids).
    With `handshake`, once every rep is set up it prints `ready` and waits for a line on stdin before the
    sync starts (the caller measures the server's CPU from there: the logins' password checks and the first
    syncs are not the sync loop's). `think_s`: each rep's pause after each pull; without one every rep has a
    request in flight all the time, and latency is the queue of a saturated server (Little's law)."""
    setup, figures, go, deadline = Figures(), Figures(), threading.Event(), [0.0]
    team = [Rep(port, f"rep{i}", setup, go, deadline, think_s) for i in range(1, reps + 1)]
    started = time.time()
    for rep in team:
        rep.start()
    for rep in team:
        rep.ready.wait(timeout=300)
    setup_s = time.time() - started
    if handshake:
        print("ready", flush=True)
        sys.stdin.readline()
    for rep in team:
        rep.figures = figures  # the sync loop's own figures
    started = time.time()
    deadline[0] = started + seconds
    go.set()
    for rep in team:
        rep.join(timeout=seconds + 120)
    elapsed = time.time() - started
    out = figures.summary(("push", "pull"), elapsed)
    out["setup"] = setup.summary(("login", "accounts", "snapshot"), setup_s)
    out["reps"], out["reconnects"], out["think_ms"] = reps, figures.reconnects + setup.reconnects, think_s * 1000
    return out, [v for rep in team for v in rep.acked]


def report(out):
    """The figures as lines for a person."""
    ms = lambda v: "-" if v is None else f"{v:.0f}"
    pausing = f" (each pausing {out['think_ms']:.0f} ms after a pull)" if out.get("think_ms") else ""
    lines = [
        (
            f"{out['reps']} reps{pausing}: setup (login, accounts, first sync) {out['setup']['seconds']:.1f} s, "
            f"{out['setup']['errors']} errors; sync {out['seconds']:.0f} s: {out['requests']} requests, "
            f"{out['req_per_s']:.1f} req/s, {out['errors']} errors, {out['reconnects']} reconnects"
        )
    ]
    for name, e in {**out["endpoints"], **out["setup"]["endpoints"]}.items():
        lines.append(
            f"  {name:<8} {e['requests']:>6} requests  p50 {ms(e['p50']):>5} ms  p95 {ms(e['p95']):>5} ms  "
            f"p99 {ms(e['p99']):>5} ms  errors {e['errors']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--acked", help="a file for the ids of the visits whose push was answered 200")
    parser.add_argument("--handshake", action="store_true", help="print `ready` once set up; start on a line on stdin")
    parser.add_argument("--think-ms", type=float, default=0, help="each rep's pause after each pull (default none)")
    args = parser.parse_args(argv)
    out, acked = run(args.port, args.reps, args.seconds, args.handshake, args.think_ms / 1000)
    if args.acked:
        with open(args.acked, "w") as f:
            f.write("".join(f"{v}\n" for v in acked))
    out["acked"] = len(acked)
    print(report(out))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
