"""`make prod-check`: the production kit of deploy/ run on this machine, end to end.

In a temporary folder, as the systemd units would run them: nginx (deploy/nginx/fieldday.conf with its
ports, paths and host name substituted, a self-signed certificate made by openssl), gunicorn, a Celery
worker and beat (the ExecStart lines of deploy/systemd/, their paths substituted) reading an environment
file made from deploy/fieldday.env, on a database of their own (fieldday_prodcheck on the PostgreSQL at
127.0.0.1:5432) and the Redis at 127.0.0.1:6379, databases 11 and 12 (one is started when none answers).
Then, through nginx:

- plain HTTP answers a redirect to the same address on HTTPS; HTTPS answers carry HSTS; the field app's
  files arrive brotli- (or gzip-) compressed once, with the app's strong ETag and cache rule, the API's with `no-store`;
- a manager imports accounts as a background job, which the Celery worker runs;
- the login throttle counts the client's address, not nginx's: failed logins from 127.0.0.2 (claiming
  another address in X-Forwarded-For) lock that address out and not 127.0.0.1;
- a rep logs in in Chromium over HTTPS and checks a visit in and out; it reaches the server by sync;
- the backup unit's command (`flask backup`) backs the database up; a visit made after it is gone once the
  web app and the worker are stopped, `flask restore` has run and they are started again; the first visit
  is still there, the phone's old cursor is answered `reset_required`, and the phone takes the snapshot again.

Everything started is stopped at the end, also on failure (then the folder with the logs and the database
are kept; on success both are removed).

    make prod-check      # PRODCHECK_DATABASE_URL, PRODCHECK_REDIS_URL move the database and Redis
"""

import gzip
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import brotli

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "fieldday.conf"
ENV_TEMPLATE = DEPLOY / "fieldday.env"
UNITS = DEPLOY / "systemd"
PASSWORD = "prod-check-" + secrets.token_hex(6)
ACCOUNTS = 6


class CheckFailed(Exception):
    """A check did not hold; the message says which and what was seen."""


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


# ---- The deploy files with this machine's ports and paths ------------------------------------------------


def _replace_each(text, pairs, source):
    """Every (old, new) replaced; an `old` no longer in the file fails, so the check follows the file."""
    for old, new in pairs:
        if old not in text:
            raise CheckFailed(f"{source} no longer contains {old!r}: update deploy/prod_check.py to match it")
        text = text.replace(old, new)
    return text


def render_nginx_site(text, *, http_port, https_port, app_port, cert, key, acme_root, access_log):
    """deploy/nginx/fieldday.conf on loopback ports with a self-signed certificate: the listen addresses, the
    upstream's port, the certificate paths, the access log's path and the host name are this machine's, and
    the redirect names the HTTPS port (on a real host it is 443, which a URL leaves out). Everything else is
    the file as it is."""
    return _replace_each(
        text,
        [
            ("listen [::]:80;", ""),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{http_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
            ("return 301 https://$host$request_uri;", f"return 301 https://$host:{https_port}$request_uri;"),
            ("/etc/letsencrypt/live/fieldday.example.com/fullchain.pem", str(cert)),
            ("/etc/letsencrypt/live/fieldday.example.com/privkey.pem", str(key)),
            ("root /var/www/html;", f"root {acme_root};"),
            ("access_log /var/log/nginx/access.log", f"access_log {access_log}"),
            ("server_name fieldday.example.com;", "server_name 127.0.0.1 localhost;"),
        ],
        "deploy/nginx/fieldday.conf",
    )


def nginx_main_conf(folder, site):
    """The main configuration Debian's /etc/nginx/nginx.conf would be, with every path in `folder`: its http
    settings that reach the site (gzip on among them: the site's `gzip off` must win), then the site."""
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\ndaemon off;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    sendfile on;\n    tcp_nopush on;\n    types_hash_max_size 2048;\n"
        "    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        "    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n    ssl_prefer_server_ciphers on;\n"
        f"    access_log {folder}/access.log;\n    gzip on;\n"
        f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/fastcgi;\n    uwsgi_temp_path {folder}/uwsgi;\n"
        f"    scgi_temp_path {folder}/scgi;\n"
        f"    include {site};\n"
        "}\n"
    )


def write_nginx(folder, **ports_and_paths):
    """The site and the main configuration in `folder`; the main configuration's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acme").mkdir(exist_ok=True)
    site = folder / "fieldday.conf"
    site.write_text(
        render_nginx_site(
            NGINX_SITE.read_text(), acme_root=folder / "acme", access_log=folder / "access.log", **ports_and_paths
        )
    )
    main = folder / "nginx.conf"
    main.write_text(nginx_main_conf(folder, site))
    return main


def self_signed_certificate(folder):
    """A certificate for 127.0.0.1 and localhost, valid for two days, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_binary():
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def parse_env_file(text):
    """KEY=value lines as systemd's EnvironmentFile= reads them: comments (#, ;) and blank lines skipped, a
    value in double or single quotes taken without them."""
    values = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise CheckFailed(f"environment file line {number} is not KEY=value: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def render_env(text, values):
    """The environment file with each of `values` set on its own line (commented in the template or not);
    a key the template does not have fails: it documents every setting."""
    lines, seen = text.splitlines(), set()
    for i, line in enumerate(lines):
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=", line)
        if match and match.group(1) in values:
            value = values[match.group(1)]
            lines[i] = f"{match.group(1)}=" + (f'"{value}"' if re.search(r"[\s;#]", value) else value)
            seen.add(match.group(1))
    missing = sorted(set(values) - seen)
    if missing:
        raise CheckFailed(f"deploy/fieldday.env has no line for {', '.join(missing)}")
    return "\n".join(lines) + "\n"


def read_unit(name, paths):
    """The [Service] settings of deploy/systemd/<name> with the install paths replaced by `paths` (a list of
    (install path, here) pairs, longest first) and systemd's specifiers (%%, %H, $$) resolved."""
    service, section = {}, None
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section != "[Service]":
            continue
        key, _, value = line.partition("=")
        for installed, here in paths:
            value = value.replace(installed, str(here))
        service.setdefault(key, []).append(value)
    return service


def unit_command(line):
    """An Exec line as argv: systemd's specifiers resolved (any other % or $ expansion is refused)."""

    def specifier(match):
        if match.group(0) == "%%":
            return "%"
        if match.group(0) == "%H":
            return socket.gethostname()
        raise CheckFailed(f"unit command uses {match.group(0)}, which prod_check.py does not resolve: {line}")

    line = re.sub(r"%.", specifier, line)
    if re.search(r"\$(?!\$)[{A-Za-z]", line.replace("$$", "")):
        raise CheckFailed(f"unit command expands a variable, which prod_check.py does not do: {line}")
    return shlex.split(line.replace("$$", "$"))


# ---- Processes ------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The processes this check started, each in its own session; all stopped by stop_all()."""

    def __init__(self, folder):
        self.folder = folder
        self.processes = {}  # name -> (Popen, log path, stop signal)

    def start(self, name, argv, *, env=None, cwd=None, stop_signal=signal.SIGTERM):
        log = self.folder / "logs" / f"{name}.log"
        log.parent.mkdir(exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes[name] = (process, log, stop_signal)
        return process

    def log(self, name):
        return self.processes[name][1].read_text(errors="replace")

    def alive(self, name):
        process = self.processes[name][0]
        if process.poll() is not None:
            raise CheckFailed(f"{name} exited ({process.returncode}):\n{tail(self.log(name))}")

    def wait_for_log(self, name, pattern, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.alive(name)
            if re.search(pattern, self.log(name)):
                return
            time.sleep(0.2)
        raise CheckFailed(f"{name} did not log {pattern!r} within {seconds} s:\n{tail(self.log(name))}")

    def stop(self, name, seconds=40):
        """The unit's stop: its signal to the main process, then SIGKILL to its session after `seconds`."""
        process, _, stop_signal = self.processes.pop(name)
        if process.poll() is None:
            process.send_signal(stop_signal)
            try:
                process.wait(seconds)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # what is left of its session: gunicorn's or celery's children
        except ProcessLookupError:
            pass
        process.wait()
        return process.returncode

    def stop_all(self):
        for name in reversed(list(self.processes)):
            self.stop(name)


def tail(text, lines=25):
    return "\n".join(text.splitlines()[-lines:])


def run(argv, *, env, cwd=ROOT, stdin=None, what=None):
    done = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CheckFailed(f"{what or argv[0]} failed ({done.returncode}):\n{tail(done.stdout + done.stderr)}")
    return done.stdout + done.stderr


# ---- HTTP through nginx ----------------------------------------------------------------------------------


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body or b"null")


def request(url, method="GET", body=None, headers=None, source="127.0.0.1", token=None):
    """One request from the `source` loopback address; TLS without verifying the self-signed certificate."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=60, context=context, source_address=(source, 0)
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60, source_address=(source, 0))
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, dict | list):
        body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


def wait_until(what, probe, seconds=60):
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise CheckFailed(f"{what} not within {seconds} s ({last or 'no answer'})")


# ---- The check ------------------------------------------------------------------------------------------


class ProdCheck:
    def __init__(self, folder):
        self.folder = folder
        self.stack = Stack(folder)
        self.bin = Path(sys.executable).parent
        self.http_port, self.https_port, self.app_port = free_port(), free_port(), free_port()
        self.base = f"https://127.0.0.1:{self.https_port}"
        self.state = folder / "state"
        self.backups = folder / "backups"
        self.database_url = os.environ.get(
            "PRODCHECK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fieldday_prodcheck"
        )
        self.redis_url = os.environ.get("PRODCHECK_REDIS_URL", "redis://127.0.0.1:6379/11")
        self.started = time.monotonic()

    def say(self, text):
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    # -- setting up --

    def need_tools(self):
        missing = [tool for tool in ("openssl", "pg_dump", "pg_restore") if not shutil.which(tool)]
        if not nginx_binary():
            missing.append("nginx")
        if not (os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")):
            missing.append("chromium")
        expect(not missing, f"missing: {', '.join(missing)} (apt-get install -y nginx postgresql-client chromium)")

    def fresh_database(self, create=True):
        """Drop the check's database and (unless `create` is false) make it again, empty."""
        import psycopg

        parts = urlsplit(self.database_url)
        name = parts.path.lstrip("/")
        expect(re.fullmatch(r"[a-z_][a-z0-9_]*", name), f"database name {name!r}: letters, digits and _ only")
        server = parts._replace(path="/postgres").geturl()
        try:
            with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                if create:
                    conn.execute(f"CREATE DATABASE {name}")
        except psycopg.OperationalError as exc:
            raise CheckFailed(f"PostgreSQL at {parts.hostname}:{parts.port}: {exc}") from exc
        if create:
            self.say(f"database {name} created on {parts.hostname}:{parts.port}")

    def redis(self):
        import redis

        try:
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2)
            client.ping()
        except redis.exceptions.ConnectionError:
            port = free_port()
            self.stack.start(
                "redis",
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(self.folder)],
            )
            self.redis_url = f"redis://127.0.0.1:{port}/0"
            client = redis.Redis.from_url(self.redis_url)
            wait_until("Redis", lambda: client.ping())
            self.say(f"no Redis answered: started one on port {port}")
        # The broker's database and the next one (the rate limits'), this check's only, emptied.
        parts = urlsplit(self.redis_url)
        number = int(parts.path.lstrip("/") or 0)
        self.limits_url = parts._replace(path=f"/{number + 1}").geturl()
        client.flushdb()
        redis.Redis.from_url(self.limits_url).flushdb()
        self.say(f"Redis {self.redis_url} and {self.limits_url} (emptied)")

    def environment(self):
        """deploy/fieldday.env with this machine's database, Redis, key, folder and gunicorn address."""
        template = ENV_TEMPLATE.read_text()
        defaults = parse_env_file(template)
        expect(defaults.get("FIELDDAY_ENV") == "production", "deploy/fieldday.env: FIELDDAY_ENV is not production")
        expect(defaults.get("TRUSTED_PROXIES") == "1", "deploy/fieldday.env: TRUSTED_PROXIES is not 1 (nginx)")
        text = render_env(
            template,
            {
                "DATABASE_URL": self.database_url,
                "JWT_SECRET_KEY": secrets.token_hex(32),
                "CELERY_BROKER_URL": self.redis_url,
                "RATELIMIT_STORAGE_URI": self.limits_url,
                "FIELDDAY_INSTANCE": str(self.state),
                "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{self.app_port}",
            },
        )
        self.env_file = self.folder / "fieldday.env"
        self.env_file.write_text(text)
        self.env_file.chmod(0o600)
        self.paths = [
            ("/opt/fieldday/.venv/bin", self.bin),
            ("/opt/fieldday", ROOT),
            ("/etc/fieldday/fieldday.env", self.env_file),
            ("/var/lib/fieldday", self.state),
            ("/var/backups/fieldday", self.backups),
        ]
        self.state.mkdir()
        self.backups.mkdir()

    def unit_env(self, unit):
        """A unit's environment: systemd's clean one plus its EnvironmentFile."""
        files = unit.get("EnvironmentFile", [])
        expect(files == [str(self.env_file)], f"the unit reads {files}, not /etc/fieldday/fieldday.env")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(self.folder)}
        env.update(parse_env_file(self.env_file.read_text()))
        return env

    def flask(self, *args, stdin=None):
        unit = read_unit("fieldday-web.service", self.paths)
        return run(
            [str(self.bin / "flask"), "--app", "wsgi", *args],
            env=self.unit_env(unit),
            cwd=unit["WorkingDirectory"][0],
            stdin=stdin,
            what="flask " + " ".join(args[:2]),
        )

    def start_unit(self, name, ready_pattern):
        unit = read_unit(f"{name}.service", self.paths)
        self.stack.start(
            name, unit_command(unit["ExecStart"][0]), env=self.unit_env(unit), cwd=unit["WorkingDirectory"][0]
        )
        self.stack.wait_for_log(name, ready_pattern, seconds=90)

    def start_app(self):
        self.start_unit("fieldday-web", r"Booting worker")
        wait_until("gunicorn", lambda: socket.create_connection(("127.0.0.1", self.app_port), timeout=1).close() or 1)
        self.start_unit("fieldday-worker", r"@\S+ ready\.")

    def start_nginx(self):
        cert, key = self_signed_certificate(self.folder)
        folder = self.folder / "nginx"
        main = write_nginx(
            folder,
            http_port=self.http_port,
            https_port=self.https_port,
            app_port=self.app_port,
            cert=cert,
            key=key,
        )
        if os.geteuid() == 0:
            self.folder.chmod(0o711)  # the workers (nobody) reach their temporary folders
            folder.chmod(0o755)
        binary = nginx_binary()
        run([binary, "-t", "-c", str(main), "-e", str(folder / "error.log")], env=dict(os.environ), what="nginx -t")
        self.stack.start(
            "nginx", [binary, "-c", str(main), "-e", str(folder / "error.log")], stop_signal=signal.SIGQUIT
        )
        wait_until("nginx on HTTPS", lambda: request(self.base + "/api/health").status == 200)
        self.say(f"nginx: HTTP on {self.http_port}, HTTPS on {self.https_port} -> gunicorn on {self.app_port}")

    # -- the checks --

    def check_https_front(self):
        plain = request(f"http://127.0.0.1:{self.http_port}/accounts?from=prod-check")
        expect(plain.status == 301, f"plain HTTP answered {plain.status}, not a redirect")
        wanted = f"https://127.0.0.1:{self.https_port}/accounts?from=prod-check"
        expect(plain.header("Location") == wanted, f"redirect to {plain.header('Location')}, not {wanted}")
        expect(plain.header("Strict-Transport-Security") is None, "HSTS sent over plain HTTP")
        token = secrets.token_urlsafe(16)
        challenges = self.folder / "nginx" / "acme" / ".well-known" / "acme-challenge"
        challenges.mkdir(parents=True)
        (challenges / token).write_text(token)
        for path in (challenges.parent, challenges):
            path.chmod(0o755)
        (challenges / token).chmod(0o644)
        acme = request(f"http://127.0.0.1:{self.http_port}/.well-known/acme-challenge/{token}")
        expect(acme.status == 200 and acme.body == token.encode(), f"certbot's challenge over HTTP: {acme.status}")
        self.say(f"plain HTTP: 301 to {wanted}; certbot's challenge files are served, not redirected")

        hsts = "max-age=63072000"
        for path, status in (("/", 200), ("/api/health", 200), ("/api/no-such-thing", 404)):
            answer = request(self.base + path)
            expect(answer.status == status, f"{path}: {answer.status}, not {status}")
            sent = answer.header("Strict-Transport-Security")
            expect(sent == hsts, f"{path}: Strict-Transport-Security {sent!r}, not {hsts!r}")
        self.say(f"HTTPS answers (200 and 404) carry Strict-Transport-Security: {hsts}")

        app_js = request(self.base + "/js/app.js", headers={"Accept-Encoding": "gzip, br"})
        etag = app_js.header("ETag") or ""
        expect(app_js.status == 200, f"/js/app.js: {app_js.status}")
        expect(app_js.header("Content-Encoding") == "br", f"/js/app.js: {app_js.header('Content-Encoding')!r}")
        body = brotli.decompress(app_js.body)  # compressed once: one decompression gives the script
        expect(b"import" in body[:2000], "/js/app.js: once decompressed, not the script (compressed twice?)")
        expect(etag.startswith('"') and etag.endswith('-br"'), f"/js/app.js: ETag {etag!r}, not the app's strong one")
        expect(
            app_js.header("Cache-Control") == "no-cache", f"/js/app.js: Cache-Control {app_js.header('Cache-Control')}"
        )
        again = request(self.base + "/js/app.js", headers={"Accept-Encoding": "br", "If-None-Match": etag})
        expect(again.status == 304, f"/js/app.js with its ETag: {again.status}, not 304")
        gz = request(self.base + "/js/app.js", headers={"Accept-Encoding": "gzip"})
        expect(gzip.decompress(gz.body) == body, "/js/app.js: gzip to a client without brotli")
        version = hashlib.sha256(body).hexdigest()[:10]
        kept = request(self.base + f"/js/app.js?v={version}", headers={"Accept-Encoding": "br"})
        expect(
            kept.header("Cache-Control") == "public, max-age=31536000, immutable",
            f"/js/app.js?v={version}: Cache-Control {kept.header('Cache-Control')}",
        )
        api = request(self.base + "/api/health")
        expect(api.header("Cache-Control") == "no-store", f"/api/health: Cache-Control {api.header('Cache-Control')}")
        self.say(
            f"/js/app.js: brotli once ({len(app_js.body):,} bytes; gzip {len(gz.body):,}), ETag {etag}, no-cache, "
            "304 on revalidation; at its version a year, immutable"
        )

    def login(self, username, source="127.0.0.1"):
        answer = request(
            self.base + "/api/auth/login", "POST", {"username": username, "password": PASSWORD}, source=source
        )
        expect(answer.status == 200, f"login of {username}: {answer.status} {answer.body[:300]!r}")
        return answer.json()["access_token"]

    def create_users(self):
        self.flask("db", "upgrade")
        self.flask("create-user", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
        self.flask(
            "create-user", "lead", "--role", "manager", "--team", "North", "--password-stdin", stdin=PASSWORD + "\n"
        )
        self.flask(
            *("create-user", "rep1", "--role", "rep", "--team", "North", "--start", "31.2304,121.4737"),
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        self.say("flask db upgrade; create-user boss (admin), lead (manager of North), rep1 (rep of North)")

    def check_import_on_the_worker(self):
        token = self.login("lead")
        rows = "".join(
            f"PC{i},Prod check account {i},Road {i},31.23{i},121.47{i},{'ABC'[i % 3]},rep1\n" for i in range(ACCOUNTS)
        )
        content = ("external_key,name,address,latitude,longitude,class,owner\n" + rows).encode()
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="accounts.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = request(
            self.base + "/api/imports/accounts?background=true",
            "POST",
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            token=token,
        )
        expect(answer.status == 202, f"background import: {answer.status} {answer.body[:300]!r}")
        location = urljoin(self.base + "/api/imports/accounts", answer.header("Location") or "")
        expect(location.startswith(self.base + "/api/imports/jobs/"), f"the job's Location: {location!r}")
        job = answer.json()
        deadline = time.monotonic() + 60
        while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            job = request(location, token=token).json()
        expect(job["status"] == "done", f"import job: {job}")
        expect(job["report"]["created"] == ACCOUNTS, f"import job report: {job['report']}")
        self.stack.wait_for_log("fieldday-worker", rf"Task fieldday\.run_import\[{job['id']}\] succeeded", 10)
        self.say(f"background import of {ACCOUNTS} accounts: 202, then done by the Celery worker")

    def check_login_throttle(self):
        import psycopg

        limit = int(parse_env_file(self.env_file.read_text()).get("LOGIN_MAX_FAILURES", "10"))
        url = self.base + "/api/auth/login"
        wrong = {"username": "lead", "password": "not-the-password"}
        spoof = {"X-Forwarded-For": "203.0.113.7"}  # a client naming another address: not believed
        for attempt in range(1, limit + 1):
            status = request(url, "POST", wrong, spoof, source="127.0.0.2").status
            expect(status == 401, f"failed login {attempt} from 127.0.0.2: {status}, not 401")
        locked = request(url, "POST", wrong, spoof, source="127.0.0.2")
        expect(locked.status == 429, f"login {limit + 1} from 127.0.0.2: {locked.status}, not 429")
        expect(locked.header("Retry-After"), "the 429 has no Retry-After")
        with psycopg.connect(self.database_url) as conn:
            seen = {row[0] for row in conn.execute("SELECT DISTINCT address FROM login_failures")}
        expect(seen == {"127.0.0.2"}, f"the failures were counted under {seen}, not the client's 127.0.0.2")
        other = request(url, "POST", wrong, source="127.0.0.1")
        expect(other.status == 401, f"a failed login from 127.0.0.1 is {other.status}: one counter for all clients?")
        self.login("lead")
        self.say(
            f"login throttle: {limit} failures from 127.0.0.2 (claiming 203.0.113.7) -> 429, counted as 127.0.0.2; "
            "127.0.0.1 still logs in"
        )

    def browser(self, playwright):
        path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        context = browser.new_context(
            base_url=self.base,
            ignore_https_errors=True,
            viewport={"width": 360, "height": 740},
            locale="en-US",
            timezone_id="Asia/Shanghai",
            service_workers="allow",
            bypass_csp=True,  # the waits below run as strings, which the app's CSP (rightly) refuses
        )
        context.grant_permissions(["geolocation"])
        context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 10})
        return browser, context

    def visit_from_chromium(self, page):
        from tests.pwa.conftest import log_in, wait_synced

        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, "rep1", PASSWORD)
        wait_synced(page)
        rep = self.login("rep1")
        accounts = request(self.base + "/api/accounts?per_page=50", token=rep).json()["items"]
        expect(len(accounts) == ACCOUNTS, f"rep1 sees {len(accounts)} accounts, not {ACCOUNTS}")
        self.purpose = f"Prod check {uuid.uuid4().hex[:8]}"
        page.goto(f"/#/visit/new?account={accounts[0]['id']}")
        page.get_by_label("Purpose of this visit (required)").fill(self.purpose)
        page.get_by_role("button", name="Check in").click()
        page.wait_for_selector("#visit-form")
        self.visit_id = page.url.rsplit("/", 1)[-1]
        page.locator("#check-out").click()
        page.wait_for_selector("text=Checked out at")
        wait_synced(page, 0)
        visit = request(f"{self.base}/api/visits/{self.visit_id}", token=rep)
        expect(visit.status == 200, f"the synced visit: {visit.status} {visit.body[:200]!r}")
        expect(visit.json()["purpose"] == self.purpose, f"the synced visit: {visit.json()}")
        expect(visit.json()["check_out_at"], "the synced visit has no check-out")
        expect(not errors, f"errors in the page: {errors}")
        secure = page.evaluate("window.isSecureContext && typeof crypto.randomUUID === 'function'")
        expect(secure, "the page is not a secure context over HTTPS")
        self.say(f"Chromium over HTTPS: rep1 logged in, checked a visit in and out, synced ({self.visit_id})")
        return accounts

    def backup_and_restore(self, page, accounts):
        from tests.pwa.conftest import IDB_GET_ALL, IDB_GET_META, wait_synced

        rep = self.login("rep1")
        unit = read_unit("fieldday-backup.service", self.paths)
        env, cwd = self.unit_env(unit), unit["WorkingDirectory"][0]
        for line in unit["ExecStart"] + unit.get("ExecStartPost", []):
            run(unit_command(line), env=env, cwd=cwd, what=f"fieldday-backup.service: {line[:60]}")
        dumps = sorted(self.backups.glob("fieldday-*.dump"))
        expect(len(dumps) == 1 and dumps[0].stat().st_size > 0, f"backups made: {dumps}")
        self.say(f"fieldday-backup.service: {dumps[0].name}, {dumps[0].stat().st_size:,} bytes")

        later = str(uuid.uuid4())
        pushed = request(
            self.base + "/api/sync/push",
            "POST",
            {
                "client_id": str(uuid.uuid4()),
                "mutations": [
                    {
                        "id": str(uuid.uuid4()),
                        "seq": 1,
                        "entity": "visit",
                        "entity_id": later,
                        "op": "create",
                        "data": {"account_id": accounts[1]["id"], "purpose": "After the backup"},
                    }
                ],
            },
            token=rep,
        )
        expect(pushed.status == 200, f"push after the backup: {pushed.status} {pushed.body[:200]!r}")
        expect(pushed.json()["results"][0]["status"] == "applied", f"push after the backup: {pushed.json()}")
        expect(request(f"{self.base}/api/visits/{later}", token=rep).status == 200, "the later visit is not there")
        page.reload()  # the phone syncs as it opens: it takes the later visit
        deadline = time.monotonic() + 60
        while later not in {v["id"] for v in page.evaluate(IDB_GET_ALL, "visits")} and time.monotonic() < deadline:
            time.sleep(0.5)
        wait_synced(page, 0, timeout=60_000)
        expect(
            later in {v["id"] for v in page.evaluate(IDB_GET_ALL, "visits")}, "the phone did not sync the later visit"
        )
        before = page.evaluate(IDB_GET_META, "cursor")  # where the phone's sync stands
        expect(before, "the phone holds no sync cursor")

        self.stack.stop("fieldday-worker")
        self.stack.stop("fieldday-web")
        out = self.flask("restore", str(dumps[0]), "--yes")
        self.say("stopped the web app and the worker; flask restore: " + " ".join(out.split()))
        self.start_app()
        wait_until("the app again", lambda: request(self.base + "/api/health").status == 200)

        rep = self.login("rep1")
        kept = request(f"{self.base}/api/visits/{self.visit_id}", token=rep)
        expect(kept.status == 200 and kept.json()["purpose"] == self.purpose, f"after the restore: {kept.status}")
        gone = request(f"{self.base}/api/visits/{later}", token=rep).status
        expect(gone == 404, f"the visit made after the backup answers {gone} after the restore, not 404")
        reset = request(f"{self.base}/api/sync/pull?cursor={quote(before)}", token=rep).json()
        expect(reset.get("reset_required") is True, f"the phone's old cursor after the restore: {reset}")
        self.say("after the restore: the Chromium visit is there, the later one is not, the phone's cursor resets")

        page.reload()
        deadline = time.monotonic() + 60
        while page.evaluate(IDB_GET_META, "cursor") in (before, None) and time.monotonic() < deadline:
            time.sleep(0.5)
        after = page.evaluate(IDB_GET_META, "cursor")
        expect(after not in (before, None), "the phone did not take a new cursor after the restore")
        wait_synced(page, 0, timeout=60_000)
        ids = {v["id"] for v in page.evaluate(IDB_GET_ALL, "visits")}
        expect(self.visit_id in ids and later not in ids, f"the phone's visits after its reset: {sorted(ids)}")
        fresh = request(f"{self.base}/api/sync/pull?cursor={quote(after)}", token=rep).json()
        expect(fresh.get("reset_required") is False, f"the phone's new cursor: {fresh}")
        self.say("the phone took the snapshot again: its visit is on it, the later one (it had synced) is gone")

    def run(self):
        self.need_tools()
        self.fresh_database()
        self.redis()
        self.environment()
        self.create_users()
        self.start_app()
        self.start_unit("fieldday-beat", r"beat: Starting")
        self.say(f"gunicorn (fieldday-web), Celery worker and beat up from deploy/systemd/ with {self.env_file.name}")
        self.start_nginx()
        self.check_https_front()
        self.check_import_on_the_worker()
        self.check_login_throttle()
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser, context = self.browser(playwright)
            try:
                page = context.new_page()
                accounts = self.visit_from_chromium(page)
                self.backup_and_restore(page, accounts)
            finally:
                context.close()
                browser.close()
        for name in ("fieldday-web", "fieldday-worker", "fieldday-beat", "nginx"):
            self.stack.alive(name)


def main():
    sys.path.insert(0, str(ROOT))
    # Stopped by a signal (a CI timeout, kill): still stop what was started, as on any failure.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="fieldday-prodcheck-"))
    check = ProdCheck(folder)
    print(f"prod-check in {folder}", flush=True)
    ok = False
    try:
        check.run()
        ok = True
    except CheckFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
    finally:  # any other error goes on with its traceback, once everything is stopped
        check.stack.stop_all()
        if not ok:
            print(f"prod-check failed; everything it started is stopped; logs in {folder}/logs", file=sys.stderr)
    if not ok:
        return 1  # the database stays too, for a look; the next run drops it
    check.fresh_database(create=False)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"prod-check passed in {time.monotonic() - check.started:.0f} s; everything it started is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
