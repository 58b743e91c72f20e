"""Every route of the app, asked by every role: the wrong ones are refused
(401/403, or the log-in page for anonymous page requests; 404 for a citizen
asking for a warehouse, paper, dossier, consent or reuse request that is not
theirs, so that they cannot tell it exists) and a refusal writes nothing to
either database; the right ones are served, never with a 401, 403 or 5xx.

It runs over the reuse world (tests/reuse_world.py): 001090012345 went
through an approved procedure at the commune desk, and a second dossier is
open at the Bát Xát desk (canbo2). Reading content needs a real purpose:
only the owner, canbo2 (for the open dossier) and the records manager (a
records purpose) may; the other staff are refused by the purpose rule, which
audits the refusal but writes nothing to the main database. A purpose is
stated by a POST to …/open (never in the address of a GET), so the page
images and downloads are asked after that POST, in the same session.

The table must name every view the app registers, so a new route without a
refusal test fails here; the reuse cycle's views come from matrix_reuse_*."""
import importlib
import re

import pytest
import transaction

from repository.db import app_root
from repository.seed import ACCOUNTS
from repository.sessions import open_session

from ..conftest import csrf_from, login
from ..files import pdf_bytes
from .matrix_reuse_api import fill, names_of, prepare

OWNER = "001090012345"
PURPOSE = "{purpose}"            # filled per account: see purpose_of
ROLES = {username: role for username, _, role, _, _ in ACCOUNTS}   # congdan2 is "another citizen"
EVERYONE = set(ROLES) | {None}
STAFF = {"canbo", "buudien", "canbo2", "xuly", "xuly2", "luutru"}
RECEPTION = {"canbo", "buudien", "canbo2"}
VIEWERS = STAFF | {"congdan"}
READERS = {"congdan", "canbo2", "luutru"}       # content: the owner, a real purpose, records
SIGNED_IN = set(ROLES)
SEARCHERS = STAFF | {"congdan", "congdan2"}

# view callable → (method, path template, who may, extra params); {doc} is filled in
CASES = {
    # pages
    "views.pages.auth.home": ("GET", "/", EVERYONE, {}),
    "views.pages.auth.login": ("GET", "/login", EVERYONE, {}),
    "views.pages.auth.logout": ("POST", "/logout", EVERYONE, {}),
    "views.i18n.switch_language": ("GET", "/lang/en", EVERYONE, {}),
    "views.pages.desk.desk": ("GET", "/desk", STAFF, {"id": OWNER}),
    "views.pages.desk.desk_create": ("POST", "/desk", RECEPTION,
                                     {"subject_id": "079203000001", "name": "Lê Văn Bình"}),
    "views.pages.warehouse.warehouse_page": ("GET", f"/subjects/{OWNER}/", VIEWERS, {}),
    "views.pages.warehouse.upload_get": ("GET", f"/subjects/{OWNER}/upload", RECEPTION, {}),
    "views.pages.warehouse.upload_post": ("POST", f"/subjects/{OWNER}/upload", RECEPTION, {"type_code": "GKS"}),
    "views.pages.document.document_page": ("GET", f"/subjects/{OWNER}/documents/{{doc}}/", VIEWERS, {}),
    "views.pages.document.open_with_purpose": ("POST", f"/subjects/{OWNER}/documents/{{doc}}/open", VIEWERS,
                                               {"purpose": PURPOSE}),   # a refusal is a flash + redirect
    "views.pages.document.preview": ("GET", f"/subjects/{OWNER}/documents/{{doc}}/preview/1", READERS, {}),
    "views.pages.document.download": ("GET", f"/subjects/{OWNER}/documents/{{doc}}/download", READERS, {}),
    "views.pages.review.review_get": ("GET", f"/subjects/{OWNER}/documents/{{doc}}/review", RECEPTION, {}),
    "views.pages.review.review_post": ("POST", f"/subjects/{OWNER}/documents/{{doc}}/review", RECEPTION,
                                       {"page_text_0": "x"}),
    "views.pages.review.retry_ocr": ("POST", f"/subjects/{OWNER}/documents/{{doc}}/retry-ocr", RECEPTION, {}),
    "views.pages.search.search_page": ("GET", "/search", SEARCHERS, {"q": "giấy"}),
    "views.pages.search.choose_purpose": ("POST", "/search", SEARCHERS, {"purpose": PURPOSE, "q": "giấy"}),
    "views.pages.signatures.verify_form": ("GET", "/verify", EVERYONE, {}),
    "views.pages.signatures.verify_post": ("POST", "/verify", EVERYONE, {}),
    # API
    "views.api.signatures.verify": ("POST", "/api/v1/verify", EVERYONE, {}),
    "views.api.openapi.openapi": ("GET", "/api/v1/openapi.json", EVERYONE, {}),
    "views.api.accounts.me": ("GET", "/api/v1/me", SIGNED_IN, {}),
    "views.api.accounts.create_token": ("POST", "/api/v1/tokens", EVERYONE, None),
    "views.api.catalogues.list_catalogue": ("GET", "/api/v1/catalogues/doctypes", SIGNED_IN, {}),
    "views.api.subjects.list_subjects": ("GET", "/api/v1/subjects", {"luutru"}, {}),
    "views.api.subjects.create_subject": ("POST", "/api/v1/subjects", RECEPTION,
                                          {"subject_id": "079203000001", "name": "Lê Văn Bình"}),
    "views.api.subjects.get_warehouse": ("GET", f"/api/v1/subjects/{OWNER}", VIEWERS, {}),
    "views.api.subjects.list_documents": ("GET", f"/api/v1/subjects/{OWNER}/documents", VIEWERS, {}),
    "views.api.subjects.upload_document": ("POST", f"/api/v1/subjects/{OWNER}/documents", RECEPTION,
                                           {"type_code": "GKS"}),
    "views.api.subjects.get_document": ("GET", f"/api/v1/subjects/{OWNER}/documents/{{doc}}", VIEWERS, {}),
    "views.api.ocr.get_ocr": ("GET", f"/api/v1/subjects/{OWNER}/documents/{{doc}}/ocr", VIEWERS, {}),
    "views.api.ocr.retry_ocr": ("POST", f"/api/v1/subjects/{OWNER}/documents/{{doc}}/ocr", RECEPTION, {}),
    "views.api.ocr.get_text": ("GET", f"/api/v1/subjects/{OWNER}/documents/{{doc}}/text", READERS,
                               {"purpose": PURPOSE}),
    "views.api.search.search_api": ("GET", "/api/v1/search", SEARCHERS, {"q": "giấy"}),
    "views.api.subjects.patch_document": ("PATCH", f"/api/v1/subjects/{OWNER}/documents/{{doc}}", RECEPTION,
                                         {"number": "9/2026"}),
    "views.api.subjects.delete_doc": ("DELETE", f"/api/v1/subjects/{OWNER}/documents/{{doc}}", {"luutru"}, {}),
    "views.api.subjects.restore_doc": ("POST", f"/api/v1/subjects/{OWNER}/documents/{{doc}}/restore",
                                       {"luutru"}, {}),
    "views.api.subjects.get_content": ("GET", f"/api/v1/subjects/{OWNER}/documents/{{doc}}/content", READERS,
                                       {"purpose": PURPOSE}),
}
PURPOSE_RULED = {"views.pages.document.download", "views.pages.document.preview", "views.api.ocr.get_text",
                 "views.api.subjects.get_content"}
OPENED_FIRST = {"views.pages.document.preview", "views.pages.document.download"}   # after POST …/open
for _name in ("matrix_reuse_api", "matrix_reuse_pages", "matrix_accounts", "matrix_results",
              "matrix_audit", "matrix_indicators", "matrix_records", "matrix_rights", "matrix_signing"):
    try:
        CASES.update(importlib.import_module(f"{__package__}.{_name}").CASES)
    except ModuleNotFoundError as exc:
        if not exc.name.endswith(_name):
            raise


def purpose_of(username, open_dossier):
    """The purpose each account states: records managers a records purpose,
    staff the open dossier (which only canbo2's unit handles)."""
    return "retention_review" if username == "luutru" else open_dossier
UPLOADS = {"views.pages.warehouse.upload_post", "views.api.subjects.upload_document",
           "views.pages.signatures.verify_post", "views.api.signatures.verify"}


PERSONAL = re.compile(r"/(subjects|dossiers)/\d")   # a warehouse (and what is in it), a dossier


def path_of(view, fields):
    return CASES[view][1].format(**dict(fields, purpose=""))


def hidden_from(username, path):
    """Whether a refusal must read "not found": a citizen other than the
    owner (every personal path of the table is the owner's or their dossiers')."""
    return ROLES.get(username) == "citizen" and username != "congdan" and bool(PERSONAL.search(path))


def registered_views(app):
    """Qualified names of the view callables reachable by a request (not error views)."""
    names = set()
    for item in app.registry.introspector.get_category("views"):
        intr = item["introspectable"]
        if intr["exception_only"] or intr.get("context") and isinstance(intr["context"], type) \
                and issubclass(intr["context"], BaseException):
            continue
        view = intr["callable"]
        if getattr(view, "__module__", "").startswith("pyramid."):   # the static view
            continue
        names.add(f"{view.__module__}.{getattr(view, '__name__', '')}")
    return names


def test_the_table_names_every_view(reuse_app):
    assert registered_views(reuse_app) == set(CASES)


def last_transactions(app, only_main=False):
    dbs = app.registry._zodb_databases[""].databases
    return {name: db.storage.lastTransaction() for name, db in dbs.items() if name == "" or not only_main}


@pytest.fixture
def names(reuse_app, world):
    """Everything a path or parameter may name, and a bearer token per account,
    made before any snapshot: a pending reuse request on the second dossier
    gives {token}."""
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    with tm:
        root = app_root(conn)
        pending = prepare(root, world)           # {request}, {token}
        tokens = {u: root.accounts.issue_token(u) for u in ROLES}
        # sessions are server-side (views.security): one per account in this database, made
        # here, before any snapshot, without an argon2 log-in
        sessions = {u: open_session(root, u) for u in ROLES}
    conn.close()
    database = _database_of(reuse_app)
    SESSIONS.update({(database, u): [cookie, None] for u, cookie in sessions.items()})
    return names_of(world, pending), tokens


SESSIONS = {}   # (database, username) → [session cookie, CSRF token]: a session lives in one database


def _database_of(app):
    return app.registry._zodb_databases[""].storage.getName()


def use_session(testapp, username):
    key = (_database_of(testapp.app), username)
    if key not in SESSIONS:
        testapp.reset()
        login(testapp, username)
        SESSIONS[key] = [testapp.cookies["kho_session"], None]
    testapp.reset()
    testapp.set_cookie("kho_session", SESSIONS[key][0])
    if SESSIONS[key][1] is None:
        SESSIONS[key][1] = csrf_from(testapp.get("/login"))
    return SESSIONS[key][1]


def ask(testapp, username, tokens, view, names, ready=None):
    """The view's request as username; ready() is called once the set-up
    (the session, an opening stated first) is done, just before it."""
    method, path, _, params = CASES[view]
    fields = dict(names, purpose=purpose_of(username, names["dossier"]))
    path = path.format(**fields)
    params = fill(params, fields)
    testapp.reset()
    headers = {}
    csrf = None
    if path.startswith("/api/"):
        if username:
            headers["Authorization"] = f"Bearer {tokens[username]}"
    elif username:
        csrf = use_session(testapp, username)
        if view in OPENED_FIRST:        # state the account's purpose first, as the page's form does
            testapp.post(f"/subjects/{OWNER}/documents/{names['doc']}/open",
                         {"purpose": fields["purpose"], "csrf_token": csrf}, status="*")
    if ready is not None:
        ready()     # a refused opening's message sits in the (server-side) session: set-up, not the refusal
    if method == "GET":
        return testapp.get(path, params or {}, headers=headers, status="*")
    if method == "PATCH":
        return testapp.patch_json(path, params, headers=headers, status="*")
    if method == "DELETE":
        return testapp.delete(path, headers=headers, status="*")
    if path.startswith("/api/"):
        if view == "views.api.accounts.create_token":
            return testapp.post_json(path, {"username": "canbo", "password": "matkhau-demo"}, status="*")
        if view in UPLOADS:
            return testapp.post(path, params, headers=headers, status="*",
                                upload_files=[("file", "a.pdf", pdf_bytes())])
        return testapp.post_json(path, params, headers=headers, status="*")
    data = dict(params or {}, csrf_token=csrf or csrf_from(testapp.get("/login")))
    if view in UPLOADS:
        return testapp.post(path, data, status="*", upload_files=[("file", "a.pdf", pdf_bytes())])
    return testapp.post(path, data, status="*")


def matrix_views():
    """Every view of CASES; all but the first of each module (by name) are `slow`,
    so `make test-fast` asks one view per module and `make test` all of them."""
    seen, params = set(), []
    for view in sorted(CASES):
        module = view.rsplit(".", 1)[0]
        params.append(pytest.param(view, id=view, marks=() if module not in seen else (pytest.mark.slow,)))
        seen.add(module)
    return params


@pytest.mark.parametrize("view", matrix_views())
def test_each_role_is_refused_or_served(view, reuse_app, reuse_testapp, names):
    fields, tokens = names
    testapp = reuse_testapp
    allowed = CASES[view][2]
    is_api = CASES[view][1].startswith("/api/")
    for username in sorted(EVERYONE - allowed, key=str):
        # a refusal by the purpose rule is audited (in the audit database) but writes nothing else
        audited = view in PURPOSE_RULED and username in VIEWERS
        before = {}
        response = ask(testapp, username, tokens, view, fields,
                       ready=lambda: before.update(last_transactions(reuse_app, only_main=audited)))
        if username is None:
            if is_api:
                assert response.status_int == 401, (view, username, response.status)
            else:
                assert response.status_int == 302 and "/login" in response.location, (view, response.status)
        else:
            expected = 404 if hidden_from(username, path_of(view, fields)) else 403
            assert response.status_int == expected, (view, username, response.status)
        assert last_transactions(reuse_app, only_main=audited) == before, f"{view} refused {username} but wrote"
    for username in sorted(allowed - {None}, key=str):
        response = ask(testapp, username, tokens, view, fields)
        assert response.status_int not in (401, 403) and response.status_int < 500, (
            view, username, response.status)
