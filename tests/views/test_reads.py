"""Reads of personal data, as issue 12's "Reads" findings ask, over the reuse
world (tests/reuse_world.py): the OCR review needs the digitizer or a
purpose, and reviewing is not a read by GET; staff search only under a
purpose and every staff search is audited under the owners it returned;
a deleted paper is gone but for the records manager; a citizen cannot tell
that what is not theirs exists; a purpose is stated by POST, never in the
address of a GET in a browser session; and every read is logged, once per
viewing."""
import types

import pytest
import transaction
import webtest

from ocr.result import OcrResult, Page, Word
from repository.audit import audit_log
from repository.db import app_root
from repository.indexing import touched
from repository.ocr_jobs import OcrData
from repository.operations import add_document
from repository.seed import DEMO_PASSWORD

from ..conftest import csrf_from, login
from ..files import pdf_bytes
from .openapi_check import validate

OWNER = "001090012345"
WORD = "Thanhphochuyendoi"          # a word only the scan's text holds


# --- helpers --------------------------------------------------------------------

@pytest.fixture
def db(reuse_app):
    """Commit in the app's database (after-commit hooks index the changes)
    and read its audit trail afresh."""
    main = reuse_app.registry._zodb_databases[""]

    def write(change):
        tm = transaction.TransactionManager()
        conn = main.open(tm)
        try:
            with tm:
                return change(app_root(conn))
        finally:
            conn.close()

    def audit():
        tm = transaction.TransactionManager()
        conn = main.open(tm)
        try:
            return list(audit_log(conn))
        finally:
            tm.abort()
            conn.close()

    def document(doc_id):
        tm = transaction.TransactionManager()
        conn = main.open(tm)
        try:
            doc = app_root(conn).subjects[OWNER].documents[doc_id]
            return types.SimpleNamespace(review_state=doc.review_state, deleted=doc.deleted,
                                         number=doc.number)
        finally:
            tm.abort()
            conn.close()

    return types.SimpleNamespace(write=write, audit=audit, document=document,
                                 last=lambda: _last_transactions(reuse_app))


def _last_transactions(app):
    dbs = app.registry._zodb_databases[""].databases
    return {name: d.storage.lastTransaction() for name, d in dbs.items()}


@pytest.fixture
def browser(reuse_app):
    """browser(username): a logged-in browser session (None: anonymous)."""
    def _browser(username=None):
        app = webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})
        if username:
            login(app, username)
        return app
    return _browser


@pytest.fixture
def api(reuse_app):
    """api(username): headers with a bearer token of that account."""
    app = webtest.TestApp(reuse_app, extra_environ={"HTTP_HOST": "localhost"})

    def _api(username):
        token = app.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD}).json
        return {"Authorization": f"Bearer {token['token']}"}
    return _api


def recognised(root, document, text):
    """Mark document recognised as the OCR worker would, without tesseract."""
    from repository.ocr_jobs import DONE, job_of
    document.ocr = fake_ocr(text)
    document.review_state = "pending"
    job = job_of(root, document)
    job.state, job.pages_done, job.pages_total = DONE, 1, 1
    touched(root, document)


def fake_ocr(text):
    """What the OCR worker would store for a one-page scan, without tesseract."""
    words = [Word(w, (10 + 60 * i, 10, 60 + 60 * i, 30), 55.0) for i, w in enumerate(text.split())]
    page = Page(index=0, width=620, height=877, dpi=75, words=words, text=text, hocr="",
                mean_confidence=55.0, needs_review=True)
    return OcrData(OcrResult(pages=[page], searchable_pdf=b""), "vie", {})


@pytest.fixture
def scan(db, world):
    """A scan canbo2 digitized for the second dossier (open at the Bát Xát
    desk), recognised and waiting for review: its doc id."""
    def make(root):
        document = add_document(root, root.subjects[OWNER], pdf_bytes(text="GIẤY XÁC NHẬN"), "scan.pdf",
                                {"type_code": "GKS", "provenance": "digitized", "dossier_code": world.second},
                                root.accounts.users["canbo2"])
        recognised(root, document, f"GIẤY XÁC NHẬN {WORD} ngày 21 tháng 7")
        return document.__name__
    return db.write(make)


def doc_path(doc_id, *rest):
    return "/".join([f"/subjects/{OWNER}/documents/{doc_id}"] + list(rest)) + ("" if rest else "/")


READS = ("read_content", "read_metadata", "read_refused", "review_refused", "search_read", "search_refused")


def new_entries(db, before):
    """The audit entries about reads written since the before-th (log-ins
    and tokens are audited too, but are not what these tests look at)."""
    return [e for e in db.audit()[before:] if e["action"] in READS]


# --- 1. the review needs the digitizer or a purpose; its GET reads nothing ------------

def test_review_is_opened_by_post_and_refused_without_a_purpose(browser, db, scan, world):
    digitizer = browser("canbo2")
    before = len(db.audit())
    # the GET of the review page no longer reads (and logs) by itself
    back = digitizer.get(doc_path(scan, "review"), status=302)
    assert back.location.endswith(doc_path(scan))
    assert new_entries(db, before) == []
    page = digitizer.get(doc_path(scan))
    review = page.forms["review-open-form"].submit().follow()           # POST …/open, next=review
    assert review.request.path == doc_path(scan, "review") and "review-form" in review.forms
    reads = [e for e in new_entries(db, before) if e["action"] == "read_content"]
    assert [(e["actor"], e["purpose"], e["detail"]["via"]) for e in reads] == [("canbo2", world.second, "open")]
    image = review.html.select_one(".page-image img")["src"]
    assert digitizer.get(image).content_type == "image/png"             # under the opening, not logged
    assert len([e for e in new_entries(db, before) if e["action"] == "read_content"]) == 1

    # another desk's officer: neither the digitizer nor of a unit handling the dossier
    other = browser("canbo")
    other.get(doc_path(scan, "review"), status=302)
    refused = other.post(doc_path(scan, "open"), {"purpose": world.second, "next": "review",
                                                  "csrf_token": csrf_from(other.get(doc_path(scan)))})
    assert refused.location.endswith(doc_path(scan))
    mark = len(db.audit())
    form = review.forms["review-form"]
    confirm = other.post(doc_path(scan, "review"), dict(form.submit_fields(), csrf_token=csrf_from(
        other.get(doc_path(scan)))), status=403)
    assert "purpose" in confirm.text or "Soát xét" in confirm.text
    assert db.document(scan).review_state == "pending"                  # nothing confirmed
    assert [(e["actor"], e["action"]) for e in new_entries(db, mark)
            if e["action"].endswith("refused")] == [("canbo", "review_refused")]

    # the digitizer confirms under the opening
    done = review.forms["review-form"].submit().follow()
    assert db.document(scan).review_state == "confirmed" and "Đã xác nhận" in done.text


def test_the_digitizer_reviews_under_digitizing_only_until_it_is_confirmed(browser, db, world):
    def make(root):                       # canbo scans for no dossier: only the digitizing allows reading
        document = add_document(root, root.subjects[OWNER], pdf_bytes(), "a.pdf",
                                {"type_code": "GKS", "provenance": "digitized"}, root.accounts.users["canbo"])
        recognised(root, document, "GIẤY KHAI SINH")
        return document.__name__
    doc = db.write(make)
    canbo = browser("canbo")
    form = canbo.get(doc_path(doc)).forms["review-open-form"]
    assert form["purpose"].value == "digitizing"
    review = form.submit().follow()
    review.forms["review-form"].submit().follow()
    page = canbo.get(doc_path(doc))
    assert "purpose-form" in page.forms                      # the digitizing no longer lets them read it
    canbo.get(doc_path(doc, "preview", "1"), status=403)
    buudien = browser("buudien")                             # the same desk, but not the digitizer
    assert "review-open-form" not in buudien.get(doc_path(doc)).forms


# --- 2. staff search only under a purpose, and every staff search is audited ---------------

def test_staff_search_needs_a_purpose_and_is_audited_under_the_owners(reuse_testapp, api, db, scan, world):
    app = reuse_testapp
    canbo, canbo2, records, owner = api("canbo"), api("canbo2"), api("luutru"), api("congdan")
    before = len(db.audit())
    # without a purpose staff learn nothing: not the total, not the owner, not the paper
    bare = validate(app.get("/api/v1/search", {"q": WORD}, headers=canbo2, status=400)).json
    assert "purpose" in bare["errors"] and "total" not in bare
    refused = validate(app.get("/api/v1/search", {"q": WORD, "purpose": world.second}, headers=canbo,
                               status=403)).json        # another unit's dossier
    assert refused["error"] == "purpose_refused"
    assert [(e["actor"], e["action"], e["subject"]) for e in new_entries(db, before)] == [
        ("canbo", "search_refused", OWNER)]

    found = validate(app.get("/api/v1/search", {"q": WORD, "purpose": world.second}, headers=canbo2)).json
    assert found["total"] == 1 and found["hits"][0]["document_id"] == scan
    assert "<mark>" in found["hits"][0]["snippet_html"]
    logged = [e for e in new_entries(db, before) if e["action"] == "search_read"]
    assert [(e["actor"], e["subject"], e["purpose"], e["detail"]["query"], e["detail"]["papers"])
            for e in logged] == [("canbo2", OWNER, world.second, WORD, [scan])]

    mark = len(db.audit())
    archive = validate(app.get("/api/v1/search", {"q": WORD, "purpose": "retention_review"}, headers=records)).json
    assert archive["total"] == 1
    nothing = validate(app.get("/api/v1/search", {"q": "khongcotu", "purpose": "retention_review"},
                               headers=records)).json
    assert nothing["total"] == 0
    assert [(e["actor"], e["subject"], e["detail"]["papers"]) for e in new_entries(db, mark)] == [
        ("luutru", OWNER, [scan]), ("luutru", None, [])]

    mark = len(db.audit())
    assert validate(app.get("/api/v1/search", {"q": WORD}, headers=owner)).json["total"] == 1
    assert new_entries(db, mark) == []                   # the owner's own search is not a read by others


def test_the_search_page_takes_its_purpose_by_post(browser, db, scan, world):
    officer = browser("canbo2")
    officer.get("/search", {"q": WORD, "purpose": world.second}, status=400)   # never in the address
    page = officer.get("/search", {"q": WORD})
    assert "search-purpose-form" in page.forms and "1 giấy tờ" not in page.text and scan not in page.text
    form = page.forms["search-purpose-form"]
    assert [o[0] for o in form["purpose"].options if o[0]] == [world.second]
    form["purpose"] = world.second
    results = form.submit().follow()
    assert "1 giấy tờ tìm thấy" in results.text and "<mark>" in results.text
    logged = [e for e in db.audit() if e["action"] == "search_read"]
    assert [(e["actor"], e["subject"], e["detail"]["papers"]) for e in logged] == [("canbo2", OWNER, [scan])]
    session_api = officer.get("/api/v1/search", {"q": WORD})          # the session's purpose holds for the API too
    assert session_api.json["total"] == 1
    officer.get("/api/v1/search", {"q": WORD, "purpose": world.second}, status=400)


# --- 3. a deleted paper is gone but for the records manager ------------------------------

def test_a_deleted_paper_is_gone_but_for_the_records_manager(reuse_testapp, api, browser, db, world):
    app = reuse_testapp
    records, owner, desk = api("luutru"), api("congdan"), api("canbo2")
    doc = f"/api/v1/subjects/{OWNER}/documents/{world.birth}"
    citizen = browser("congdan")
    assert citizen.get(doc_path(world.birth)).status_int == 200
    validate(app.delete(doc, headers=records))
    for headers in (owner, desk):
        validate(app.get(doc, headers=headers, status=404))
        validate(app.get(doc + "/content", {"purpose": world.second}, headers=headers, status=404))
        validate(app.get(doc + "/text", {"purpose": world.second}, headers=headers, status=404))
        validate(app.get(doc + "/ocr", headers=headers, status=404))
    validate(app.patch_json(doc, {"number": "1/2026"}, headers=desk, status=404))
    for path in (doc_path(world.birth), doc_path(world.birth, "preview", "1"), doc_path(world.birth, "download")):
        citizen.get(path, status=404)
    assert db.document(world.birth).number == "12/2020"
    # counts and totals agree with the lists
    listing = validate(app.get(f"/api/v1/subjects/{OWNER}/documents", headers=owner)).json
    warehouse = validate(app.get(f"/api/v1/subjects/{OWNER}", headers=owner)).json
    assert world.birth not in [d["id"] for d in listing["items"]]
    assert listing["total"] == len(listing["items"]) == warehouse["documents"]
    app.get(f"/api/v1/subjects/{OWNER}/documents", {"deleted": "true"}, headers=owner, status=403)
    # the records manager sees it, lists it and restores it
    seen = validate(app.get(doc, headers=records)).json
    assert seen["deleted"]
    bin_ = app.get(f"/api/v1/subjects/{OWNER}/documents", {"deleted": "true"}, headers=records).json
    assert [d["id"] for d in bin_["items"]] == [world.birth] and bin_["total"] == 1
    validate(app.post(doc + "/restore", headers=records))
    assert validate(app.get(doc, headers=owner)).json["deleted"] is None
    listing = app.get(f"/api/v1/subjects/{OWNER}/documents", headers=owner).json
    assert listing["total"] == len(listing["items"]) == app.get(
        f"/api/v1/subjects/{OWNER}", headers=owner).json["documents"] == warehouse["documents"] + 1


# --- 4. what is not a citizen's is not found for them ----------------------------------------

def test_a_citizen_cannot_tell_that_what_is_not_theirs_exists(reuse_testapp, api, browser, db, world):
    app = reuse_testapp
    other = api("congdan2")
    request_id = db.write(lambda root: _offer(root, world))
    page = browser("congdan2")
    before = db.last()
    for path in (f"/subjects/{OWNER}", f"/subjects/{OWNER}/documents", f"/subjects/{OWNER}/documents/{world.id_card}",
                 f"/subjects/{OWNER}/documents/{world.id_card}/content", f"/subjects/{OWNER}/consents",
                 f"/subjects/{OWNER}/consents/{world.consent_online}", f"/dossiers/{world.second}",
                 f"/dossiers/{world.second}/reuse-requests/{request_id}"):
        answer = validate(app.get("/api/v1" + path, headers=other, status=404)).json
        assert answer == validate(app.get("/api/v1/subjects/079203999999", headers=other, status=404)).json, path
    validate(app.post_json(f"/api/v1/dossiers/{world.second}/reuse-requests/{request_id}/decision",
                           {"accept": True}, headers=other, status=404))
    for path in (f"/subjects/{OWNER}/", doc_path(world.id_card), f"/subjects/{OWNER}/consents/",
                 f"/dossiers/{world.second}/"):
        assert "Không tìm thấy trang này." in page.get(path, status=404).text
    assert db.last() == before                                    # the refusals wrote nothing
    # staff keep their 403, and so does the owner refused a thing of their own
    validate(app.get(f"/api/v1/dossiers/{world.second}", headers=api("xuly"), status=403))
    page = browser("congdan")
    page.get(f"/subjects/{OWNER}/upload", status=403)


def _offer(root, world):
    from repository.reception import offer_reuse
    reuse, _ = offer_reuse(root, root.dossiers[world.second], root.accounts.users["canbo2"],
                           [{"component": "tuy_than", "document": world.id_card}])
    return reuse.id


# --- 5. a purpose is stated by POST, never in the address of a GET -------------------------

def test_a_get_cannot_state_a_purpose_in_a_browser_session(browser, api, reuse_testapp, db, world):
    officer = browser("canbo2")
    before = len(db.audit())
    download = doc_path(world.id_card, "download")
    content = f"/api/v1/subjects/{OWNER}/documents/{world.id_card}/content"
    text = f"/api/v1/subjects/{OWNER}/documents/{world.id_card}/text"
    # a link from another site, followed with the officer's cookie, reads and logs nothing
    assert "purpose" in officer.get(download, {"purpose": world.second}, status=400).text
    officer.get(doc_path(world.id_card, "preview", "1"), {"purpose": world.second}, status=400)
    assert officer.get(content, {"purpose": world.second}, status=400).json["errors"]["purpose"]
    officer.get(text, {"purpose": world.second}, status=400)
    officer.get(download, status=403)                             # nothing opened yet
    assert officer.get(content, status=403).json["error"] == "purpose_required"
    assert [e for e in new_entries(db, before) if e["action"] in ("read_content", "read_refused")] == []
    # the page's POST (with its CSRF token) opens it; downloads then use what it opened
    page = officer.get(doc_path(world.id_card))
    form = page.forms["purpose-form"]
    form["purpose"] = world.second
    form.submit()
    assert officer.get(download).body[:5] == b"%PDF-"
    assert officer.get(content).body[:5] == b"%PDF-"
    reads = [(e["purpose"], e["detail"]["via"]) for e in new_entries(db, before) if e["action"] == "read_content"]
    assert reads == [(world.second, "open"), (world.second, "download"), (world.second, "api")]
    # a bearer token states it with ?purpose= (no other site can send the token)
    assert reuse_testapp.get(content, {"purpose": world.second}, headers=api("canbo2")).body[:5] == b"%PDF-"


# --- 6. every read is logged, once per viewing ----------------------------------------------

def test_every_read_is_logged_once_per_viewing(browser, api, reuse_testapp, db, world):
    owner = browser("congdan")
    before = len(db.audit())
    page = owner.get(doc_path(world.id_card))
    for img in page.html.select(".previews img"):
        assert owner.get(img["src"]).content_type == "image/png"
    owner.get(doc_path(world.id_card))                            # the same viewing, reloaded
    owner.get(doc_path(world.id_card, "download"))
    reads = [(e["actor"], e["subject"], e["purpose"], e["detail"]["via"]) for e in new_entries(db, before)]
    assert reads == [("congdan", OWNER, "owner", "page"), ("congdan", OWNER, "owner", "download")]

    officer = browser("canbo2")
    mark = len(db.audit())
    officer.get(f"/subjects/{OWNER}/")
    officer.get(f"/subjects/{OWNER}/")
    officer.get(doc_path(world.birth))
    officer.get(doc_path(world.birth))
    seen = [(e["actor"], e["action"], e["subject"], e["document"], e["purpose"], e["detail"]["via"])
            for e in new_entries(db, mark)]
    assert seen == [("canbo2", "read_metadata", OWNER, None, "metadata", "warehouse"),
                    ("canbo2", "read_metadata", OWNER, world.birth, "metadata", "page")]
    headers = api("xuly2")
    mark = len(db.audit())
    reuse_testapp.get(f"/api/v1/subjects/{OWNER}/documents/{world.birth}", headers=headers)
    reuse_testapp.get(f"/api/v1/subjects/{OWNER}", headers=headers)
    assert [(e["actor"], e["action"], e["document"]) for e in new_entries(db, mark)] == [
        ("xuly2", "read_metadata", world.birth), ("xuly2", "read_metadata", None)]
    assert all(e["subject"] == OWNER for e in new_entries(db, mark))
