"""The notices on their channels: the evening plan to WeCom end to end, the token kept until it expires,
the providers' per-user limits under a burst, a failing channel retried then failed without holding up
another, DingTalk's once-a-day rule, the working hours and each user's kinds, and the secrets kept out
of every answer and log line. The queue is drained by the web process's thread runner."""

import logging
import time
from datetime import date, timedelta

from server.extensions import db
from server.models import Notification, RoutePlan, User
from server.notify.queue import enqueue
from server.notify.runner import wait_idle
from tests.notify.conftest import DINGTALK_SECRET, MONDAY_10, SHANGHAI, WECOM_SECRET, link, use_dingtalk, use_wecom

EVENING = MONDAY_10.replace(hour=19)  # the evening batch's time, within the default hours (08:00-20:00)


def _notify(app, username_id, kind="plan_ready", count=1, **params):
    params = params or {"date": "2026-11-10", "stops": 9, "leave_at": "08:21"}
    with app.app_context():
        user = db.session.get(User, username_id)
        made = [enqueue(user, kind, {**params, "n": i}) for i in range(count)]
        db.session.commit()
        ids = [n.id for n in made if n is not None]
    wait_idle(app)
    return ids


def _states(app, user_id):
    with app.app_context():
        return [
            (n.state, n.failure, n.attempts)
            for n in db.session.scalars(
                db.select(Notification).where(Notification.user_id == user_id).order_by(Notification.created_at)
            )
        ]


def _run(app):
    from server.notify.runner import dispatch

    dispatch(app)
    wait_idle(app)


def test_the_evening_plan_reaches_the_rep_in_wecom_as_a_card_and_in_the_app(app, client, world, wecom, clock):
    from server.route_plans.planner import plan_team

    clock.set(EVENING)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    with app.app_context():
        outcome = plan_team(date(2026, 11, 10), team_name="North", workers=1)
        plan = db.session.scalar(
            db.select(RoutePlan).where(RoutePlan.rep_id == world.users["r1"], RoutePlan.plan_date == date(2026, 11, 10))
        )
        first = min(plan.stops, key=lambda s: s.position)
        leave = (first.planned_arrival - timedelta(minutes=first.travel_minutes)).astimezone(SHANGHAI)
    wait_idle(app)
    stops = outcome["r1"]
    assert stops >= 1
    # r1 is linked and gets the card; r2 (same team) is not linked: failed, saying why.
    assert [(d[0], d[1], d[2], d[4]) for d in wecom.delivered] == [
        ("zhang.san", "明天的路线已排好", f"明天：{stops} 个拜访，{leave:%H:%M} 出发", "https://fieldday.example.cn/")
    ]
    assert len(wecom.requests("/cgi-bin/gettoken")) == 1
    send = wecom.requests("/cgi-bin/message/send")[0][1]
    assert send["msgtype"] == "textcard" and send["agentid"] == 1000002 and send["touser"] == "zhang.san"
    mine = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert [(n["kind"], n["state"], n["channel"], n["text"]) for n in mine] == [
        ("plan_ready", "sent", "wecom", f"明天：{stops} 个拜访，{leave:%H:%M} 出发")
    ]
    outbox = client.get("/api/notifications/outbox", headers=world.headers("m1")).get_json()
    by_user = {n["username"]: (n["state"], n["failure"]) for n in outbox}
    assert by_user == {"r1": ("sent", None), "r2": ("failed", "No WeCom user id is linked to this user.")}
    # The app asks in the language it shows: the same notice in English inside an English screen, and in the
    # user's own when it asks in that; a language the app does not speak is refused.
    english = client.get("/api/notifications?lang=en", headers=world.headers("r1")).get_json()
    assert [(n["title"], n["text"]) for n in english] == [
        ("Tomorrow's route is ready", f"Tomorrow: {stops} stops, leave at {leave:%H:%M}")
    ]
    chinese = client.get("/api/notifications?lang=zh-CN&unread=true", headers=world.headers("r1")).get_json()
    assert [n["text"] for n in chinese] == [f"明天：{stops} 个拜访，{leave:%H:%M} 出发"]
    assert client.get("/api/notifications?lang=fr", headers=world.headers("r1")).status_code == 422
    # In English for a rep who reads English; read marks it read.
    with app.app_context():
        db.session.get(User, world.users["r1"]).locale = "en"
        db.session.commit()
    mine = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert mine[0]["text"] == f"Tomorrow: {stops} stops, leave at {leave:%H:%M}"
    read = client.post(f"/api/notifications/{mine[0]['id']}/read", headers=world.headers("r1")).get_json()
    assert read["read_at"] is not None
    assert client.get("/api/notifications?unread=true", headers=world.headers("r1")).get_json() == []
    assert client.post(f"/api/notifications/{mine[0]['id']}/read", headers=world.headers("r2")).status_code == 404


def test_a_managers_replan_tells_the_rep_and_the_reps_own_does_not(app, client, world, wecom, clock):
    clock.set(MONDAY_10)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    with app.app_context():
        db.session.get(User, world.users["m1"]).display_name = "王经理"
        db.session.commit()
    own = client.post("/api/routes/plan", json={"date": "2026-11-10"}, headers=world.headers("r1"))
    assert own.status_code == 200
    wait_idle(app)
    assert wecom.delivered == []
    body = {"date": "2026-11-10", "rep_id": str(world.users["r1"])}
    replan = client.post("/api/routes/plan", json=body, headers=world.headers("m1"))
    assert replan.status_code == 200
    wait_idle(app)
    stops = len(replan.get_json()["stops"])
    assert len(wecom.delivered) == 1
    assert wecom.delivered[0][1] == "明天的路线有变"
    assert wecom.delivered[0][2].startswith(f"王经理 改了明天的路线：{stops} 个拜访，")
    assert wecom.delivered[0][2].endswith(" 出发")


def test_the_token_is_kept_until_it_expires_and_fetched_again_when_refused(app, client, world, wecom, clock):
    clock.set(MONDAY_10)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    wecom.token_s = 3  # a short life (the real clock ages tokens, not the business clock)
    _notify(app, world.users["r1"], count=3)
    assert len(wecom.delivered) == 3 and len(wecom.requests("/cgi-bin/gettoken")) == 1
    time.sleep(3)  # past its life: the next send fetches a new one before WeCom would refuse the old
    _notify(app, world.users["r1"])
    assert len(wecom.delivered) == 4 and len(wecom.requests("/cgi-bin/gettoken")) == 2
    assert (
        wecom.requests("/cgi-bin/message/send")[-1][0]["access_token"]
        != wecom.requests("/cgi-bin/message/send")[0][0]["access_token"]
    )
    wecom.token_s = 7200
    wecom.mode.add("expire_once")  # WeCom says 42001: the token is fetched again and the send made once more
    _notify(app, world.users["r1"])
    assert len(wecom.delivered) == 5 and len(wecom.requests("/cgi-bin/gettoken")) == 3
    assert {s for s, _, _ in _states(app, world.users["r1"])} == {"sent"}


def test_a_burst_waits_for_wecoms_per_member_limit_instead_of_being_dropped(app, client, world, wecom, clock):
    clock.freeze(MONDAY_10)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    link(client, world, "r2", wecom_userid="li.si")
    _notify(app, world.users["r1"], count=40)
    _notify(app, world.users["r2"], count=2)
    assert len(wecom.to("zhang.san")) == 30 and len(wecom.to("li.si")) == 2 and wecom.dropped == 0
    with app.app_context():
        held = db.session.scalars(
            db.select(Notification).where(Notification.user_id == world.users["r1"], Notification.state == "queued")
        ).all()
        assert len(held) == 10
        assert {n.not_before for n in held} == {MONDAY_10 + timedelta(minutes=1, seconds=1)}
    _run(app)  # not yet due
    assert len(wecom.to("zhang.san")) == 30
    clock.freeze(MONDAY_10 + timedelta(minutes=1, seconds=1))
    _run(app)
    assert len(wecom.to("zhang.san")) == 40 and wecom.dropped == 0
    assert {s for s, _, _ in _states(app, world.users["r1"])} == {"sent"}


def test_drains_running_at_once_keep_the_limit_together(app, client, world, wecom, clock):
    """Three drains at once (three workers): each notice is sent once, and 30 in the minute in all."""
    from concurrent.futures import ThreadPoolExecutor

    from server.notify.queue import drain

    clock.freeze(MONDAY_10)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    app.config["NOTIFY_TIMER"] = False
    with app.app_context():
        user = db.session.get(User, world.users["r1"])
        for i in range(40):
            enqueue(user, "plan_ready", {"date": "2026-11-10", "stops": i, "leave_at": "08:21"})
        db.session.info.pop("notify_dispatch", None)  # drained by the three below, not by the runner
        db.session.commit()

    def one_worker(_):
        with app.app_context():
            try:
                return drain()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(one_worker, range(3)))
    sent = sum(o.get("sent", 0) for o in outcomes)
    assert sent == 30 and len(wecom.to("zhang.san")) == 30 and wecom.dropped == 0
    assert len({d[2] for d in wecom.delivered}) == 30  # none twice
    assert sorted(s for s, _, _ in _states(app, world.users["r1"])) == ["queued"] * 10 + ["sent"] * 30


def test_a_failing_channel_is_retried_with_backoff_then_failed_and_holds_no_one_up(
    app, client, world, wecom, dingtalk, clock
):
    clock.freeze(MONDAY_10)
    use_wecom(client, world)
    use_dingtalk(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    link(client, world, "r3", dingtalk_userid="wang.wu")
    wecom.mode.add("busy")
    _notify(app, world.users["r1"])
    _notify(app, world.users["r3"])
    assert [d[0] for d in dingtalk.delivered] == ["wang.wu"]  # South's DingTalk is not held up by North's WeCom
    assert _states(app, world.users["r1"]) == [("queued", "Attempt 1: wecom errcode -1: system busy", 1)]
    waits = []
    for _ in range(6):
        with app.app_context():
            due = db.session.scalar(db.select(Notification.not_before).where(Notification.user_id == world.users["r1"]))
        waits.append(round((due - clock.now()).total_seconds()))
        clock.freeze(due)
        _run(app)
        if _states(app, world.users["r1"])[0][0] == "failed":
            break
    assert waits == [60, 120, 240, 480]  # NOTIFY_RETRY_BASE_S doubled each time, NOTIFY_MAX_ATTEMPTS 5
    assert _states(app, world.users["r1"]) == [("failed", "wecom errcode -1: system busy (after 5 attempts)", 5)]
    assert len(wecom.requests("/cgi-bin/message/send")) == 5 and wecom.delivered == []
    failed = client.get("/api/notifications/outbox?state=failed", headers=world.headers("m1")).get_json()
    assert [(n["username"], n["attempts"]) for n in failed] == [("r1", 5)]
    # A refusal that trying again cannot mend fails at once: a member WeCom does not know.
    wecom.mode.discard("busy")
    link(client, world, "r2", wecom_userid="left.the.company")
    _notify(app, world.users["r2"])
    assert _states(app, world.users["r2"]) == [
        ("failed", "wecom errcode 81013: user & party & tag all invalid (after 1 attempt)", 1)
    ]


def test_dingtalk_gets_the_same_content_once_a_day(app, client, world, dingtalk, clock):
    clock.set(MONDAY_10)
    use_dingtalk(client, world)
    link(client, world, "r3", dingtalk_userid="wang.wu")
    same = {"date": "2026-11-10", "stops": 9, "leave_at": "08:21"}
    for params in (same, same, {**same, "stops": 8}):
        _notify(app, world.users["r3"], **params)
    assert [d[2] for d in dingtalk.delivered] == [
        "### 明天的路线已排好\n明天：9 个拜访，08:21 出发",
        "### 明天的路线已排好\n明天：8 个拜访，08:21 出发",
    ]
    assert dingtalk.dropped == 0
    states = _states(app, world.users["r3"])
    assert [s for s, _, _ in states] == ["sent", "failed", "sent"]
    assert "once a day" in states[1][1]
    send = dingtalk.requests("asyncsend_v2")[0][1]
    assert send["agent_id"] == 88001 and send["msg"]["msgtype"] == "action_card"
    # The next day the same content goes again.
    clock.set(MONDAY_10 + timedelta(days=1))
    _notify(app, world.users["r3"], **same)
    assert len(dingtalk.delivered) == 3


def test_dingtalk_shows_what_users_wrote_as_written_not_as_markdown(app, client, world, dingtalk, clock):
    """An account's name and a visit's next step are the users' words: in the card's markdown they cannot become a
    link, an image, bold or coloured type, a heading or a list (each special escaped; the card's own heading stays)."""
    clock.set(MONDAY_10)
    use_dingtalk(client, world)
    link(client, world, "r3", dingtalk_userid="wang.wu")
    account = "**Acme** [pay here](https://evil.example) ![x](https://evil.example/x.png)"
    step = '<font color="red">urgent</font>\n# call\n- 1. `ask` ~~me~~ | _now_ \\'
    _notify(app, world.users["r3"], kind="follow_up_due", date="2026-11-10", account=account, next_step=step)
    [(_, title, markdown, _, _)] = dingtalk.delivered
    assert title == "明天要跟进"
    assert markdown == (
        "### 明天要跟进\n"
        "\\*\\*Acme\\*\\* \\[pay here\\](https://evil.example) !\\[x\\](https://evil.example/x.png)："
        '\\<font color="red">urgent\\</font>\n\\# call\n\\- 1. \\`ask\\` \\~\\~me\\~\\~ | \\_now\\_ \\\\'
    )


def test_dingtalk_markdown_leaves_ordinary_words_as_written():
    """DingTalk documents no backslash escapes: a backslash goes only where the words would turn into markup, so a
    name like "1-007", a date or "No. 3" is sent as written; a line that would start a list or quote is escaped."""
    from server.notify.providers import markdown_text

    words = "上海源科医疗工厂 1-007，2026-12-08 08:45，No. 3 A+ (B) 50% #1 > 2 | 3!"
    assert markdown_text(words) == words
    assert markdown_text("1. call\n2. visit\n> quote\n+ plus\n  - dash\n-5 %") == (
        "1\\. call\n2\\. visit\n\\> quote\n\\+ plus\n  \\- dash\n-5 %"
    )


def test_outside_the_working_hours_a_notice_waits_unless_the_user_asked_for_it(app, client, world, wecom, clock):
    late = MONDAY_10.replace(hour=22)
    clock.freeze(late)
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    link(client, world, "r2", wecom_userid="li.si")
    asked = client.put(
        "/api/notifications/prefs",
        json={"kinds": {"plan_ready": {"on": True, "any_time": True}}},
        headers=world.headers("r2"),
    )
    assert asked.status_code == 200 and asked.get_json()["kinds"]["plan_ready"] == {"on": True, "any_time": True}
    assert asked.get_json()["mine"] == ["plan_ready", "plan_changed", "follow_up_due", "leave_by", "appointment_soon"]
    _notify(app, world.users["r1"])
    _notify(app, world.users["r2"])
    assert [d[0] for d in wecom.delivered] == ["li.si"]
    mine = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert [(n["state"], n["not_before"]) for n in mine] == [("queued", "2026-11-10T00:00:00+00:00")]  # 08:00 next day
    clock.freeze(MONDAY_10.replace(hour=8) + timedelta(days=1))
    _run(app)
    assert [d[0] for d in wecom.delivered] == ["li.si", "zhang.san"]
    assert wecom.delivered[1][2] == "今天：9 个拜访，08:21 出发"  # said as of when it went out
    # Saturday is not a working day: held until Monday 08:00.
    clock.freeze(MONDAY_10 + timedelta(days=5))
    _notify(app, world.users["r1"])
    mine = client.get("/api/notifications", headers=world.headers("r1")).get_json()
    assert mine[0]["state"] == "queued" and mine[0]["not_before"] == "2026-11-16T00:00:00+00:00"
    # A kind switched off is not sent at all, not even in the app.
    off = client.put(
        "/api/notifications/prefs", json={"kinds": {"plan_ready": {"on": False}}}, headers=world.headers("r1")
    )
    assert off.get_json()["kinds"]["plan_ready"]["on"] is False
    assert _notify(app, world.users["r1"]) == []
    bad = client.put("/api/notifications/prefs", json={"kinds": {"spam": {"on": True}}}, headers=world.headers("r1"))
    assert bad.status_code == 422


def test_the_channels_secrets_are_never_answered_nor_logged(app, client, world, wecom, dingtalk, clock, caplog):
    clock.set(MONDAY_10)
    caplog.set_level(logging.DEBUG)
    answers = [use_wecom(client, world).get_data(as_text=True), use_dingtalk(client, world).get_data(as_text=True)]
    team = client.get("/api/auth/me", headers=world.headers("m1")).get_json()["team_id"]
    shown = client.get(f"/api/teams/{team}/channel", headers=world.headers("m1"))
    answers.append(shown.get_data(as_text=True))
    assert shown.get_json()["wecom_secret_set"] is True and "wecom_secret" not in shown.get_json()
    assert shown.get_json()["ready"] is True
    assert client.get(f"/api/teams/{team}/channel", headers=world.headers("r1")).status_code == 403
    assert client.get(f"/api/teams/{team}/channel", headers=world.headers("m2")).status_code == 404
    # A channel without its secret is refused, naming what is missing; a secret left out is kept.
    other = client.get("/api/auth/me", headers=world.headers("m2")).get_json()["team_id"]
    missing = client.patch(
        f"/api/teams/{other}/channel", json={"channel": "wecom", "wecom_corp_id": "x"}, headers=world.headers("m2")
    )
    assert missing.status_code == 422 and set(missing.get_json()["error"]["fields"]) == {
        "wecom_agent_id",
        "wecom_secret",
    }
    kept = client.patch(f"/api/teams/{team}/channel", json={"hours_until": "21:00"}, headers=world.headers("m1"))
    assert kept.get_json()["wecom_secret_set"] is True and kept.get_json()["hours_until"] == "21:00"
    answers.append(kept.get_data(as_text=True))
    # Sends that work and sends that fail (WeCom refuses a changed secret) leave no secret anywhere.
    link(client, world, "r1", wecom_userid="zhang.san")
    _notify(app, world.users["r1"])
    wecom.secret = "rotated-in-wecom"
    from server.notify import providers

    providers.forget_tokens()
    _notify(app, world.users["r1"])
    outbox = client.get("/api/notifications/outbox", headers=world.headers("m1"))
    answers.append(outbox.get_data(as_text=True))
    assert [n["state"] for n in outbox.get_json()] == ["failed", "sent"]
    assert outbox.get_json()[0]["failure"] == "wecom errcode 40001: invalid credential (after 1 attempt)"
    answers.append(client.get("/openapi.json").get_data(as_text=True))
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert logged  # the failure was logged
    for text in answers + [logged]:
        assert WECOM_SECRET not in text and DINGTALK_SECRET not in text


def test_the_app_url_is_an_http_address_as_the_document_says(client, world):
    """The pattern the document publishes for app_url is the server's rule: what it matches is kept,
    what it does not is a 422 naming the field."""
    team_id = client.get("/api/auth/me", headers=world.headers("m1")).get_json()["team_id"]
    url = f"/api/teams/{team_id}/channel"
    pattern = client.get("/api/openapi.json").get_json()["components"]["schemas"]["ChannelEdit"]["properties"]
    assert pattern["app_url"]["pattern"].startswith("^https?://")
    for good in (
        "https://fieldday.example.cn/",
        "http://10.0.0.2:8080/app?x=1",
        "https://localhost",
    ):
        answer = client.patch(url, json={"app_url": good}, headers=world.headers("m1"))
        assert answer.status_code == 200 and answer.get_json()["app_url"] == good
    for bad in (
        "0000",
        "ftp://example.cn",
        "https://-bad-.cn",
        "https://example.cn/a b",
        "https://example.cn/a\u3000b",
        "https://a.cn/\x00",
    ):
        answer = client.patch(url, json={"app_url": bad}, headers=world.headers("m1"))
        assert answer.status_code == 422 and list(answer.get_json()["error"]["fields"]) == ["app_url"], bad


def test_dingtalk_saying_too_often_is_tried_again_later_and_a_refusal_fails_at_once(
    app, client, world, dingtalk, clock
):
    """DingTalk's throttling answers (errcode 90018, or errcode 88 with sub_code 90018) wait and are tried again
    with backoff, and go out once DingTalk takes them; errcode 88 with another sub_code fails at once."""
    clock.freeze(MONDAY_10)
    use_dingtalk(client, world)
    link(client, world, "r3", dingtalk_userid="wang.wu")
    dingtalk.mode.add("too_frequent")
    _notify(app, world.users["r3"])
    assert _states(app, world.users["r3"]) == [
        ("queued", "Attempt 1: dingtalk errcode 90018: 当前企业的应用调用该接口的频率超过限制", 1)
    ]
    dingtalk.mode = {"too_frequent_88"}
    clock.freeze(MONDAY_10 + timedelta(seconds=60))
    _run(app)
    state, failure, attempts = _states(app, world.users["r3"])[0]
    assert (state, attempts) == ("queued", 2) and "subcode=90018" in failure
    with app.app_context():
        due = db.session.scalar(db.select(Notification.not_before).where(Notification.user_id == world.users["r3"]))
    assert due - clock.now() == timedelta(seconds=120)  # backoff doubled
    dingtalk.mode = set()
    clock.freeze(due)
    _run(app)
    assert _states(app, world.users["r3"]) == [("sent", None, 3)]
    assert [d[0] for d in dingtalk.delivered] == ["wang.wu"]

    dingtalk.mode = {"no_permission"}
    _notify(app, world.users["r3"], date="2026-11-10", stops=3, leave_at="08:00")
    state, failure, attempts = _states(app, world.users["r3"])[1]
    assert (state, attempts) == ("failed", 1) and "subcode=60011" in failure and "after 1 attempt" in failure
