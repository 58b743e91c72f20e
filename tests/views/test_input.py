"""Input the app must survive (issue 12, "Input"): malformed requests get a
400 and never a 500, redirect targets taken from a request stay on this
site, and the public address comes from the settings, not the Host header."""
import string

import pytest
import webtest

from ..conftest import csrf_from, login
from .test_security_matrix import CASES

PUBLIC = "https://kho.example.gov.vn"
FORGED = "evil.example"


class _Blank(dict):
    def __missing__(self, key):
        return "x"


def every_path():
    """(method, path) of every view the app registers (the route × role table),
    placeholders filled with a dummy: the check runs before traversal."""
    seen = set()
    for method, template, _, _ in CASES.values():
        path = string.Formatter().vformat(template, (), _Blank())
        for m in {method, "POST"}:
            if (m, path) not in seen:
                seen.add((m, path))
                yield m, path


def test_a_multipart_body_without_boundary_is_a_400_on_every_path(testapp, token_for):
    """Anonymous, with a bearer token, and with a session: 400, JSON under /api."""
    bearer = token_for("canbo")
    login(testapp, "canbo")
    anonymous = webtest.TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"})
    for method, path in every_path():
        for app, headers in ((anonymous, {}), (testapp, bearer)):      # testapp has canbo's session
            response = app.request(path, method=method, body=b"username=canbo&password=x",
                                   headers={"Content-Type": "multipart/form-data", **headers},
                                   expect_errors=True)
            if method == "GET":         # WebOb reads no form body for a GET: nothing to refuse
                assert response.status_int < 500, (method, path, response.status)
                continue
            assert response.status_int == 400, (method, path, response.status)
            if path.startswith("/api/"):
                assert response.json["error"] == "bad_request"
                assert "boundary" in response.json["message"]


@pytest.mark.parametrize("content_type", [
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary=""',
    "multipart/form-data; boundary=" + "x" * 300,         # longer than WebOb's parser takes
    "application/x-www-form-urlencoded; charset=bogus",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/json; charset=bogus",
])
def test_unreadable_bodies_are_refused_anonymously(testapp, content_type):
    for path in ("/login", "/verify", "/api/v1/tokens", "/api/v1/verify",
                 "/api/v1/subjects/001090012345/documents"):
        response = testapp.post(path, b'{"username": "canbo"}', headers={"Content-Type": content_type},
                                expect_errors=True)
        assert response.status_int == 400, (path, content_type, response.status)


def test_a_body_over_the_upload_limit_is_judged_by_its_headers_not_read(testapp, token_for):
    big = b"x" * (6 * 1024 * 1024)                      # the tests' limit is 5 MB
    refused = testapp.post("/api/v1/subjects/001090012345/documents", big, status=400,
                           headers={"Content-Type": "multipart/form-data", **token_for("canbo")}).json
    assert "boundary" in refused["message"]
    testapp.post("/login", big, headers={"Content-Type": "multipart/form-data"}, status=400)


def raw_get(app, path_info, query="", headers=None):
    """A GET with these WSGI strings (bytes as latin-1), as a server passes them."""
    from webob import Request
    request = Request.blank("/", headers=headers or {})
    request.environ.update(PATH_INFO=path_info, QUERY_STRING=query, HTTP_HOST="localhost")
    return request.get_response(app)


def test_bytes_that_are_not_utf8_in_the_path_or_the_query(testapp, token_for):
    headers = token_for("canbo")
    for path, query in (("/\xff", ""), ("/subjects/\xc3(/", ""), ("/api/v1/\xff", ""),
                        ("/login", "came_from=%ff"), ("/api/v1/me", "x=%ff"),
                        ("/lang/en", "came_from=%ff%fe"), ("/search", "q=%ff")):
        response = raw_get(testapp.app, path, query, headers)
        assert response.status_int == 400, (path, query, response.status)
        if path.startswith("/api/"):
            assert response.json["error"] == "bad_request"


def test_a_cookie_that_cannot_be_read_is_ignored(testapp):
    response = testapp.get("/login", headers={"Cookie": "kho_session=\xff\xfe; _LOCALE_=\xe9"})
    assert response.status_int == 200


@pytest.mark.parametrize("came_from", [
    "/desk\r\nSet-Cookie: pwned=1",
    "/desk\nX-Evil: 1",
    "/desk\r",
    "//evil.example/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "https://evil.example/",
    "/desk\x00",
    "/desk\x85",
])
def test_came_from_never_leaves_the_site_nor_breaks_the_header(testapp, came_from):
    page = testapp.get("/login", {"came_from": came_from})
    response = testapp.post("/login", {"username": "canbo", "password": "matkhau-demo",
                                       "csrf_token": csrf_from(page), "came_from": came_from})
    assert response.status_int == 302
    assert response.location == "http://localhost/desk"            # canbo's home, not came_from
    assert "\r" not in response.headers["Location"] and "evil" not in response.headers["Location"]
    switched = testapp.get("/lang/en", {"came_from": came_from})
    assert switched.status_int == 302 and switched.location == "http://localhost/"


def test_came_from_on_this_site_is_kept_and_encoded(testapp):
    page = testapp.get("/login", {"came_from": "/search?q=giấy khai sinh"})
    assert "/search?q=gi%E1%BA%A5y%20khai%20sinh" in page.text
    response = testapp.post("/login", {"username": "canbo", "password": "matkhau-demo",
                                       "csrf_token": csrf_from(page), "came_from": "/search?q=giấy"})
    assert response.location == "http://localhost/search?q=gi%E1%BA%A5y"
    switched = testapp.get("/lang/vi", {"came_from": "/desk?id=001090012345"})
    assert switched.location == "http://localhost/desk?id=001090012345"


# --- the public address --------------------------------------------------------------

def _public_app(settings, public_url):
    from views import main
    return main({}, **dict(settings, **{"kho.public_url": public_url}))


@pytest.fixture
def forged(settings):
    """The app with kho.public_url = PUBLIC, asked with a forged Host header."""
    from views.startup import shutdown
    app = _public_app(settings, PUBLIC)
    yield webtest.TestApp(app, extra_environ={"HTTP_HOST": FORGED, "wsgi.url_scheme": "https"})
    shutdown(app.registry)


def test_a_forged_host_gets_redirects_to_the_configured_address(forged):
    assert forged.get("/").location == PUBLIC + "/login"
    assert forged.get("/desk").location.startswith(PUBLIC + "/login?came_from=/desk")
    page = forged.get("/login")
    assert FORGED not in page.text
    # the session cookie came back for the configured host (WebTest reads the host
    # from the environ the app rewrote): send it to the forged one as a browser would
    forged.set_cookie("kho_session", forged.cookies["kho_session"])
    response = forged.post("/login", {"username": "canbo", "password": "matkhau-demo",
                                      "csrf_token": csrf_from(page), "came_from": "/search"},
                           headers={"Origin": PUBLIC})
    assert response.location == PUBLIC + "/search"
    assert forged.get("/lang/en").location == PUBLIC + "/"
    forged.reset()
    for host in (FORGED, "kho.example.gov.vn:8443", "127.0.0.1"):
        assert forged.get("/", extra_environ={"HTTP_HOST": host}).location == PUBLIC + "/login"


def test_a_forged_host_gets_api_links_to_the_configured_address(forged):
    from ..files import pdf_bytes
    token = forged.post_json("/api/v1/tokens", {"username": "canbo", "password": "matkhau-demo"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = forged.post("/api/v1/subjects/001090012345/documents", {"type_code": "GKS"},
                          upload_files=[("file", "a.pdf", pdf_bytes())], headers=headers, status=201).json
    assert created["links"]["self"].startswith(PUBLIC + "/api/v1/subjects/001090012345/documents/")
    assert created["links"]["content"].startswith(PUBLIC + "/api/v1/")
    warehouse = forged.get("/api/v1/subjects/001090012345", headers=headers).json
    assert all(link.startswith(PUBLIC + "/api/v1/") for link in warehouse["links"].values())
    listing = forged.get("/api/v1/subjects/001090012345/documents", headers=headers)
    assert FORGED not in listing.text


def test_a_public_address_with_a_port_and_a_path_prefix(settings):
    from views.startup import shutdown
    app = _public_app(settings, "http://kho.example.gov.vn:8080/kho/")
    try:
        test = webtest.TestApp(app, extra_environ={"HTTP_HOST": FORGED})
        assert test.get("/").location == "http://kho.example.gov.vn:8080/kho/login"
        # a proxy that keeps the prefix in the path is served the same
        assert test.get("/kho/").location == "http://kho.example.gov.vn:8080/kho/login"
        assert test.get("/kho/login").status_int == 200
    finally:
        shutdown(app.registry)


@pytest.mark.parametrize("value", ["kho.example.gov.vn", "ftp://kho.example.gov.vn", "https://",
                                   "https://kho.example.gov.vn:99999", "https://kho.example.gov.vn/?a=b",
                                   "https://user:pw@kho.example.gov.vn", "https://kho.example.gov.vn/a b"])
def test_a_wrong_public_address_is_refused(value):
    from pyramid.exceptions import ConfigurationError

    from views.public_url import parse_public_url
    with pytest.raises(ConfigurationError) as err:
        parse_public_url(value)
    assert "kho.public_url" in str(err.value)


def test_a_wrong_public_address_stops_the_start(settings):
    from pyramid.exceptions import ConfigurationError
    with pytest.raises(ConfigurationError):
        _public_app(settings, "kho.example.gov.vn")


def test_the_ini_files_name_the_public_address():
    import configparser
    import os
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in ("development.ini", "production.ini"):
        ini = configparser.ConfigParser(interpolation=None)
        ini.read(os.path.join(here, name))
        from views.public_url import parse_public_url
        parse_public_url(ini["app:main"]["kho.public_url"])


# --- PDFs with active content, file names, damaged files -------------------------------

OWNER = "001090012345"


def hostile_pdf(kind):
    """A real one-page PDF (tests/files.py) with active content added by pikepdf."""
    import io

    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    from ..files import pdf_bytes
    pdf = pikepdf.open(io.BytesIO(pdf_bytes()))
    script = Dictionary(S=Name.JavaScript, JS=String("app.alert('xin chào')"))
    if kind == "openaction-js":
        pdf.Root.OpenAction = pdf.make_indirect(script)
    elif kind == "names-js":
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("a"), script])))
    elif kind == "page-launch":
        pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.Launch, F=String("calc.exe")))
    elif kind == "openaction-goto":
        pdf.Root.OpenAction = Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]))
    elif kind == "destination":
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])      # just where to open: harmless
    elif kind == "embedded-file":
        stream = pdf.make_stream(b"MZ not really", Type=Name.EmbeddedFile)
        spec = Dictionary(Type=Name.Filespec, F=String("x.exe"), EF=Dictionary(F=stream))
        pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("x.exe"), spec])))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind,named", [
    ("openaction-js", ("JavaScript", "OpenAction")),
    ("names-js", ("JavaScript",)),
    ("page-launch", ("AdditionalActions", "Launch")),
    ("openaction-goto", ("OpenAction",)),
    ("destination", ()),
    ("embedded-file", ("EmbeddedFile",)),
])
def test_active_content_of_a_pdf_is_named(kind, named):
    from repository.content import inspect
    facts = inspect(hostile_pdf(kind), 5 * 1024 * 1024)
    assert facts.active_content == named and facts.pages == 1


def test_a_pdf_with_javascript_is_kept_marked_and_never_shown_inline(testapp, token_for, as_user, settings,
                                                                       open_root):
    from repository.content import PDF
    from views.previews import render_preview
    data = hostile_pdf("openaction-js")
    headers = token_for("canbo")
    created = testapp.post(f"/api/v1/subjects/{OWNER}/documents", {"type_code": "GKS"}, headers=headers,
                           upload_files=[("file", "giay khai sinh.exe", data)], status=201).json
    assert created["active_content"] == ["JavaScript", "OpenAction"]
    assert created["filename"] == "giay khai sinh.pdf" and created["content_type"] == PDF
    doc_id = created["id"]
    owner = testapp.get(f"/api/v1/subjects/{OWNER}/documents/{doc_id}/content", headers=token_for("congdan"))
    assert owner.body == data                                      # kept byte for byte
    assert owner.headers["Content-Disposition"].startswith("attachment;")
    assert owner.headers["X-Content-Type-Options"] == "nosniff"
    page = as_user("congdan").get(f"/subjects/{OWNER}/documents/{doc_id}/")
    warning = page.html.find(id="active-content")
    assert warning is not None and "JavaScript, OpenAction" in warning.text
    document = open_root().subjects[OWNER].documents[doc_id]
    with open(render_preview(document, 1, 300, settings["kho.cache_dir"]), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"                    # previews are images, never the PDF


def test_a_plain_pdf_carries_no_warning(testapp, token_for, as_user):
    from ..files import pdf_bytes
    created = testapp.post(f"/api/v1/subjects/{OWNER}/documents", {"type_code": "GKS"},
                           headers=token_for("canbo"), upload_files=[("file", "a.pdf", pdf_bytes())],
                           status=201).json
    assert created["active_content"] == []
    page = as_user("congdan").get(f"/subjects/{OWNER}/documents/{created['id']}/")
    assert page.html.find(id="active-content") is None


@pytest.mark.parametrize("name,content_type,kept", [
    ("scan.exe", "application/pdf", "scan.pdf"),
    ("scan", "application/pdf", "scan.pdf"),
    ("Giấy khai sinh.PDF", "application/pdf", "Giấy khai sinh.PDF"),
    ("số 12.2020", "application/pdf", "số 12.2020.pdf"),
    ("ảnh.jpeg", "image/jpeg", "ảnh.jpeg"),
    ("ảnh.png", "image/jpeg", "ảnh.jpg"),
    ("trang.pdf", "image/tiff", "trang.tif"),
    ("../../etc/passwd", "image/png", "passwd.png"),
    ("C:\\Users\\x\\hồ sơ.html", "application/pdf", "hồ sơ.pdf"),
    ("...", "application/pdf", None),
    ("", "image/png", None),
])
def test_the_stored_name_has_the_extension_of_the_detected_type(name, content_type, kept):
    from repository.content import EXTENSIONS
    from repository.operations import _safe_filename
    stored = _safe_filename(name, content_type)
    if kept is None:
        assert stored.startswith("document-") and stored.endswith("." + EXTENSIONS[content_type])
    else:
        assert stored == kept


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n garbage that is not a pdf at all",
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    b"\xff\xd8\xff\xe0" + b"\x00" * 40,
    b"II*\x00" + b"\x00" * 40,
])
def test_a_damaged_file_is_refused_without_a_python_object_in_the_message(testapp, token_for, data):
    refused = testapp.post(f"/api/v1/subjects/{OWNER}/documents", {"type_code": "GKS"},
                           headers=token_for("canbo"), upload_files=[("file", "x.pdf", data)], status=400).json
    message = refused["errors"]["file"]
    assert "hỏng" in message and "damaged" not in message       # one language: the user's
    for python in ("<", ">", "object at 0x", "BytesIO", "Error", "Traceback"):
        assert python not in message, message


def test_catalogue_numbers_stay_within_the_calendar(testapp, token_for):
    """A procedure's working-day limit is counted day by day and a paper type's
    validity is added to dates: numbers past the bounds were a hang (10⁹ days)
    or a 500 (a validity past year 9999) at the next reception."""
    admin = token_for("quantri")
    procedure = {"code": "9.999999", "name": "Thử", "level": "commune", "agency": "000.15.16.H10",
                 "components": [{"key": "k", "name": "Giấy", "doctypes": ["GKS"]}]}
    for days in (10 ** 9, 366, 0):
        refused = testapp.post_json("/api/v1/catalogues/procedures", dict(procedure, time_limit_days=days),
                                    headers=admin, status=400).json
        assert any("time_limit_days" in key for key in refused["errors"])
    testapp.post_json("/api/v1/catalogues/procedures", dict(procedure, time_limit_days=365), headers=admin,
                      status=201)
    doctype = {"code": "GKS2", "name": "Giấy thử", "retention": "permanent"}
    for months in (10 ** 30, 100_000, 1201):
        testapp.post_json("/api/v1/catalogues/doctypes", dict(doctype, validity_months=months), headers=admin,
                          status=400)
    testapp.post_json("/api/v1/catalogues/doctypes", dict(doctype, validity_months=1200), headers=admin,
                      status=201)
