"""The production kit in deploy/, in seconds: nginx accepts the site as `make prod-check` runs it, the
environment file documents every setting the app reads and is a valid production configuration, and the
files agree with each other (ports, timeouts, paths). `make prod-check` runs the whole stack."""

import importlib.util
import os
import re
import runpy
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from server.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _prod_check():
    spec = importlib.util.spec_from_file_location("prod_check", DEPLOY / "prod_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prod_check = _prod_check()


def settings_the_app_reads():
    """Every environment variable server/ reads: Config's (env.get, _int, _zone, _flag) and os.environ's."""
    names = set()
    for path in (ROOT / "server").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""(?:env\.get|_int|_zone|_flag)\(\s*(?:env,\s*)?"([A-Z][A-Z0-9_]+)\"""", text))
        names |= set(re.findall(r"""os\.environ\.get\("([A-Z][A-Z0-9_]+)\"""", text))
    return names


def test_the_settings_list_is_read_from_the_code():
    names = settings_the_app_reads()
    # A sample of each way of reading one, so a changed pattern cannot make the tests below pass empty.
    assert {"DATABASE_URL", "JWT_ACCESS_MINUTES", "FIELDDAY_TIMEZONE", "FIELDDAY_ALLOW_SQLITE"} <= names
    assert {"FIELDDAY_INSTANCE", "FIELDDAY_FAST_PATHS", "FIELDDAY_CLOCK", "TRUSTED_PROXIES"} <= names
    assert len(names) >= 40, sorted(names)


def test_the_environment_file_documents_every_setting():
    text = (DEPLOY / "fieldday.env").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    missing = settings_the_app_reads() - listed
    assert not missing, f"deploy/fieldday.env does not list {sorted(missing)}"
    unknown = listed - settings_the_app_reads() - {"GUNICORN_CMD_ARGS"}
    assert not unknown, f"deploy/fieldday.env lists settings nothing reads: {sorted(unknown)}"


def test_the_readme_table_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Configuration") : readme.index("## On PostgreSQL")]
    missing = {name for name in settings_the_app_reads() if f"`{name}`" not in table}
    assert not missing, f"README's Configuration table lacks {sorted(missing)}"


def test_the_environment_file_is_a_production_configuration(tmp_path):
    values = prod_check.parse_env_file((DEPLOY / "fieldday.env").read_text(encoding="utf-8"))
    assert values["FIELDDAY_ENV"] == "production"
    assert values["TRUSTED_PROXIES"] == "1"  # nginx, one proxy: what deploy/nginx/fieldday.conf is
    for name, value in values.items():
        assert "#" not in value, f"{name}: systemd reads no comment after a value"
    config = Config(env=values, instance_path=str(tmp_path))  # the production check passes on it
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    assert not config.JWT_SECRET_KEY_GENERATED
    # Every commented default parses too (a line uncommented as it stands gives a valid setting).
    text = (DEPLOY / "fieldday.env").read_text(encoding="utf-8")
    uncommented = re.sub(r"^#([A-Z][A-Z0-9_]+=)", r"\1", text, flags=re.MULTILINE)
    everything = prod_check.parse_env_file(uncommented)
    everything = {k: v for k, v in everything.items() if not k.startswith("FIELDDAY_ALLOW_") and v != ""}
    everything.pop("FIELDDAY_CLOCK", None)
    Config(env={**everything, "DATABASE_URL": values["DATABASE_URL"]}, instance_path=str(tmp_path))


def test_the_check_refuses_a_setting_the_template_lacks_and_a_site_line_that_moved():
    template = (DEPLOY / "fieldday.env").read_text(encoding="utf-8")
    rendered = prod_check.render_env(template, {"PLAN_RATE_LIMIT": "5 per minute;9 per hour"})
    rendered = prod_check.parse_env_file(rendered)
    assert rendered["PLAN_RATE_LIMIT"] == "5 per minute;9 per hour"
    with pytest.raises(prod_check.CheckFailed, match="NOT_A_SETTING"):
        prod_check.render_env(template, {"NOT_A_SETTING": "1"})
    site = (DEPLOY / "nginx" / "fieldday.conf").read_text(encoding="utf-8")
    with pytest.raises(prod_check.CheckFailed, match="listen 80;"):
        prod_check.render_nginx_site(
            site.replace("listen 80;", "listen 8080;"),
            http_port=1,
            https_port=2,
            app_port=3,
            cert="c",
            key="k",
            acme_root="a",
            access_log="l",
        )


def _nginx_value(site, directive):
    return re.search(rf"^\s*{directive}\s+([^;]+);", site, flags=re.MULTILINE).group(1).strip()


def test_gunicorn_nginx_and_the_units_agree():
    from gunicorn.config import Config as GunicornConfig

    config = GunicornConfig()
    namespace = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)
    site = (DEPLOY / "nginx" / "fieldday.conf").read_text(encoding="utf-8")
    assert config.bind == [_nginx_value(site, "server").split()[0]]  # nginx's upstream is gunicorn
    assert config.keepalive > int(_nginx_value(site, "keepalive_timeout").rstrip("s"))
    assert config.timeout < int(_nginx_value(site, "proxy_read_timeout").rstrip("s"))
    body_mib = int(_nginx_value(site, "client_max_body_size").rstrip("m"))
    assert body_mib * 1024 * 1024 > Config(env={}, instance_path=str(ROOT / "instance")).IMPORT_MAX_BYTES

    paths = [("/opt/fieldday/.venv/bin", ROOT / ".venv" / "bin"), ("/opt/fieldday", ROOT)]
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {"fieldday-web.service", "fieldday-worker.service", "fieldday-beat.service"}
    for unit_path in units:
        unit = prod_check.read_unit(unit_path.name, paths)
        assert unit["EnvironmentFile"] == ["/etc/fieldday/fieldday.env"], unit_path.name
        assert unit["WorkingDirectory"] == [str(ROOT)], unit_path.name
        argv = prod_check.unit_command(unit["ExecStart"][0])
        assert argv, unit_path.name
        for arg in argv:
            if arg.startswith(str(ROOT)) and not arg.startswith(str(ROOT / ".venv")):
                assert Path(arg).exists(), f"{unit_path.name} names {arg}, which is not in the repository"
    worker = prod_check.unit_command(prod_check.read_unit("fieldday-worker.service", paths)["ExecStart"][0])
    assert worker[1:3] == ["--app", "server.worker:celery"]  # the Celery app, not the module's Flask app
    assert (DEPLOY / "systemd" / "fieldday-backup.timer").exists()


def test_the_celery_app_the_units_name_is_a_celery_app():
    from celery import Celery
    from celery.app.utils import find_app

    assert isinstance(find_app("server.worker:celery"), Celery)


@pytest.mark.skipif(not prod_check.nginx_binary(), reason="nginx is not installed (apt-get install -y nginx)")
@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_nginx_accepts_the_site_as_prod_check_runs_it(tmp_path):
    cert, key = prod_check.self_signed_certificate(tmp_path)
    main = prod_check.write_nginx(
        tmp_path / "nginx",
        http_port=prod_check.free_port(),
        https_port=prod_check.free_port(),
        app_port=prod_check.free_port(),
        cert=cert,
        key=key,
    )
    site = (tmp_path / "nginx" / "fieldday.conf").read_text()
    assert "Strict-Transport-Security" in site and "return 301 https://" in site
    done = subprocess.run(
        [prod_check.nginx_binary(), "-t", "-c", str(main), "-e", str(tmp_path / "nginx" / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_a_shell_reads_the_environment_file_as_systemd_does(tmp_path):
    """The `flask` commands source the file in sh (README, "Run it for a team"); the units read it with
    systemd's EnvironmentFile=. Both must see the same values, also with every default uncommented."""
    text = (DEPLOY / "fieldday.env").read_text(encoding="utf-8")
    uncommented = re.sub(r"^#([A-Z][A-Z0-9_]+=)", r"\1", text, flags=re.MULTILINE)
    for name, content in (("as-shipped.env", text), ("uncommented.env", uncommented)):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        expected = prod_check.parse_env_file(content)
        shell = subprocess.run(
            ["sh", "-c", 'set -a && . "$1" && env -0', "sh", str(path)],
            capture_output=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        ).stdout.decode()
        seen = dict(item.split("=", 1) for item in shell.split("\0") if "=" in item)
        assert {key: seen.get(key) for key in expected} == expected, name


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` on the units with the checkout and its virtualenv where they are here: no
    unknown key, bad value or missing command (it prints nothing then)."""
    venv_bin = str(Path(sys.executable).parent)
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text(encoding="utf-8").replace("/opt/fieldday/.venv/bin", venv_bin)
        (tmp_path / unit.name).write_text(text.replace("/opt/fieldday", str(ROOT)), encoding="utf-8")
    units = sorted(str(path) for path in tmp_path.iterdir())
    assert len(units) >= 5
    done = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr + done.stdout


FEED_SECRET = "feedsecret0123456789abcdef"


def _logged(path, needle, seconds=10):
    """The text of the log at `path` once `needle` is in it (logs are written after the answer)."""
    deadline = time.monotonic() + seconds
    while True:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_gunicorns_access_log_keeps_no_calendar_feed_token(tmp_path):
    """gunicorn as deploy/gunicorn.conf.py runs it (its logger), on a free port with one worker."""
    port = prod_check.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "JWT_SECRET_KEY": "deploy-test-secret-key-long-enough-for-hs256",
        "FIELDDAY_INSTANCE": str(tmp_path / "instance"),
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(DEPLOY / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/calendar/{FEED_SECRET}.ics?x=1", timeout=10)
        answer.value.close()
        assert answer.value.code == 404  # no such feed: answered, and logged
        text = _logged(log, "/api/calendar/[token].ics")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "GET /api/calendar/[token].ics?x=1 HTTP/1.1" in text and " 404 " in text
    assert FEED_SECRET not in text


@pytest.mark.skipif(not prod_check.nginx_binary(), reason="nginx is not installed (apt-get install -y nginx)")
@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_nginxs_access_log_keeps_no_calendar_feed_token(tmp_path):
    """nginx with the site as `make prod-check` runs it (no app behind it: a 502 is logged all the same)."""
    cert, key = prod_check.self_signed_certificate(tmp_path)
    http_port, https_port = prod_check.free_port(), prod_check.free_port()
    folder = tmp_path / "nginx"
    main = prod_check.write_nginx(
        folder, http_port=http_port, https_port=https_port, app_port=prod_check.free_port(), cert=cert, key=key
    )
    server = subprocess.Popen(
        [prod_check.nginx_binary(), "-c", str(main), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        deadline = time.monotonic() + 30
        for url, context in (
            (f"https://127.0.0.1:{https_port}", insecure),
            (f"http://127.0.0.1:{http_port}", insecure),
        ):
            while True:
                try:
                    urllib.request.urlopen(f"{url}/api/calendar/{FEED_SECRET}.ics", timeout=10, context=context)
                except urllib.error.HTTPError as refused:
                    refused.close()
                    break  # 502 (no app) over HTTPS; over HTTP the redirect's target, the HTTPS 502
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline
                    time.sleep(0.1)
        text = _logged(folder / "access.log", '[token].ics" 301')
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert '"GET /api/calendar/[token].ics HTTP/1.1" 502' in text
    assert '"GET /api/calendar/[token].ics HTTP/1.1" 301' in text
    assert FEED_SECRET not in text
