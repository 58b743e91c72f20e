"""Server-side sessions (views.security, repository.sessions): the cookie is
an opaque id; log-out, a password change and an administrator end sessions
at once, in every process; idle and absolute timeouts; anonymous visitors
and ordinary reads cost no write."""
import base64
import re
import time

import pytest
import webtest
from pyramid.interfaces import ISessionFactory

from repository.seed import DEMO_PASSWORD
from repository.sessions import digest

from ..conftest import _app, csrf_from, login


def browser(app):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})


def signed_in(app, username):
    client = browser(app)
    login(client, username)
    return client


def is_signed_in(client):
    response = client.get("/desk", status="*")
    return response.status_int == 200


def main_last_transaction(app):
    return app.registry._zodb_databases[""].storage.lastTransaction()


def decoded(cookie):
    """Whatever a base64 reading of the cookie shows."""
    found = b""
    for part in re.split(r"[.!|]", cookie):
        try:
            found += base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            pass
    return found


def test_a_copied_cookie_stops_working_after_log_out(wsgi_app):
    officer = browser(wsgi_app)
    officer.get("/login")
    before = officer.cookies["kho_session"]
    login(officer, "canbo")
    copied = officer.cookies["kho_session"]
    assert copied != before                  # log-in starts a session with a new id
    thief = browser(wsgi_app)
    thief.set_cookie("kho_session", copied)
    assert is_signed_in(thief)
    officer.post("/logout", {"csrf_token": csrf_from(officer.get("/desk"))}, status=302)
    assert not is_signed_in(officer)
    assert thief.get("/desk").location.endswith("/login?came_from=/desk")
    assert thief.get("/api/v1/me", status=401)


def test_the_cookie_holds_no_user_name_csrf_token_or_paper(wsgi_app, open_root):
    officer = signed_in(wsgi_app, "canbo")
    officer.get("/subjects/001090012345/")
    csrf = csrf_from(officer.get("/desk"))
    officer.post("/desk", {"subject_id": "079203000001", "name": "Lê Văn Bình", "csrf_token": csrf})
    cookie = officer.cookies["kho_session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie), cookie
    shown = decoded(cookie)
    for secret in (b"canbo", csrf.encode(), b"001090012345", b"auth.userid", b"csrf"):
        assert secret not in shown and secret.decode() not in cookie
    record = open_root().sessions.records[digest(cookie)]      # what it holds is on the server
    assert record.username == "canbo"


def test_a_password_change_ends_every_session_of_the_account(wsgi_app):
    first, second = signed_in(wsgi_app, "canbo"), signed_in(wsgi_app, "canbo")
    other = signed_in(wsgi_app, "canbo2")
    token = browser(wsgi_app).post_json("/api/v1/tokens", {"username": "canbo", "password": DEMO_PASSWORD}).json
    csrf = csrf_from(first.get("/desk"))
    wrong = first.post_json("/api/v1/password", {"old_password": "sai-mat-khau", "new_password": "mat-khau-moi-1"},
                            headers={"X-CSRF-Token": csrf}, status=400)
    assert "old_password" in wrong.json["errors"]
    assert is_signed_in(second)
    changed = first.post_json("/api/v1/password", {"old_password": DEMO_PASSWORD,
                                                   "new_password": "mat-khau-moi-1"},
                              headers={"X-CSRF-Token": csrf}).json
    assert changed == {"username": "canbo", "sessions_ended": 2}
    assert not is_signed_in(second)
    assert is_signed_in(first)               # the browser that changed it has a new session
    assert is_signed_in(other)
    browser(wsgi_app).get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})   # tokens stay
    login(browser(wsgi_app), "canbo", "mat-khau-moi-1")


def test_an_administrator_ends_an_account_s_sessions(wsgi_app):
    officer = signed_in(wsgi_app, "canbo")
    tokens = browser(wsgi_app)
    admin = {"Authorization": "Bearer " + tokens.post_json("/api/v1/tokens", {
        "username": "quantri", "password": DEMO_PASSWORD}).json["token"]}
    own = {"Authorization": "Bearer " + tokens.post_json("/api/v1/tokens", {
        "username": "canbo", "password": DEMO_PASSWORD}).json["token"]}
    tokens.post_json("/api/v1/users/canbo2/logout", {}, headers=own, status=403)
    assert is_signed_in(officer)
    ended = tokens.post_json("/api/v1/users/canbo/logout", {}, headers=admin).json
    assert ended == {"username": "canbo", "sessions_ended": 1, "tokens_revoked": 0}
    assert not is_signed_in(officer)
    tokens.get("/api/v1/me", headers=own)
    ended = tokens.post_json("/api/v1/users/canbo/logout", {"tokens": True}, headers=admin).json
    assert ended["tokens_revoked"] == 1
    tokens.get("/api/v1/me", headers=own, status=401)
    tokens.post_json("/api/v1/users/nobody/logout", {}, headers=admin, status=404)


@pytest.fixture
def timed_app(settings):
    yield from _app(dict(settings, **{"kho.session.idle_minutes": "30", "kho.session.lifetime_hours": "8",
                                      "kho.session.touch_seconds": "300"}))


def _age(open_root, cookie, **seconds_ago):
    root = open_root()
    with root._p_jar.transaction_manager:
        record = root.sessions.records[digest(cookie)]
        for name, ago in seconds_ago.items():
            setattr(record, name, time.time() - ago)


def test_idle_and_absolute_timeouts_come_from_the_settings(timed_app):
    from ..conftest import _root_opener
    opener = _root_opener(timed_app)
    open_root = next(opener)
    idle, old = signed_in(timed_app, "canbo"), signed_in(timed_app, "canbo")
    _age(open_root, idle.cookies["kho_session"], seen=29 * 60)
    assert is_signed_in(idle)
    _age(open_root, idle.cookies["kho_session"], seen=31 * 60)
    assert not is_signed_in(idle)
    _age(open_root, old.cookies["kho_session"], created=8 * 3600 - 60, seen=0)
    assert is_signed_in(old)
    _age(open_root, old.cookies["kho_session"], created=8 * 3600 + 1, seen=0)
    assert not is_signed_in(old)
    root = open_root()
    with root._p_jar.transaction_manager:
        assert root.sessions.sweep(timeouts=timed_app.registry.queryUtility(ISessionFactory).timeouts) == 2
    assert open_root().sessions.count_for_user("canbo") == 0
    next(opener, None)


def test_reads_write_nothing_and_the_last_seen_time_is_kept_every_few_minutes(wsgi_app, open_root):
    officer = signed_in(wsgi_app, "canbo")
    officer.get("/desk")
    before = main_last_transaction(wsgi_app)
    for _ in range(3):
        officer.get("/desk")
        officer.get("/api/v1/me")
    assert main_last_transaction(wsgi_app) == before
    _age(open_root, officer.cookies["kho_session"], seen=301)
    before = main_last_transaction(wsgi_app)
    officer.get("/desk")
    assert main_last_transaction(wsgi_app) != before         # one touch …
    before = main_last_transaction(wsgi_app)
    officer.get("/desk")
    assert main_last_transaction(wsgi_app) == before         # … and no more


def test_anonymous_visitors_get_no_record_until_something_is_kept(wsgi_app, open_root):
    before = main_last_transaction(wsgi_app)
    visitors = [browser(wsgi_app) for _ in range(5)]
    for visitor in visitors:
        page = visitor.get("/login")
        assert visitor.cookies["kho_session"]
        visitor.get("/verify")
        assert csrf_from(visitor.get("/login")) == csrf_from(page)      # the same token for this visitor
    assert main_last_transaction(wsgi_app) == before
    assert len(open_root().sessions) == 0
    assert csrf_from(visitors[0].get("/login")) != csrf_from(visitors[1].get("/login"))
    stranger = browser(wsgi_app)
    cookie = visitors[0].cookies["kho_session"]
    stranger.set_cookie("kho_session", cookie[:-1] + ("B" if cookie.endswith("A") else "A"))   # another id
    stranger.post("/login", {"username": "canbo", "password": DEMO_PASSWORD,
                             "csrf_token": csrf_from(visitors[0].get("/login"))}, status=400)   # bound to its id
