"""Log-in: throttled by account and by client address (a clear message, 429
for the API's token endpoint), the same time for a known and an unknown
account, and every attempt audited (repository.accounts.log_in)."""
import time

import pytest
import webtest

from repository.audit import audit_log
from repository.seed import DEMO_PASSWORD

from ..conftest import _app, csrf_from


def browser(app, address="10.0.0.1"):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "REMOTE_ADDR": address})


def attempt(app, username, password, address="10.0.0.1", status="*"):
    client = browser(app, address)
    page = client.get("/login")
    return client.post("/login", {"username": username, "password": password, "csrf_token": csrf_from(page)},
                       status=status)


@pytest.fixture
def limited_app(settings):
    """The app with a lower address limit than the default (20), to keep the test short."""
    yield from _app(dict(settings, **{"kho.login.max_failures": "5", "kho.login.max_failures_address": "8",
                                      "kho.login.window_minutes": "15"}))


@pytest.mark.slow  # many argon2 log-ins (~4 s); the address throttling test stays in test-fast
def test_an_account_is_throttled_after_five_failures_from_anywhere(limited_app):
    for _ in range(2):          # a success in between forgets the account's failures
        for i in range(4):
            attempt(limited_app, "canbo", "sai-mat-khau", address=f"10.0.4.{i}", status=400)
        assert attempt(limited_app, "canbo", DEMO_PASSWORD, address="10.0.4.9").status_int == 302
    for i in range(5):
        assert attempt(limited_app, "canbo", "sai-mat-khau", address=f"10.0.1.{i}").status_int == 400
    refused = attempt(limited_app, "canbo", DEMO_PASSWORD, address="10.0.1.99")     # even the right password
    assert refused.status_int == 429
    assert "Quá nhiều lần đăng nhập không thành công" in refused.text and "phút" in refused.text
    assert int(refused.headers["Retry-After"]) > 600
    assert attempt(limited_app, "canbo2", DEMO_PASSWORD, address="10.0.1.0").status_int == 302   # others log in
    api = browser(limited_app, "10.0.1.98").post_json("/api/v1/tokens", {"username": "canbo",
                                                                        "password": DEMO_PASSWORD}, status=429)
    assert api.json["error"] == "throttled" and int(api.headers["Retry-After"]) > 0


def test_an_address_is_throttled_after_failures_on_any_accounts(limited_app):
    for i in range(8):
        attempt(limited_app, f"khong-co-{i}", "sai-mat-khau", address="10.0.2.1", status=400)
    assert attempt(limited_app, "canbo", DEMO_PASSWORD, address="10.0.2.1").status_int == 429
    api = browser(limited_app, "10.0.2.1").post_json("/api/v1/tokens", {"username": "canbo",
                                                                       "password": DEMO_PASSWORD}, status=429)
    assert "Retry-After" in api.headers
    assert attempt(limited_app, "canbo", DEMO_PASSWORD, address="10.0.2.2").status_int == 302


def test_the_token_endpoint_counts_failures_too(limited_app):
    client = browser(limited_app, "10.0.3.1")
    for _ in range(5):
        client.post_json("/api/v1/tokens", {"username": "xuly", "password": "sai-mat-khau"}, status=401)
    client.post_json("/api/v1/tokens", {"username": "xuly", "password": DEMO_PASSWORD}, status=429)
    assert attempt(limited_app, "xuly", DEMO_PASSWORD, address="10.0.3.2").status_int == 429


@pytest.fixture
def unthrottled_app(settings):
    yield from _app(dict(settings, **{"kho.login.max_failures": "1000",
                                      "kho.login.max_failures_address": "1000"}))


@pytest.mark.slow  # many argon2 verifications on purpose (~2.5 s)
def test_a_known_and_an_unknown_account_take_about_the_same_time(unthrottled_app):
    client = browser(unthrottled_app)
    csrf = csrf_from(client.get("/login"))

    def timed(username):
        start = time.perf_counter()
        client.post("/login", {"username": username, "password": "sai-mat-khau", "csrf_token": csrf}, status=400)
        return time.perf_counter() - start

    timed("canbo"), timed("khong-ai-ca")         # warm up (the dummy hash is made once)
    known, unknown = [], []
    for i in range(4):
        known.append(timed("canbo"))
        unknown.append(timed(f"khong-ai-{i}"))
    known, unknown = sorted(known)[1], sorted(unknown)[1]
    assert max(known, unknown) / min(known, unknown) < 3, (known, unknown)


def test_failed_and_successful_log_ins_are_audited(testapp, open_root):
    client = browser(testapp.app, "10.0.5.1")
    page = client.get("/login")
    client.post("/login", {"username": "canbo", "password": "sai-mat-khau", "csrf_token": csrf_from(page)},
                status=400)
    client.post("/login", {"username": "khong-co", "password": "sai-mat-khau", "csrf_token": csrf_from(page)},
                status=400)
    client.post_json("/api/v1/tokens", {"username": "canbo", "password": "sai-mat-khau"}, status=401)
    client.post("/login", {"username": "canbo", "password": DEMO_PASSWORD, "csrf_token": csrf_from(page)},
                status=302)
    client.post_json("/api/v1/tokens", {"username": "xuly", "password": DEMO_PASSWORD}, status=201)
    root = open_root()
    entries = [e for e in audit_log(root._p_jar) if e["action"] in ("login", "login_failed")]
    assert [(e["action"], e["actor"], (e["detail"] or {}).get("username"), e["detail"]["via"])
            for e in entries] == [
        ("login_failed", "system", "canbo", "page"),
        ("login_failed", "system", "khong-co", "page"),
        ("login_failed", "system", "canbo", "token"),
        ("login", "canbo", None, "page"),
        ("login", "xuly", None, "token"),
    ]
    assert all(e["detail"]["address"] == "10.0.5.1" for e in entries)
    assert audit_log(root._p_jar).verify() == (True, None)
