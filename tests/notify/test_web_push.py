"""Web Push where it works: the VAPID key from the settings, a browser's subscription stored (refused with its
field codes when it is not one a browser gives), and a notice for a user of a team on the in-app channel pushed
to a local push service answering as RFC 8030 says (which checks the VAPID signature and decrypts the
message); a subscription the service says is gone is deleted; working hours kept; a WeCom team gets none."""

import socket
from datetime import timedelta

import pytest

from server.extensions import db
from server.models import Notification, PushSubscription, User
from server.notify.queue import enqueue
from server.notify.runner import dispatch, wait_idle
from tests.fake_im import serving as serving_im
from tests.fake_push import FakePushService, serving, vapid_keys
from tests.notify.conftest import MONDAY_10, link, use_wecom

SUBJECT = "mailto:ops@fieldday.example.cn"


@pytest.fixture
def push(app, quiet_runner):
    fake = FakePushService()
    private, public = vapid_keys()
    with serving(fake):
        app.config.update(VAPID_PRIVATE_KEY=private, VAPID_SUBJECT=SUBJECT)
        fake.public_key = public
        yield fake


def _notify(app, user_id, stops=9):
    with app.app_context():
        params = {"date": "2026-11-10", "stops": stops, "leave_at": "08:21"}
        notice = enqueue(db.session.get(User, user_id), "plan_ready", params)
        db.session.commit()
        notice_id = notice.id
    wait_idle(app)
    return notice_id


def _push_state(app, notice_id):
    with app.app_context():
        return db.session.get(Notification, notice_id).push_state


def test_without_a_vapid_key_web_push_is_off(client, world, quiet_runner):
    assert client.get("/api/push/key", headers=world.headers("r1")).get_json() == {"enabled": False, "public_key": None}
    body = {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}
    answer = client.put("/api/push/subscription", json=body, headers=world.headers("r1"))
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_a_subscription_is_kept_and_refused_when_no_browser_would_give_it(app, client, world, push):
    key = client.get("/api/push/key", headers=world.headers("r1")).get_json()
    assert key == {"enabled": True, "public_key": push.public_key}
    good = push.subscribe()
    url = "/api/push/subscription"
    for bad, fields in (
        ({**good, "endpoint": "ftp://push.example.com/x"}, {"endpoint"}),
        ({**good, "endpoint": "http://push.example.com/x"}, {"endpoint"}),  # plain http only on this machine
        ({**good, "keys": {**good["keys"], "p256dh": "A" * 87}}, {"keys"}),  # not an uncompressed point
        ({**good, "keys": {**good["keys"], "auth": "A" * 30}}, {"keys"}),  # not 16 octets
    ):
        answer = client.put(url, json=bad, headers=world.headers("r1"))
        assert answer.status_code == 422 and set(answer.get_json()["error"]["fields"]) == fields, answer.get_json()
        codes = answer.get_json()["error"]["field_codes"]
        assert "invalid" in json_codes(codes)
    assert client.put(url, json={**good, "extra": 1}, headers=world.headers("r1")).status_code == 422
    assert client.put(url, json=good, headers=world.headers("r1")).status_code == 200
    assert client.put(url, json=good, headers=world.headers("r2")).status_code == 200  # the browser's user now
    assert client.put(url, json=good).status_code == 401
    with app.app_context():
        rows = db.session.execute(db.select(PushSubscription.user_id, PushSubscription.auth)).all()
    assert rows == [(world.users["r2"], good["keys"]["auth"])]


def test_another_user_takes_an_endpoint_only_with_its_keys(app, client, world, push):
    """An endpoint's address alone (seen in a log, or guessed) takes nothing: another rep posting it with keys of
    their own gets a 409 and the owner keeps their pushes; deleting it as that rep deletes nothing. The same
    browser's next login (a shared phone: the same endpoint and keys) takes it over."""
    url = "/api/push/subscription"
    owned = push.subscribe()
    assert client.put(url, json=owned, headers=world.headers("r1")).status_code == 200
    stolen = {**owned, "keys": push.subscribe()["keys"]}
    answer = client.put(url, json=stolen, headers=world.headers("r2"))
    assert answer.status_code == 409, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "push_endpoint_taken" and set(error["fields"]) == {"endpoint"}
    assert "r1" not in error["message"]
    assert client.delete(url, json={"endpoint": owned["endpoint"]}, headers=world.headers("r2")).status_code == 204

    def rows():
        with app.app_context():
            return db.session.execute(db.select(PushSubscription.user_id, PushSubscription.auth)).all()

    assert rows() == [(world.users["r1"], owned["keys"]["auth"])]
    _notify(app, world.users["r1"])
    assert len(push.to(owned)) == 1  # still r1's browser
    assert client.put(url, json=owned, headers=world.headers("r2")).status_code == 200  # the shared phone
    assert rows() == [(world.users["r2"], owned["keys"]["auth"])]


def test_a_subscription_to_a_private_network_or_a_malformed_address_is_refused(app, client, world, push):
    """The server posts to the endpoint: one naming a private, link-local or reserved address (however written)
    would reach its own network's services, and a malformed host or port is a 422, not a 500."""
    good = push.subscribe()
    for endpoint in (
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/push",
        "https://0x0a000001/push",  # 10.0.0.1 as a resolver reads it
        "https://[fd00::1]/push",
        "https://192.168.1.1:8443/push",
        "https://0.0.0.0/push",
        "https://[::1/push",
        "https://[zz]/push",
        "https://push.example.com:99999999/x",
    ):
        answer = client.put("/api/push/subscription", json={**good, "endpoint": endpoint}, headers=world.headers("r1"))
        assert answer.status_code == 422, (endpoint, answer.status_code)
        assert set(answer.get_json()["error"]["fields"]) == {"endpoint"}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PushSubscription)) == 0
    public = {**good, "endpoint": "https://8.8.8.8/push/x"}
    assert client.put("/api/push/subscription", json=public, headers=world.headers("r1")).status_code == 200


def resolving(monkeypatch, names):
    """Host names resolving to the addresses `names` maps them to (changed as the test goes), the rest as ever."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_subscription_to_a_name_of_a_private_address_is_refused(app, client, world, push, monkeypatch):
    """A host name is no way around the rule: one whose address is private is refused as the address would be."""
    resolving(monkeypatch, {"push.inside.example": "10.0.0.1", "push.outside.example": "8.8.8.8"})
    good = push.subscribe()
    inside = {**good, "endpoint": "https://push.inside.example/push/x"}
    answer = client.put("/api/push/subscription", json=inside, headers=world.headers("r1"))
    assert answer.status_code == 422, answer.get_json()
    assert set(answer.get_json()["error"]["fields"]) == {"endpoint"}
    outside = {**good, "endpoint": "https://push.outside.example/push/x"}
    assert client.put("/api/push/subscription", json=outside, headers=world.headers("r1")).status_code == 200


def test_a_name_that_points_inside_later_is_not_posted_to(app, client, world, push, monkeypatch):
    """A subscription taken while its name was public, whose name then points at a private address, gets no post:
    the push fails, and no connection is tried to that address."""
    names = {"push.moved.example": "8.8.8.8"}
    resolving(monkeypatch, names)
    subscription = {**push.subscribe(), "endpoint": "https://push.moved.example/push/x"}
    assert client.put("/api/push/subscription", json=subscription, headers=world.headers("r3")).status_code == 200
    names["push.moved.example"] = "10.0.0.1"
    tried = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        if address[0] == "10.0.0.1":
            tried.append(address)
            raise ConnectionRefusedError(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    notice_id = _notify(app, world.users["r3"])
    assert tried == []
    assert _push_state(app, notice_id) == "failed"


def test_a_push_service_redirecting_elsewhere_is_not_followed(app, client, world, push):
    """A redirect would take the POST and its body past the endpoint's check to any address: the push fails."""
    subscription = push.subscribe()
    subscription["endpoint"] = subscription["endpoint"].replace("/push/", "/moved/")
    assert client.put("/api/push/subscription", json=subscription, headers=world.headers("r3")).status_code == 200
    notice_id = _notify(app, world.users["r3"])
    assert push.received == []
    assert _push_state(app, notice_id) == "failed"


def json_codes(codes):
    """Every code in a field_codes tree."""
    if isinstance(codes, dict):
        return [c for value in codes.values() for c in json_codes(value)]
    return [c["code"] for c in codes]


def test_a_notice_goes_to_the_subscribed_browsers_and_a_gone_one_is_forgotten(app, client, world, push):
    first, second = push.subscribe(), push.subscribe()
    for subscription in (first, second):
        assert client.put("/api/push/subscription", json=subscription, headers=world.headers("r3")).status_code == 200
    push.gone.add(second["endpoint"].rsplit("/", 1)[-1])  # that browser unsubscribed at its push service
    notice_id = _notify(app, world.users["r3"])
    assert push.to(first) == [
        {"title": "明天的路线已排好", "body": "明天：9 个拜访，08:21 出发", "tag": str(notice_id), "url": "/#/me"}
    ]
    headers = push.received[0][2]
    assert headers["ttl"] == "3600" and headers["content-encoding"] == "aes128gcm"
    assert push.refused == [(410, "subscription gone")]
    assert _push_state(app, notice_id) == "sent"
    with app.app_context():
        left = db.session.scalars(db.select(PushSubscription.endpoint)).all()
    assert left == [first["endpoint"]]
    # The in-app list has it as always.
    mine = client.get("/api/notifications", headers=world.headers("r3")).get_json()
    assert [(n["kind"], n["state"]) for n in mine] == [("plan_ready", "sent")]
    # Unsubscribed: nothing more is pushed.
    gone = client.delete("/api/push/subscription", json={"endpoint": first["endpoint"]}, headers=world.headers("r3"))
    assert gone.status_code == 204
    assert _push_state(app, _notify(app, world.users["r3"], stops=3)) is None
    assert len(push.received) == 1


def test_pushes_wait_for_working_hours_and_a_wecom_team_gets_none(app, client, world, push, clock):
    subscription = push.subscribe()
    client.put("/api/push/subscription", json=subscription, headers=world.headers("r3"))
    clock.freeze(MONDAY_10.replace(hour=22))
    notice_id = _notify(app, world.users["r3"])
    assert push.received == [] and _push_state(app, notice_id) == "queued"
    clock.freeze(MONDAY_10.replace(hour=8) + timedelta(days=1))
    dispatch(app)
    wait_idle(app)
    assert [p["body"] for p in push.to(subscription)] == ["今天：9 个拜访，08:21 出发"]  # said as of when it went
    assert _push_state(app, notice_id) == "sent"

    # r1's team sends through WeCom: no push beside it.
    from tests.fake_im import FakeWeCom
    from tests.notify.conftest import WECOM_SECRET

    wecom = FakeWeCom(app_id="ww-corp-1", secret=WECOM_SECRET, agent_id="1000002", members={"zhang.san"})
    with serving_im(wecom):
        app.config["WECOM_API_URL"] = wecom.url
        use_wecom(client, world)
        link(client, world, "r1", wecom_userid="zhang.san")
        client.put("/api/push/subscription", json=push.subscribe(), headers=world.headers("r1"))
        notice_id = _notify(app, world.users["r1"])
        assert _push_state(app, notice_id) is None and len(wecom.delivered) == 1
    assert len(push.received) == 1


def test_a_push_the_service_refuses_is_marked_failed_and_the_notice_stays_in_the_app(app, client, world, push):
    """A push service that refuses (429, RFC 8030 §8.4) leaves the push failed, the subscription kept and the
    notice in the app; a VAPID subject that is no contact (RFC 8292) turns Web Push off."""
    subscription = push.subscribe()
    client.put("/api/push/subscription", json=subscription, headers=world.headers("r3"))
    push.mode.add("busy")
    notice_id = _notify(app, world.users["r3"])
    assert push.received == [] and push.refused == [(429, "too many requests")]
    assert _push_state(app, notice_id) == "failed"
    assert [n["state"] for n in client.get("/api/notifications", headers=world.headers("r3")).get_json()] == ["sent"]
    with app.app_context():  # a refusal is not "gone": the subscription stays
        assert db.session.scalar(db.select(PushSubscription.endpoint)) == subscription["endpoint"]
    app.config["VAPID_SUBJECT"] = "the ops team"
    assert client.get("/api/push/key", headers=world.headers("r3")).get_json()["enabled"] is False
    assert _push_state(app, _notify(app, world.users["r3"], stops=4)) is None


def test_a_rep_of_an_in_app_team_with_web_push_gets_the_leave_by_reminder_pushed(app, client, world, push, clock):
    """The phone reminds only while open; with Web Push the server's reminder reaches the closed app too."""
    from server.models import RouteStop
    from server.notify.reminders import write_reminders
    from tests.records import writing

    subscription = push.subscribe()
    client.put("/api/push/subscription", json=subscription, headers=world.headers("r3"))
    nine = MONDAY_10.replace(hour=9)
    with writing(app):
        from server.models import RoutePlan

        plan = RoutePlan(rep_id=world.users["r3"], plan_date=nine.date())
        db.session.add(plan)
        db.session.flush()
        db.session.add(
            RouteStop(
                route_plan_id=plan.id,
                position=0,
                account_id=world.accounts["r3"],
                planned_arrival=nine,
                travel_minutes=20,
            )
        )
        db.session.commit()
    clock.freeze(nine.replace(hour=8, minute=30))
    with app.app_context():
        assert write_reminders() == 1
    wait_idle(app)
    assert [p["body"] for p in push.to(subscription)] == ["08:40 前出发去第 1 站 Account of r3（09:00 到达）"]
    # Tagged as the open app tags its own reminder of that leave-by (the stop, the moment in ms): shown once.
    leave_ms = round(nine.replace(hour=8, minute=40).timestamp() * 1000)
    assert [p["tag"] for p in push.to(subscription)] == [f"leave:{world.accounts['r3']}:{leave_ms}"]
