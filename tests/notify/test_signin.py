"""Sign-in from inside WeCom (OAuth2 snsapi_base code) and DingTalk (免登 auth code), through the fakes:
a linked id signs its user in; a username that matches is linked once its password confirms it; anyone
else is sent to the admin. The app's own login stays."""

from server.extensions import db
from server.models import ImLink
from tests.conftest import PASSWORD
from tests.notify.conftest import WECOM_SECRET, link, use_dingtalk, use_wecom


def _sign_in(client, provider, corp_id, code):
    return client.post("/api/auth/im", json={"provider": provider, "corp_id": corp_id, "code": code})


def test_inside_wecom_a_linked_member_is_signed_in_and_a_code_works_once(app, client, world, wecom):
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    wecom.codes["code-a"] = "zhang.san"
    answer = _sign_in(client, "wecom", "ww-corp-1", "code-a")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["user"]["username"] == "r1" and body["access_token"] and body["refresh_token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == "r1"
    asked = wecom.requests("/cgi-bin/auth/getuserinfo")
    assert [q["code"] for q, _ in asked] == ["code-a"]
    again = _sign_in(client, "wecom", "ww-corp-1", "code-a")
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "bad_code"
    unknown_corp = _sign_in(client, "wecom", "ww-other", "code-b")
    assert unknown_corp.status_code == 404 and unknown_corp.get_json()["error"]["code"] == "unknown_corp"
    # In a cookie for the browser, as the password login does.
    wecom.codes["code-c"] = "zhang.san"
    cookie = client.post(
        "/api/auth/im", json={"provider": "wecom", "corp_id": "ww-corp-1", "code": "code-c", "refresh_in_cookie": True}
    )
    assert cookie.status_code == 200 and "refresh_token" not in cookie.get_json()
    assert any(h.startswith("fieldday_refresh=") for h in cookie.headers.getlist("Set-Cookie"))
    # The password login is unchanged.
    login = client.post("/api/auth/login", json={"username": "r1", "password": PASSWORD})
    assert login.status_code == 200


def test_a_matching_username_is_linked_once_its_password_confirms_it(app, client, world, wecom):
    use_wecom(client, world)
    wecom.codes.update({"c1": "R2", "c2": "r2", "c3": "stranger", "c4": "r3"})
    offer = _sign_in(client, "wecom", "ww-corp-1", "c1")
    assert offer.status_code == 409, offer.get_json()
    error = offer.get_json()["error"]
    assert error["code"] == "confirm_link" and error["username"] == "r2"
    ticket = error["ticket"]
    wrong = client.post("/api/auth/im/confirm", json={"ticket": ticket, "password": "not it"})
    assert wrong.status_code == 401
    forged = client.post("/api/auth/im/confirm", json={"ticket": ticket + "x", "password": PASSWORD})
    assert forged.status_code == 401 and forged.get_json()["error"]["code"] == "bad_ticket"
    confirmed = client.post("/api/auth/im/confirm", json={"ticket": ticket, "password": PASSWORD})
    assert confirmed.status_code == 200 and confirmed.get_json()["user"]["username"] == "r2"
    with app.app_context():
        links = db.session.scalars(db.select(ImLink)).all()
        assert [(str(k.user_id), k.provider, k.corp_id, k.external_id) for k in links] == [
            (str(world.users["r2"]), "wecom", "ww-corp-1", "R2")
        ]
    # Next time no question is asked; the admin sees the link.
    wecom.codes["c5"] = "R2"
    assert _sign_in(client, "wecom", "ww-corp-1", "c5").get_json()["user"]["username"] == "r2"
    shown = client.get(f"/api/users/{world.users['r2']}/im-links", headers=world.headers("admin")).get_json()
    assert shown == {"wecom_userid": "R2", "dingtalk_userid": None}
    # No such user; and r3 matches by name but is in another team, not on this corp.
    for code in ("c3", "c4"):
        refused = _sign_in(client, "wecom", "ww-corp-1", code)
        assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_linked"


def test_inside_dingtalk_the_auth_code_signs_in_the_linked_user(app, client, world, dingtalk):
    use_dingtalk(client, world)
    link(client, world, "r3", dingtalk_userid="wang.wu")
    dingtalk.codes["auth-1"] = "wang.wu"
    answer = _sign_in(client, "dingtalk", "ding-corp-9", "auth-1")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["user"]["username"] == "r3"
    assert [b for _, b in dingtalk.requests("/topapi/v2/user/getuserinfo")] == [{"code": "auth-1"}]
    refused = _sign_in(client, "dingtalk", "ding-corp-9", "auth-1")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "bad_code"


def test_links_are_the_admins_or_managers_and_one_id_one_user(app, client, world, wecom, dingtalk):
    use_wecom(client, world)
    link(client, world, "r1", wecom_userid="zhang.san")
    url = f"/api/users/{world.users['r2']}/im-links"
    taken = client.put(url, json={"wecom_userid": "zhang.san"}, headers=world.headers("admin"))
    assert taken.status_code == 409
    assert client.put(url, json={"wecom_userid": "x"}, headers=world.headers("r2")).status_code == 403
    assert client.put(url, json={"wecom_userid": "x"}, headers=world.headers("m2")).status_code == 404
    no_corp = client.put(url, json={"dingtalk_userid": "x"}, headers=world.headers("m1"))
    assert no_corp.status_code == 422 and "dingtalk_userid" in no_corp.get_json()["error"]["fields"]
    mine = client.put(url, json={"wecom_userid": "li.si"}, headers=world.headers("m1"))
    assert mine.get_json() == {"wecom_userid": "li.si", "dingtalk_userid": None}
    unlinked = client.put(url, json={"wecom_userid": None}, headers=world.headers("m1"))
    assert unlinked.get_json() == {"wecom_userid": None, "dingtalk_userid": None}


def test_an_im_id_is_one_member_never_a_list_or_everyone(app, client, world, wecom, dingtalk):
    """WeCom sends to every member of the corp for `@all` and to each of `a|b`; DingTalk to each of `a,b`: linked to
    a rep, such an id sent the rep's notices (their accounts and plans) to other people as well."""
    from tests.server.test_users_import import send

    use_wecom(client, world)
    use_dingtalk(client, world, "m2")
    for username, field in (("r1", "wecom_userid"), ("r3", "dingtalk_userid")):
        url = f"/api/users/{world.users[username]}/im-links"
        for userid in ("@all", "zhang.san|li.si", "zhang.san,li.si", "zhang san"):
            refused = client.put(url, json={field: userid}, headers=world.headers("admin"))
            assert refused.status_code == 422 and set(refused.get_json()["error"]["fields"]) == {field}, userid
        assert client.get(url, headers=world.headers("admin")).get_json() == {
            "wecom_userid": None,
            "dingtalk_userid": None,
        }
    padded = client.put(
        f"/api/users/{world.users['r1']}/im-links", json={"wecom_userid": " zhang.san "}, headers=world.headers("m1")
    )
    assert padded.get_json()["wecom_userid"] == "zhang.san"  # white space around it is trimmed, as before
    refused = send(client, world.headers("m1"), "username,role,wecom_userid\nr2,rep,@all\n")
    assert refused.status_code == 422
    assert {(e["row"], e["field"]) for e in refused.get_json()["error"]["report"]["errors"]} == {(2, "wecom_userid")}


def test_a_team_whose_secret_wecom_refuses_says_so_without_the_secret(app, client, world, wecom):
    use_wecom(client, world)
    wecom.secret = "changed"
    wecom.codes["c"] = "zhang.san"
    answer = _sign_in(client, "wecom", "ww-corp-1", "c")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "provider_refused"
    assert WECOM_SECRET not in answer.get_data(as_text=True)
    wecom.mode.add("down")
    from server.notify import providers

    providers.forget_tokens()
    down = _sign_in(client, "wecom", "ww-corp-1", "c")
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "provider_unavailable"


def test_the_users_import_links_wecom_and_dingtalk_ids(app, client, world, wecom, dingtalk):
    from tests.server.test_users_import import send

    use_wecom(client, world)
    text = (
        "username,role,start_lat,start_lng,企业微信账号,钉钉账号\n"
        "rep40,rep,31.2,121.4,rep40.wx,\n"
        "r1,rep,31.2,121.4,zhang.san,\n"
    )
    done = send(client, world.headers("m1"), text)
    assert done.status_code == 200, done.get_json()
    assert [u["outcome"] for u in done.get_json()["users"]] == ["created", "updated"]
    for username, userid in (("rep40", "rep40.wx"), ("r1", "zhang.san")):
        user_id = client.get(f"/api/users?q={username}", headers=world.headers("m1")).get_json()["items"][0]["id"]
        shown = client.get(f"/api/users/{user_id}/im-links", headers=world.headers("m1")).get_json()
        assert shown == {"wecom_userid": userid, "dingtalk_userid": None}
    # North has no DingTalk, and an id already taken is refused: the row's error, nothing written.
    text = "username,role,dingtalk_userid,wecom_userid\nrep41,rep,d1,\nr2,rep,,zhang.san\n"
    refused = send(client, world.headers("m1"), text)
    assert refused.status_code == 422
    errors = {(e["row"], e["field"]) for e in refused.get_json()["error"]["report"]["errors"]}
    assert errors == {(2, "dingtalk_userid"), (3, "wecom_userid")}
    assert client.get("/api/users?q=rep41", headers=world.headers("m1")).get_json()["items"] == []
