"""Signed papers in the app: checked on upload, kept byte for byte, shown on
the document page; and the public 'check a signature' page and API."""
import signing

from ..files import pdf_bytes
from .openapi_check import validate

OWNER = "001090012345"


def signed_by(settings, who="agency"):
    pki = settings["kho.pki_dir"]
    with open(f"{pki}/passphrase.txt") as f:
        signer = signing.load_p12_signer(f"{pki}/{who}.p12", f.read().strip())
    return signing.sign_pdf(pdf_bytes(1, "QUYẾT ĐỊNH"), signer, "result")


def test_a_signed_upload_is_kept_byte_for_byte_with_its_report(testapp, token_for, settings, dossier_code):
    data = signed_by(settings)
    headers = token_for("canbo")
    doc = validate(testapp.post(f"/api/v1/subjects/{OWNER}/documents", {"type_code": "QDTCTN"},
                                upload_files=[("file", "qd.pdf", data)], headers=headers, status=201)).json
    assert doc["signatures"]["ok"] is True
    assert doc["signatures"]["signatures"][0]["signer"] == "Ủy ban nhân dân xã Minh Khai"
    content = testapp.get(doc["links"]["content"], {"purpose": dossier_code}, headers=headers)
    assert content.body == data


def test_the_document_page_shows_who_signed_and_whether_it_holds(as_user, settings):
    data = bytearray(signed_by(settings))
    data[len(data) // 3] ^= 0x01                # one byte flipped inside the signed range
    app = as_user("canbo")
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("qd.pdf", bytes(data), "application/pdf")
    form["type_code"] = "QDTCTN"
    page = form.submit().follow()          # the paper's page
    section = page.html.find(id="signatures").get_text()
    assert "Đã bị thay đổi sau khi ký" in section and "Ủy ban nhân dân xã Minh Khai" in section
    assert "Xác thực và nguyên vẹn" not in section


def test_anyone_can_check_a_signature_on_the_page(testapp, settings):
    form = testapp.get("/verify").forms["verify-form"]
    form["file"] = ("qd.pdf", signed_by(settings, "officer"), "application/pdf")
    page = form.submit()
    verdict = page.html.select_one(".signatures .verdict").get_text()
    assert verdict.startswith("Xác thực và nguyên vẹn") and "Nguyễn Thị Hoà" in page.text
    assert "the signature covers" not in page.text and "không có: chữ ký bao trùm toàn bộ tệp" in page.text
    form = page.forms["verify-form"]
    form["file"] = ("anh.png", b"\x89PNG\r\n\x1a\n....", "image/png")
    refused = form.submit(status=400)
    assert "Chỉ kiểm tra được tệp PDF" in refused.text


def test_the_verify_api_reports_untrusted_and_unsigned(testapp, settings):
    pki = settings["kho.pki_dir"]
    with open(f"{pki}/passphrase.txt") as f:
        untrusted = signing.load_p12_signer(f"{pki}/untrusted.p12", f.read().strip())
    data = signing.sign_pdf(pdf_bytes(1), untrusted, "digitized")
    report = validate(testapp.post("/api/v1/verify", upload_files=[("file", "x.pdf", data)])).json
    assert report["ok"] is False and report["signatures"][0]["trusted"] is False
    unsigned = validate(testapp.post("/api/v1/verify", upload_files=[("file", "y.pdf", pdf_bytes(1))])).json
    assert unsigned["ok"] is False and unsigned["signatures"] == [] and unsigned["problems"]
    assert report["verdict"] == "untrusted" and unsigned["verdict"] == "unsigned"
    validate(testapp.post("/api/v1/verify", upload_files=[("file", "z.txt", b"hello")], status=400))
