"""API tokens with a lifetime, a public id, a list and a revoke (repository,
API and `kho token …`); `kho user password|logout`; the session store's
sweep; the throttle's windows; the evolve step for tokens made before ids."""
import datetime

import pytest
import transaction
import webtest

from repository import throttle as T
from repository.accounts import TokenNotFound, _digest, issue_token, list_tokens, revoke_token
from repository.audit import audit_log
from repository.cli import main as kho
from repository.db import app_root, close_databases, open_databases
from repository.errors import Refused
from repository.seed import DEMO_PASSWORD
from repository.sessions import SessionStore, Timeouts, open_session

from ..conftest import write_ini


@pytest.fixture
def db_root(settings):
    """root(): the app root of the seeded database, in a fresh connection
    (commit with `with root._p_jar.transaction_manager`)."""
    db = open_databases(settings)
    conns = []

    def _root():
        conn = db.open(transaction.TransactionManager())
        conns.append(conn)
        return app_root(conn)
    yield _root
    for conn in conns:
        conn.transaction_manager.abort()
        conn.close()
    close_databases(db)


def committed(root, function, *args, **kw):
    with root._p_jar.transaction_manager:
        return function(root, *args, **kw)


def test_tokens_expire(db_root):
    root = db_root()
    accounts = root.accounts
    token = accounts.issue_token("canbo", "tích hợp", days=2)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert accounts.user_for_token(token).username == "canbo"
    assert accounts.user_for_token(token, now + datetime.timedelta(days=1, hours=23)).username == "canbo"
    assert accounts.user_for_token(token, now + datetime.timedelta(days=2, minutes=1)) is None
    default = accounts.token_entry(accounts.issue_token("canbo"))
    assert (default["expires"] - default["created"]).days == 30


def test_tokens_are_listed_without_their_secret_and_revoked_by_id(db_root):
    root = db_root()
    canbo, xuly, admin = (root.accounts.users[u] for u in ("canbo", "xuly", "quantri"))
    secret = committed(root, issue_token, "canbo", canbo, "máy quét")
    committed(root, issue_token, "xuly", xuly, "")
    mine = list_tokens(root, canbo)
    assert [(t["username"], t["label"], t["expired"]) for t in mine] == [("canbo", "máy quét", False)]
    text = repr(mine)
    assert secret not in text and _digest(secret) not in text and len(mine[0]["id"]) == 10
    with pytest.raises(Refused):
        list_tokens(root, canbo, "xuly")
    assert [t["username"] for t in list_tokens(root, admin, "xuly")] == ["xuly"]
    with pytest.raises(TokenNotFound):            # not theirs: as if it did not exist
        revoke_token(root, list_tokens(root, admin, "xuly")[0]["id"], canbo)
    committed(root, revoke_token, mine[0]["id"], canbo)
    assert root.accounts.user_for_token(secret) is None and list_tokens(root, canbo) == []
    with pytest.raises(TokenNotFound):
        revoke_token(root, mine[0]["id"], canbo)
    actions = [e["action"] for e in audit_log(root._p_jar)]
    assert actions[-3:] == ["issue_token", "issue_token", "revoke_token"]


def test_expired_and_revoked_tokens_get_401_from_the_api(wsgi_app, open_root):
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    made = client.post_json("/api/v1/tokens", {"username": "canbo", "password": DEMO_PASSWORD, "days": 3},
                            status=201).json
    assert set(made) == {"token", "username", "id", "expires"}
    headers = {"Authorization": f"Bearer {made['token']}"}
    client.post_json("/api/v1/tokens", {"username": "canbo", "password": DEMO_PASSWORD, "days": 31}, status=400)
    listed = client.get("/api/v1/tokens", headers=headers).json
    assert [t["id"] for t in listed["items"]] == [made["id"]] and made["token"] not in repr(listed)
    root = open_root()                                 # a token made 31 days ago with the default lifetime
    with root._p_jar.transaction_manager:
        old = root.accounts.issue_token("canbo", now=datetime.datetime.now(datetime.timezone.utc)
                                        - datetime.timedelta(days=31))
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}, status=401)
    client.get("/api/v1/me", headers=headers)
    client.delete(f"/api/v1/tokens/{made['id']}", headers=headers, status=200)
    client.get("/api/v1/me", headers=headers, status=401)


def test_the_api_lists_and_revokes_for_the_owner_and_administrators(wsgi_app):
    from ..views.openapi_check import validate
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})

    def token(username):
        made = validate(client.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD,
                                                            "label": username}, status=201)).json
        return made["id"], {"Authorization": f"Bearer {made['token']}"}
    canbo_id, canbo = token("canbo")
    xuly_id, xuly = token("xuly")
    admin_id, admin = token("quantri")
    assert [t["id"] for t in validate(client.get("/api/v1/tokens", headers=canbo)).json["items"]] == [canbo_id]
    validate(client.get("/api/v1/tokens", {"user": "xuly"}, headers=canbo, status=403))
    listed = validate(client.get("/api/v1/tokens", {"user": "xuly"}, headers=admin)).json
    assert [(t["id"], t["label"]) for t in listed["items"]] == [(xuly_id, "xuly")]
    validate(client.delete(f"/api/v1/tokens/{xuly_id}", headers=canbo, status=404))
    client.get("/api/v1/me", headers=xuly)
    validate(client.delete(f"/api/v1/tokens/{xuly_id}", headers=admin))
    client.get("/api/v1/me", headers=xuly, status=401)
    client.delete("/api/v1/tokens/khong-co", headers=admin, status=404)
    client.delete(f"/api/v1/tokens/{canbo_id}", status=401)


def run(capsys, *argv):
    code = kho(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kho_token_create_list_and_revoke(settings, tmp_path, capsys):
    ini = write_ini(tmp_path, settings)
    code, out, err = run(capsys, "-c", ini, "token", "create", "canbo", "--label", "máy quét", "--days", "7")
    assert code == 0
    secret = out.strip()
    token_id = err.split()[1].rstrip(",")
    run(capsys, "-c", ini, "token", "create", "xuly")
    code, out, err = run(capsys, "-c", ini, "token", "list", "canbo")
    assert code == 0 and token_id in out and "máy quét" in out and "valid" in out
    assert secret not in out and _digest(secret) not in out and len(out.strip().splitlines()) == 1
    code, out, _ = run(capsys, "-c", ini, "token", "list")
    assert len(out.strip().splitlines()) == 2
    assert run(capsys, "-c", ini, "token", "list", "nobody")[0] == 2
    code, out, _ = run(capsys, "-c", ini, "token", "revoke", token_id)
    assert code == 0 and "revoked" in out
    code, _, err = run(capsys, "-c", ini, "token", "revoke", token_id)
    assert code == 2 and token_id in err
    code, out, _ = run(capsys, "-c", ini, "token", "list", "canbo")
    assert out.strip() == ""
    db = open_databases(settings)
    conn = db.open()
    try:
        assert app_root(conn).accounts.user_for_token(secret) is None
    finally:
        conn.close()
        close_databases(db)


def test_kho_user_password_and_logout_end_sessions(settings, tmp_path, capsys, monkeypatch):
    ini = write_ini(tmp_path, settings)
    db = open_databases(settings)
    conn = db.open()
    with conn.transaction_manager:
        root = app_root(conn)
        ids = [open_session(root, "canbo") for _ in range(2)] + [open_session(root, "xuly")]
        token = root.accounts.issue_token("canbo")
    conn.close()
    close_databases(db)
    monkeypatch.setenv("KHO_PASSWORD", "mat-khau-moi-1")
    code, out, _ = run(capsys, "-c", ini, "user", "password", "canbo")
    assert code == 0 and "2 session(s) ended" in out
    monkeypatch.setenv("KHO_PASSWORD", "ngan")
    assert run(capsys, "-c", ini, "user", "password", "xuly")[0] == 2      # too short: nothing changed
    code, out, _ = run(capsys, "-c", ini, "user", "logout", "xuly", "--tokens")
    assert code == 0 and "1 session(s) of xuly ended" in out
    assert run(capsys, "-c", ini, "user", "logout", "nobody")[0] == 2
    db = open_databases(settings)
    conn = db.open()
    try:
        root = app_root(conn)
        assert [root.sessions.find(i) for i in ids] == [None, None, None]
        assert root.accounts.authenticate("canbo", "mat-khau-moi-1") is not None
        assert root.accounts.authenticate("xuly", DEMO_PASSWORD) is not None
        assert root.accounts.user_for_token(token) is not None         # a password change keeps tokens
    finally:
        conn.close()
        close_databases(db)


def test_the_sweep_removes_expired_sessions_only():
    store = SessionStore()
    timeouts = Timeouts(idle=60, lifetime=600, touch=10)
    now = 1_000_000.0
    live = [store.create(f"live-{i}", "canbo", now, timeouts, sweep=False) for i in range(3)]
    for i in range(5):
        store.create(f"idle-{i}", None, now - 120, timeouts, sweep=False)
    old = store.create("old", "xuly", now - 700, timeouts, sweep=False)
    old.seen = now
    assert store.sweep(now, timeouts, limit=100) == 6
    assert len(store) == 3 and store.count_for_user("xuly") == 0 and store.count_for_user("canbo") == 3
    assert all(store.find(f"live-{i}", now, timeouts) is live[i] for i in range(3))
    assert store.find("live-0", now + 61, timeouts) is None


def test_throttle_windows_and_waits():
    class Root:
        pass
    root = Root()
    key = T.account_key("CanBo")
    assert key == T.account_key("canbo")
    now = 10 * T.WINDOW + 10.0
    limits = [(key, 3)]
    T.note_failure(root, [key], now - 2 * T.WINDOW)
    T.note_failure(root, [key], now - 1)
    assert T.retry_after(root, limits, now) == 0
    assert T.note_failure(root, [key], now) == {key: 3}
    wait = T.retry_after(root, limits, now)
    assert 0 < wait <= 15 * 60 and T.retry_after(root, limits, now + wait) == 0
    T.forget(root, key, now)
    assert T.failures(root, key, now) == 0
    T.note_failure(root, [key], now + 3600)                 # a new window drops the old ones
    assert list(root.throttle.windows.keys()) == [int((now + 3600) // T.WINDOW)]


def test_tokens_made_before_ids_get_one_and_an_expiry(db_root):
    root = db_root()
    accounts = root.accounts
    now = datetime.datetime.now(datetime.timezone.utc)
    accounts.tokens[_digest("kho_old")] = ("canbo", now - datetime.timedelta(days=100), "")
    accounts.tokens[_digest("kho_new")] = ("canbo", now - datetime.timedelta(days=1), "")
    accounts.assign_token_ids(now)
    old, new = accounts.token_entry("kho_old"), accounts.token_entry("kho_new")
    assert old["id"] and new["id"] and accounts.entry_by_id(old["id"])["username"] == "canbo"
    assert old["expires"] == now + datetime.timedelta(days=7)
    assert new["expires"] == now + datetime.timedelta(days=29)


def test_two_requests_of_one_session_writing_at_once_do_not_conflict(db_root):
    root = db_root()
    with root._p_jar.transaction_manager:
        session_id = open_session(root, "canbo")
        record = root.sessions.find(session_id)
        record.save({"readings": {"a": [None, 1.0, 0]}, "_f_": ["một"]})
    first, second = db_root(), db_root()
    one, two = first.sessions.find(session_id), second.sessions.find(session_id)
    one.save({"readings": {"a": [None, 1.0, 1]}, "_f_": ["một", "hai"]})
    two.save({"readings": {"a": [None, 1.0, 0], "b": [None, 2.0, 0]}, "_f_": ["một", "ba"], "x": 1})
    two.seen += 500
    first._p_jar.transaction_manager.commit()
    second._p_jar.transaction_manager.commit()          # resolved, not a ConflictError
    merged = db_root().sessions.find(session_id)
    assert merged.data == {"readings": {"a": [None, 1.0, 1], "b": [None, 2.0, 0]},
                           "_f_": ["một", "hai", "ba"], "x": 1}
    assert merged.seen == two.seen
