"""The security headers (views/headers.py) on every response: a crawl of
every route of the route × role table (test_security_matrix.CASES) as each
account allowed there, anonymous and one refused account, over the reuse
world. Every response carries the Content-Security-Policy (no inline
script, no framing), nosniff, a Referrer-Policy, and, unless it is a static
file or the OpenAPI document, Cache-Control: no-store. The confirmation
page keeps its own stricter policy. Cookies are Secure where the public URL
is https (or kho.secure_cookies says so)."""
import pytest

from views import headers
from views.pages import confirm

from . import test_security_matrix as matrix
from .test_security_matrix import names  # noqa: F401  (the fixture)

OPENAPI = "/api/v1/openapi.json"

# GET views whose answer holds personal data: each must be served (2xx) to
# someone in the crawl, so that no-store is checked on a real answer
PERSONAL = {
    "views.pages.warehouse.warehouse_page", "views.pages.document.document_page",
    "views.pages.document.download", "views.pages.search.search_page",
    "views.pages.dossiers.dossier_list", "views.pages.dossiers.dossier_page",
    "views.pages.consents.consents_page", "views.pages.consents.receipt",
    "views.pages.confirm.confirm_page", "views.pages.confirm.confirm_preview", "views.pages.desk.desk",
    "views.api.subjects.get_warehouse", "views.api.subjects.list_documents",
    "views.api.subjects.get_document", "views.api.subjects.get_content",
    "views.api.search.search_api", "views.api.accounts.me", "views.api.dossiers.get_dossier",
    "views.api.dossiers.receipt", "views.api.consents.list_consents", "views.api.consents.receipt",
    "views.api.reception.get_confirmation",
}


def check_headers(response, where):
    h = response.headers
    path = response.request.path_info
    if path.startswith("/confirm/") or path.startswith("/api/v1/confirmations/"):
        assert h.get("Content-Security-Policy") in (confirm.CSP, headers.CSP), where
    else:
        assert h.get("Content-Security-Policy") == headers.CSP, where
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0], where
    assert "script-src 'self'" in csp or "default-src 'none'" in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer"), where
    cache = (h.get("Cache-Control") or "").lower()
    if path == OPENAPI or path.startswith("/static/"):
        assert "no-store" not in cache, where
    else:
        assert "no-store" in cache and "max-age" not in cache and "public" not in cache, where
        assert "Expires" not in h, where


def crawl_order(view):
    """Reads first, then the writes (which may change what later reads see)."""
    return (matrix.CASES[view][0] != "GET", view)


@pytest.mark.slow  # a crawl of every route × role (~9 s); the other header tests stay in test-fast
def test_every_response_of_a_crawl_carries_the_headers(reuse_app, reuse_testapp, names):
    matrix.SESSIONS.clear()       # sessions of another test's app are not this app's
    fields, tokens = names
    served = set()
    asked = 0
    for view in sorted(matrix.CASES, key=crawl_order):
        allowed = matrix.CASES[view][2]
        refused = sorted(matrix.EVERYONE - allowed - {None}, key=str)[:1]
        for username in sorted(allowed | {None}, key=str) + refused:
            response = matrix.ask(reuse_testapp, username, tokens, view, fields)
            check_headers(response, (view, username, response.status))
            asked += 1
            if 200 <= response.status_int < 300:
                served.add(view)
    assert PERSONAL - served == set(), "personal-data views never served in the crawl"
    assert asked > 100


def test_static_files_errors_and_redirects_carry_the_headers(testapp):
    css = testapp.get("/static/kho.css")
    check_headers(css, "static")
    assert "max-age" in css.headers["Cache-Control"]
    check_headers(testapp.get(OPENAPI), "openapi")
    check_headers(testapp.get("/no/such/page", status=404), "404")
    check_headers(testapp.get("/desk", status=302), "log-in redirect")
    check_headers(testapp.get("/api/v1/me", status=401), "401")
    check_headers(testapp.get("/login"), "log-in page")
    check_headers(testapp.get("/verify"), "verify form")


def test_preview_of_personal_page_images_is_not_cached(reuse_testapp, world):
    """A page image of a paper is personal data: never kept by a cache."""
    from ..conftest import login
    login(reuse_testapp, "congdan")
    doc = f"/subjects/{world.owner}/documents/{world.id_card}/"
    reuse_testapp.get(doc)
    response = reuse_testapp.get(doc + "preview/1", {"w": 300}, status="*")
    assert response.status_int == 200 and response.content_type == "image/png", response.status
    check_headers(response, "preview")         # no-store, whatever the view asked for


def test_a_view_that_allows_caching_of_personal_data_is_overridden():
    from pyramid.response import Response
    from pyramid.testing import DummyRequest
    response = Response(cache_control="private, max-age=3600")
    response.headers["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    headers.guard(response, DummyRequest(path="/subjects/001090012345/documents/x/preview/1"))
    assert response.headers["Cache-Control"] == "no-store" and "Expires" not in response.headers
    stricter = Response()
    stricter.headers["Content-Security-Policy"] = confirm.CSP
    stricter.headers["Referrer-Policy"] = "no-referrer"
    stricter.cache_control = "private, no-store"
    headers.guard(stricter, DummyRequest(path="/confirm/t"))
    assert stricter.headers["Content-Security-Policy"] == confirm.CSP
    assert stricter.headers["Referrer-Policy"] == "no-referrer"
    assert stricter.headers["Cache-Control"] == "private, no-store"
    css = Response(cache_control="max-age=3600")
    headers.guard(css, DummyRequest(path="/static/kho.css"))
    assert css.headers["Cache-Control"] == "max-age=3600"


def test_the_confirmation_page_keeps_its_stricter_policy(reuse_testapp, names):
    fields, _ = names
    response = reuse_testapp.get(f"/confirm/{fields['token']}")
    assert response.headers["Content-Security-Policy"] == confirm.CSP
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("settings_, secure", [
    ({}, False),
    ({"kho.public_url": "http://127.0.0.1:6543"}, False),
    ({"kho.public_url": "https://kho.laocai.gov.vn"}, True),
    ({"kho.public_url": "HTTPS://kho.laocai.gov.vn/"}, True),
    ({"kho.public_url": "https://kho.laocai.gov.vn", "kho.secure_cookies": "false"}, False),
    ({"kho.public_url": "http://10.0.0.5:6543", "kho.secure_cookies": "true"}, True),
    ({"kho.secure_cookies": "true"}, True),
])
def test_cookies_secure_follows_the_public_url_or_the_setting(settings_, secure):
    assert headers.cookies_secure(settings_) is secure


def test_behind_https_cookies_are_secure_and_hsts_is_sent(settings):
    import webtest
    from views import main
    from views.startup import shutdown
    from ..conftest import login
    app = main({}, **dict(settings, **{"kho.public_url": "https://kho.laocai.gov.vn"}))
    try:
        testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "kho.laocai.gov.vn",
                                                      "wsgi.url_scheme": "https"})
        response = testapp.get("/lang/en")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        locale_cookie = [c for c in response.headers.getall("Set-Cookie") if c.startswith("_LOCALE_=")]
        assert locale_cookie and "secure" in locale_cookie[0].lower(), locale_cookie
        response = login(testapp, "congdan")
        session_cookies = [c for c in response.headers.getall("Set-Cookie")
                           if not c.startswith("_LOCALE_=")]
        assert session_cookies and all("secure" in c.lower() for c in session_cookies), session_cookies
        assert all("httponly" in c.lower() for c in session_cookies), session_cookies
    finally:
        shutdown(app.registry)


def test_on_localhost_cookies_are_not_secure_and_no_hsts(testapp):
    response = testapp.get("/lang/en")
    assert "Strict-Transport-Security" not in response.headers
    cookie = [c for c in response.headers.getall("Set-Cookie") if c.startswith("_LOCALE_=")][0]
    assert "secure" not in cookie.lower()
