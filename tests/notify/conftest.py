"""Fixtures for the notices: fake WeCom and DingTalk servers, a team on each, reps linked to their ids."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.notify import providers
from tests.fake_im import FakeDingTalk, FakeWeCom, serving

SHANGHAI = ZoneInfo("Asia/Shanghai")
WECOM_SECRET = "wecom-secret-Zq8xV2pL"
DINGTALK_SECRET = "dingtalk-secret-Hk3uN7yR"
MONDAY_10 = datetime(2026, 11, 9, 10, 0, tzinfo=SHANGHAI)  # a working day, within the default hours


@pytest.fixture
def quiet_runner(app, clock):
    """The thread runner without its timer (a held notice must not be sent during another test), and the
    clock on a working Monday morning (tokens expire by it; a test may move it on)."""
    clock.set(MONDAY_10)
    app.config["NOTIFY_TIMER"] = False
    providers.forget_tokens()
    yield
    providers.forget_tokens()


@pytest.fixture
def wecom(app, quiet_runner):
    fake = FakeWeCom(app_id="ww-corp-1", secret=WECOM_SECRET, agent_id="1000002", members={"zhang.san", "li.si"})
    with serving(fake):
        app.config["WECOM_API_URL"] = fake.url
        yield fake


@pytest.fixture
def dingtalk(app, quiet_runner):
    fake = FakeDingTalk(app_id="ding-app-key", secret=DINGTALK_SECRET, agent_id="88001", members={"wang.wu"})
    with serving(fake):
        app.config["DINGTALK_API_URL"] = fake.url
        yield fake


def _set_channel(client, world, team_manager, body):
    team_id = _team_of(client, world, team_manager)
    answer = client.patch(f"/api/teams/{team_id}/channel", json=body, headers=world.headers(team_manager))
    assert answer.status_code == 200, answer.get_json()
    return answer


def use_wecom(client, world, team_manager="m1"):
    return _set_channel(
        client,
        world,
        team_manager,
        {
            "channel": "wecom",
            "wecom_corp_id": "ww-corp-1",
            "wecom_agent_id": "1000002",
            "wecom_secret": WECOM_SECRET,
            "app_url": "https://fieldday.example.cn/",
        },
    )


def use_dingtalk(client, world, team_manager="m2"):
    return _set_channel(
        client,
        world,
        team_manager,
        {
            "channel": "dingtalk",
            "dingtalk_corp_id": "ding-corp-9",
            "dingtalk_app_key": "ding-app-key",
            "dingtalk_app_secret": DINGTALK_SECRET,
            "dingtalk_agent_id": "88001",
        },
    )


def link(client, world, username, **ids):
    answer = client.put(f"/api/users/{world.users[username]}/im-links", json=ids, headers=world.headers("admin"))
    assert answer.status_code == 200, answer.get_json()


def _team_of(client, world, username):
    return client.get("/api/auth/me", headers=world.headers(username)).get_json()["team_id"]
