"""The records console's metadata search and audit trail viewer, on pages and
API (WebTest over the reuse world): filters, paging, dd/mm/yyyy dates, no
content, a Vietnamese 400 for bad filters, the audit under each owner shown
(the owner's access log lists the search), the trail's kept verification
recomputed on demand, the entries filtered and paged, reading them audited."""
import transaction

from repository import audit as audit_module
from repository import audit_view
from repository.audit import audit_log, wait_sealed

from ..conftest import csrf_from, login
from .openapi_check import validate
from .records_papers import add_paper as _add_paper

OWNER = "001090012345"
SECRET = "QUOKKAZEBRA"


def add_paper(app, meta, owner=OWNER):
    return _add_paper(app, meta, owner, text=f"{SECRET} GIẤY")


def trail(app):
    tm = transaction.TransactionManager()
    conn = app.registry._zodb_databases[""].open(tm)
    try:
        return list(audit_log(conn))
    finally:
        tm.abort()
        conn.close()


def token(app, username):
    from repository.seed import DEMO_PASSWORD
    value = app.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {value}"}


def test_metadata_search_on_the_page(reuse_app, reuse_testapp):
    app = reuse_testapp
    paper = add_paper(reuse_app, {"type_code": "HC", "number": "B7654321", "issuer": "Cục Quản lý xuất nhập cảnh",
                                  "issue_date": "2015-06-30", "valid_until": "2025-06-30"})
    login(app, "luutru")
    console = app.get("/records")
    assert 'href="/records/search"' in console.text and 'href="/records/audit"' in console.text
    form = app.get("/records/search")
    assert 'id="records-search-form"' in form.text and 'href="/search"' in form.text
    assert 'id="records-search-results"' not in form.text            # nothing is searched unasked
    page = app.get("/records/search", {"go": "1", "issuer": "xuat nhap canh", "issued_from": "01/01/2015"})
    assert paper in page.text and "B7654321" in page.text and "30/06/2015" in page.text
    assert "Hết hiệu lực" in page.text and "Nguyễn Văn An" in page.text
    assert SECRET not in page.text and "<mark>" not in page.text and "/download" not in page.text
    assert "Tìm thấy 1 giấy tờ." in page.text
    # paging keeps the filters
    first = app.get("/records/search", {"go": "1", "owner": OWNER, "pagelen": "1"})
    assert 'rel="next"' in first.text and "owner=001090012345" in first.text
    # bad filters: a 400 with the Vietnamese message beside the field
    bad = app.get("/records/search", {"go": "1", "issued_from": "31/02/2020", "state": "lost"}, status=400)
    assert "Ngày phải có dạng dd/mm/yyyy" in bad.text and 'id="error-issued_from"' in bad.text
    assert 'id="error-state"' in bad.text and "a date is" not in bad.text


def test_metadata_search_api_is_audited_under_each_owner(reuse_app, reuse_testapp, world):
    app = reuse_testapp
    other = add_paper(reuse_app, {"type_code": "GKS", "number": "45/2001", "issue_date": "1995-09-01"},
                      owner="010195004321")
    records = token(app, "luutru")
    before = len(trail(reuse_app))
    body = validate(app.get("/api/v1/records/search", {"number": "45/2001"}, headers=records)).json
    assert [i["doc_id"] for i in body["items"]] == [f"010195004321/{other}"]
    assert body["items"][0]["issue_date"] == "1995-09-01" and body["exact"] and body["total"] == 1
    assert not {"text", "snippet_html", "content", "links"} & set(body["items"][0])
    everyone = validate(app.get("/api/v1/records/search", {"pagelen": "100"}, headers=records)).json
    owners = {i["owner_id"] for i in everyone["items"]}
    assert owners == {OWNER, "010195004321"} and everyone["total"] == len(everyone["items"])
    logged = [e for e in trail(reuse_app)[before:] if e["action"] == "search_read"]
    assert sorted(e["subject"] for e in logged) == sorted(["010195004321", OWNER, "010195004321"])
    assert all(e["purpose"] == "metadata" and e["detail"]["scope"] == "metadata" for e in logged)
    # the owner sees it in their access log
    wait_sealed(reuse_app.registry._zodb_databases[""])
    mine = app.get(f"/api/v1/subjects/{OWNER}/access-log", headers=token(app, "congdan")).json["items"]
    assert any(i["action"] == "search_read" and i["actor"] == "luutru" for i in mine)
    login(app, "congdan")       # in words that say it was not the content
    page = app.get(f"/subjects/{OWNER}/access-log")
    assert "thấy thông tin mô tả giấy tờ của bạn (không xem nội dung)" in page.text
    app.reset()
    bad = app.get("/api/v1/records/search", {"valid_to": "2020-13-01", "page": "1"}, headers=records,
                  status=400).json
    assert set(bad["errors"]) == {"valid_to"} and "dd/mm/yyyy" in bad["errors"]["valid_to"]
    assert app.get("/api/v1/records/search", {"page": "x"}, headers=records, status=400)


def test_the_audit_trail_viewer(reuse_app, reuse_testapp, monkeypatch):
    app = reuse_testapp
    verifications = []
    real = audit_module.AuditTrail.verify
    monkeypatch.setattr(audit_module.AuditTrail, "verify",
                        lambda self: verifications.append(1) or real(self))
    login(app, "luutru")
    app.get("/records")
    app.get("/records")
    assert len(verifications) == 1                 # the console reuses the kept verification
    wait_sealed(reuse_app.registry._zodb_databases[""])
    app.get("/records/search", {"go": "1", "owner": OWNER})      # a pending entry after the sealed ones
    app.reset()
    login(app, "kiemtoan")
    page = app.get("/records/audit")
    assert len(verifications) == 1 and 'id="audit-checked"' in page.text and "bởi" not in page.text
    assert "toàn vẹn" in page.text and "đang chờ" in page.text          # pending entries are marked
    app.post("/records/audit/verify", {"csrf_token": csrf_from(page)}, status=302)
    assert len(verifications) == 2
    assert "do kiemtoan thực hiện" in app.get("/records/audit").text
    app.post("/records/audit/verify", {}, status=400)                # no CSRF token
    filtered = app.get("/records/audit", {"actor": "luutru", "action": "search_read"})
    rows = filtered.html.select("#audit-entries tbody tr")
    assert rows and all("search_read" in r.text and "luutru" in r.text for r in rows)
    assert "Không có mục nào" in app.get("/records/audit", {"until": "01/01/2000"}).text
    bad = app.get("/records/audit", {"since": "2026-02-30", "action": "Đọc"}, status=400)
    assert "Ngày phải có dạng dd/mm/yyyy" in bad.text and 'id="error-action"' in bad.text
    entries = trail(reuse_app)
    reads = [e for e in entries if e["action"] == "audit_read"]
    assert {"action": "search_read", "actor": "luutru"} in [e["detail"]["filters"] for e in reads]
    assert all(e["actor"] == "kiemtoan" for e in reads)
    assert any(e["subject"] == OWNER for e in reads)         # under each owner shown: in their access log
    assert reads[-1]["detail"] == {"filters": {"until": "2000-01-01"}, "shown": 0} and reads[-1]["subject"] is None
    assert any(e["action"] == "audit_verified" and e["actor"] == "kiemtoan" for e in entries)


def test_the_audit_trail_api_pages_backwards(reuse_app, reuse_testapp):
    app = reuse_testapp
    auditor = token(app, "kiemtoan")
    wait_sealed(reuse_app.registry._zodb_databases[""])
    first = validate(app.get("/api/v1/records/audit", {"limit": "3"}, headers=auditor)).json
    assert first["status"]["ok"] is True and len(first["items"]) == 3 and first["next_before"]
    seqs = [i["seq"] for i in first["items"]]
    assert seqs == sorted(seqs, reverse=True)
    second = validate(app.get("/api/v1/records/audit", {"limit": "3", "before": str(first["next_before"])},
                              headers=auditor)).json
    assert max(i["seq"] for i in second["items"]) < min(seqs)
    mine = validate(app.get("/api/v1/records/audit", {"owner": OWNER, "limit": "200"}, headers=auditor)).json
    assert mine["items"] and all(i["subject"] == OWNER for i in mine["items"])
    checked = validate(app.post("/api/v1/records/audit/verify", headers=auditor)).json
    assert checked["ok"] is True and checked["by"] == "kiemtoan" and checked["verified"] >= checked["sealed"]
    bad = app.get("/api/v1/records/audit", {"before": "abc", "limit": "0"}, headers=auditor, status=400).json
    assert set(bad["errors"]) == {"before", "limit"}
    odd = app.get("/api/v1/records/audit", {"before": "²", "since": "01/01/0001", "until": "31/12/9999"},
                  headers=auditor, status=400).json       # no 500 on digits int() refuses or dates past the clock
    assert set(odd["errors"]) == {"before", "since", "until"}
    # a broken chain is reported, on demand
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    with tm:
        chain = audit_log(conn).sealed
        entry = dict(chain.entries[2], actor="someone-else")
        chain.entries[2] = entry
    conn.close()
    assert validate(app.get("/api/v1/records/audit", headers=auditor)).json["status"]["ok"] is True   # kept
    broken = validate(app.post("/api/v1/records/audit/verify", headers=auditor)).json
    assert broken["ok"] is False and "2" in broken["message"]
    audit_view.forget()


def test_wrong_roles_are_refused(reuse_testapp):
    app = reuse_testapp
    for username, search_status, audit_status in (("canbo", 403, 403), ("congdan", 403, 403),
                                                   ("kiemtoan", 403, 200), ("quantri", 403, 403)):
        headers = token(app, username)
        app.get("/api/v1/records/search", headers=headers, status=search_status)
        app.get("/api/v1/records/audit", headers=headers, status=audit_status)


def assert_vietnamese(response, where):
    """test_language's check, with the audit entries' data left out: ids,
    codes, hashes and details (JSON) are shown in <code>, as data, not as
    sentences (a hexadecimal id reads as English to its heuristic)."""
    from bs4 import BeautifulSoup

    from .test_language import assert_vietnamese as check, english_runs, visible_text
    if response.content_type != "text/html":
        return check(response, where)
    soup = BeautifulSoup(response.text, "html.parser")
    for tag in soup("code"):
        tag.decompose()
    bad = english_runs(visible_text(str(soup)))
    assert not bad, f"{where}: English in the Vietnamese UI: {bad[:5]}"


def test_the_pages_are_vietnamese(reuse_app, reuse_testapp):
    app = reuse_testapp
    add_paper(reuse_app, {"type_code": "HC", "number": "B7654321", "issue_date": "2015-06-30"})
    app.set_cookie("_LOCALE_", "vi")
    for username, asks in (
            ("luutru", [("/records", {}), ("/records/search", {}),
                        ("/records/search", {"go": "1", "owner": OWNER, "pagelen": "1"}),
                        ("/records/search", {"go": "1", "owner": "12", "issued_to": "x", "page": "0"}),
                        ("/records/search", {"go": "1", "name": "không có ai"}),
                        ("/api/v1/records/search", {"retention": "gone"})]),
            ("kiemtoan", [("/records/audit", {}), ("/records/audit", {"until": "31/13/2020", "limit": "x"}),
                          ("/records/audit", {"actor": "nobody"}), ("/api/v1/records/audit", {"before": "-1"})])):
        app.reset()
        app.set_cookie("_LOCALE_", "vi")
        login(app, username)
        for path, params in asks:
            response = app.get(path, params, expect_errors=True)
            assert response.status_int in (200, 400), (path, response.status)
            assert_vietnamese(response, f"{path} {params}")
