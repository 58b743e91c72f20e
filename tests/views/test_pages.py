"""The pages a person uses, through WebTest."""
from repository.audit import audit_log

from ..conftest import csrf_from, login
from ..files import image_bytes, pdf_bytes

OWNER = "001090012345"


def test_login_page_refuses_wrong_password_in_vietnamese(testapp):
    page = testapp.get("/login")
    response = testapp.post("/login", {"username": "canbo", "password": "sai-mat-khau",
                                       "csrf_token": csrf_from(page)}, status=400)
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text


def test_login_without_csrf_is_refused(testapp):
    testapp.get("/login")
    response = testapp.post("/login", {"username": "canbo", "password": "matkhau-demo"}, status=400)
    assert "Phiên làm việc đã hết hạn" in response.text


def test_citizen_lands_on_own_warehouse_and_cannot_open_another(testapp):
    response = login(testapp, "congdan")
    assert response.location.endswith(f"/subjects/{OWNER}/")
    page = response.follow()
    assert "Kho dữ liệu của Nguyễn Văn An" in page.text and "Thêm giấy tờ" not in page.text
    testapp.get("/subjects/010195004321/", status=404)     # not theirs: as if it did not exist
    testapp.get("/desk", status=403)


def test_desk_opens_by_id_or_qr_and_creates_a_warehouse(as_user):
    app = as_user("canbo")
    qr = f"{OWNER}|123456789|Nguyễn Văn An|12051990|Nam|Hà Nội|01012021"
    app.get("/desk", {"id": qr}, status=400)           # the QR text goes by POST, never in a URL
    form = app.get("/desk").forms["open-form"]
    form["id"] = qr
    found = form.submit()
    assert f"/subjects/{OWNER}/" in found.text and "Nguyễn Văn An" in found.text
    bad = app.get("/desk", {"id": "12345"}, status=400)
    assert "12 chữ số" in bad.text
    missing = app.get("/desk", {"id": "079203000001"})
    form = missing.forms["create-form"]
    form["name"] = "Lê Văn Bình"
    form["birth_date"] = "1999-01-01"
    wrong = form.submit(status=400)
    assert "không khớp" in wrong.text
    form = wrong.forms["create-form"]
    form["birth_date"] = "2003-04-05"
    form["sex"] = "male"
    created = form.submit().follow()
    assert "Lê Văn Bình" in created.text


def test_upload_form_shows_errors_and_keeps_values(as_user, open_root):
    app = as_user("canbo")
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("note.txt", b"hello", "text/plain")
    form["type_code"] = "GKS"
    form["number"] = "12/2020"
    form["issue_date"] = "2020-02-30"
    page = form.submit(status=400)
    assert "Chỉ nhận PDF, PNG, JPEG hoặc TIFF" in page.text
    assert "Ngày phải có dạng dd/mm/yyyy" in page.text
    assert 'value="12/2020"' in page.text
    assert len(open_root().subjects[OWNER].documents) == 0


def test_upload_then_previews_need_a_purpose_and_log_it(as_user, open_root, dossier_code):
    app = as_user("canbo")
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("khai-sinh.tiff", image_bytes("TIFF", frames=2), "image/tiff")
    form["type_code"] = "GKS"
    form["issuer"] = "UBND phường Cốc Lếu"
    warned = form.submit(status=400)       # a small grey scan: the officer must accept it first
    assert "Bản quét có độ phân giải dưới 200 dpi" in warned.text
    assert len(open_root().subjects[OWNER].documents) == 0
    form = warned.forms["upload-form"]
    form["file"] = ("khai-sinh.tiff", image_bytes("TIFF", frames=2), "image/tiff")
    form["accept_quality"] = True
    page = form.submit().follow()          # the upload lands on the paper's page
    assert "Bản quét được chấp nhận dù chưa đạt yêu cầu số hoá" in page.text
    assert "Đã lưu giấy tờ Giấy khai sinh" in page.text and "UBND phường Cốc Lếu" in page.text
    listing = page.click(href=f"/subjects/{OWNER}/$", index=0)
    assert "UBND phường Cốc Lếu" in listing.text and "Chờ nhận dạng" in listing.text
    assert "preview" not in page.text and "purpose-form" in page.text
    doc_url = page.request.path
    app.get(doc_url + "preview/1", status=403)              # not opened with a purpose
    form = page.forms["purpose-form"]
    assert [o[0] for o in form["purpose"].options if o[0]] == [dossier_code, "digitizing"]   # real ones only
    form["purpose"].force_value("000.15.16.H10-261128-0001")
    refused = form.submit().follow()
    assert "Không có hồ sơ" in refused.text
    form = refused.forms["purpose-form"]
    form["purpose"] = dossier_code
    opened = form.submit().follow()
    assert dossier_code in opened.text
    for page_no in (1, 2):
        png = app.get(f"{doc_url}preview/{page_no}", {"w": 300})
        assert png.content_type == "image/png" and png.body[:8] == b"\x89PNG\r\n\x1a\n"
    app.get(doc_url + "preview/3", status=404)
    entries = list(audit_log(open_root()._p_jar))
    assert [e["purpose"] for e in entries if e["action"] == "read_content"] == [dossier_code]
    assert [e["purpose"] for e in entries if e["action"] == "read_refused"] == ["000.15.16.H10-261128-0001"]


def test_owner_sees_previews_without_stating_a_purpose(as_user, open_root):
    app = as_user("canbo")
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("gks.pdf", pdf_bytes(1), "application/pdf")
    form["type_code"] = "GKS"
    form = form.submit(status=400).forms["upload-form"]     # a 75 dpi scan: accepted as it is
    form["file"] = ("gks.pdf", pdf_bytes(1), "application/pdf")
    form["accept_quality"] = True
    form.submit(status=302)
    app = as_user("congdan")
    page = app.get(f"/subjects/{OWNER}/").click(description="Giấy khai sinh", index=0)
    assert "preview/1" in page.text
    download = page.click(description="Tải bản gốc")
    assert download.body[:5] == b"%PDF-" and "attachment" in download.headers["Content-Disposition"]


def test_english_switch(as_user):
    app = as_user("canbo")
    app.get("/lang/en", {"came_from": "/desk"}).follow()
    page = app.get("/desk")
    assert "Desk: open a warehouse" in page.text and '<html lang="en">' in page.text
    app.get("/lang/vi")
    assert "Tiếp nhận: mở kho dữ liệu" in app.get("/desk").text


def test_every_template_string_has_a_vietnamese_translation():
    from views.i18n import missing_translations
    assert missing_translations("vi") == []


def test_logout(as_user):
    app = as_user("canbo")
    csrf = csrf_from(app.get("/desk"))
    app.post("/logout", {"csrf_token": csrf})
    assert app.get("/desk").location.endswith("/login?came_from=/desk")
