"""Results, copies and verification through the app (WebTest), over the
reuse world: the processor issues the result on the dossier's page; the
citizen finds it in My papers and My dossiers, gets a copy (sao y), and the
QR codes of the printed receipt and result, read from PNG images of their
pages (pdftoppm, zbarimg), open a verification page that says they are
genuine; a forged, altered or malformed code gets the same "not found"."""
import subprocess
import urllib.parse

import pytest

import signing
from repository import verification

from ..conftest import csrf_from, login

OWNER = "001090012345"
OTHER = "010195004321"


@pytest.fixture
def app(reuse_testapp):
    return reuse_testapp


def as_user(app, username):
    app.reset()
    login(app, username)
    return app


def printed_qr(pdf, tmp_path, name):
    """The QR code's text, read from page 1 of the PDF printed to PNG at 150 dpi."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / name)], check=True)
    png = next(tmp_path.glob(f"{name}*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8").strip().splitlines()


def open_qr(app, text):
    """Open the QR code's address in the app, as a phone would (the part after '#' stays on the phone)."""
    address = urllib.parse.urlsplit(text.partition("#")[0])
    return app.get(address.path, status="*")


def issue_on_page(app, world):
    app = as_user(app, "xuly2")
    page = app.get(f"/dossiers/{world.first}/")
    assert page.html.select_one("#result-form") is not None
    response = page.forms["result-form"].submit()
    assert response.status_int == 302
    page = response.follow()
    assert "Đã trả kết quả điện tử" in page.html.select_one("#result-issued").text
    return page


def test_the_processor_issues_the_result_and_the_citizen_finds_it(app, world, tmp_path):
    issue_on_page(app, world)
    app = as_user(app, "congdan")
    home = app.get(f"/subjects/{OWNER}/")
    assert f"/subjects/{OWNER}/papers" in home.text and f"/subjects/{OWNER}/dossiers" in home.text
    papers = app.get(f"/subjects/{OWNER}/papers")
    cards = papers.html.select(".paper-card")
    result = [c for c in cards if "Giấy xác nhận tình trạng hôn nhân" in c.text]
    assert len(result) == 1 and result[0]["data-status"] == "in_force"
    card = result[0]
    assert "Kết quả do cơ quan cấp" in card.select_one(".provenance").text
    assert "Còn hiệu lực" in card.select_one(".state").text
    assert "✓" in card.select_one(".signatures-summary").text
    pdf = app.get(card.select_one("a.download")["href"]).body
    assert signing.verify_pdf(pdf, app.app.registry.settings["kho.trust_roots"].split()).ok

    dossiers = app.get(f"/subjects/{OWNER}/dossiers")
    first = dossiers.html.find(id=f"dossier-{world.first}")
    assert "Đã giải quyết" in first.select_one(".dossier-state").text
    assert first.select_one("a.result-link") is not None
    assert "Trả kết quả điện tử" in first.select_one(".timeline").text
    assert dossiers.html.find(id=f"dossier-{world.second}").select_one("a.receipt-link")

    # the printed result's QR code opens its verification page, no log-in
    [text] = printed_qr(pdf, tmp_path, "result")
    app.reset()
    page = open_qr(app, text)
    assert page.status_int == 200
    assert "Giấy tờ thật, còn hiệu lực." in page.html.select_one("#verdict").text
    shown = page.html.select_one("#verify-fields").text
    assert world.first in shown and OWNER in shown and "Giấy xác nhận tình trạng hôn nhân" in shown
    assert "Nguyễn Văn An" not in page.text            # only what the paper printed in its QR code
    api = app.get("/api/v1/verify/" + verification.parse_qr_text(text)[1]).json
    assert api["genuine"] and api["in_force"] and api["kind"] == "result"
    assert api["fields"] == verification.parse_qr_text(text)[2]


def test_the_printed_receipt_verifies_and_forgeries_are_not_found(app, world, tmp_path):
    app = as_user(app, "congdan")
    receipt = app.get(f"/api/v1/dossiers/{world.second}/receipt").body
    texts = printed_qr(receipt, tmp_path, "receipt")
    address, code, fields = verification.parse_qr_text(texts[0])
    assert fields["ma_ho_so"] == world.second and fields["hen_tra"].endswith("+07:00")
    app.reset()
    page = open_qr(app, texts[0])
    assert page.status_int == 200 and "Giấy tờ thật, còn hiệu lực." in page.text
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page.text
    english = app.get(f"/verify/{code}?_LOCALE_=en")
    assert "Genuine and in force." in english.text and "Dossier code" in english.text
    assert "Receipt and appointment slip" in english.text

    audit_db = app.app.registry._zodb_databases[""].databases["audit"].storage
    before = audit_db.lastTransaction()
    altered = code[:-1] + ("B" if code[-1] != "B" else "C")
    answers = [app.get(path, status="*") for path in (
        f"/verify/{altered}", f"/verify/{verification.new_code()}", "/verify/abc", "/verify/%3Cscript%3E",
        f"/verify/{code}x")]
    assert {a.status_int for a in answers} == {404}
    bodies = {a.html.select_one("#verify-result").text for a in answers}
    assert len(bodies) == 1 and "Không tìm thấy" in bodies.pop()
    assert audit_db.lastTransaction() == before          # it writes nothing but its own log
    assert app.get(f"/api/v1/verify/{altered}", status=404).json["error"] == "not_found"
    assert app.get("/api/v1/verify/abc", status=404).json["error"] == "not_found"
    # /verify itself is still the signature check
    assert "verify-form" in app.get("/verify").text


def test_lookups_are_rate_limited_per_address(app):
    app.reset()
    for _ in range(verification.LOOKUP_LIMIT):
        app.get("/verify/" + "A" * 24, status=404, extra_environ={"REMOTE_ADDR": "192.0.2.9"})
    limited = app.get("/verify/" + "A" * 24, status=429, extra_environ={"REMOTE_ADDR": "192.0.2.9"})
    assert int(limited.headers["Retry-After"]) > 0
    app.get("/verify/" + "A" * 24, status=404, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


def test_the_citizen_gets_a_copy_that_verifies(app, world, tmp_path):
    app = as_user(app, "congdan")
    papers = app.get(f"/subjects/{OWNER}/papers")
    form = papers.html.select_one(f"#paper-{world.id_card} form.copy-form")
    response = app.post(form["action"], {"csrf_token": csrf_from(papers)})
    page = response.follow()
    assert "Đã cấp bản sao điện tử có ký số." in page.text
    card = page.html.select_one(f"#paper-{world.id_card}")
    link = [a["href"] for a in card.select(".copies a") if "/copies/" in a["href"]][0]
    pdf = app.get(link).body
    report = signing.verify_pdf(pdf, app.app.registry.settings["kho.trust_roots"].split())
    assert report.ok and report.signatures[0].field_name.startswith("Kho_copy")
    [text] = printed_qr(pdf, tmp_path, "copy")
    app.reset()
    assert "Giấy tờ thật, còn hiệu lực." in open_qr(app, text).text
    copies = as_user(app, "congdan").get(f"/api/v1/subjects/{OWNER}/documents/{world.id_card}/copies").json
    assert copies["total"] == 1 and copies["items"][0]["status"] == "in_force"
    # the owner revokes it: its page says so (staff may not)
    papers = app.get(f"/subjects/{OWNER}/papers")
    revoke = papers.html.select_one(f"#paper-{world.id_card} form.revoke-form")
    page = app.post(revoke["action"], {"csrf_token": csrf_from(papers)}).follow()
    assert "Đã thu hồi bản sao" in page.text
    app.reset()
    assert "Giấy tờ thật nhưng đã bị thu hồi" in open_qr(app, text).text
    staff = as_user(app, "canbo2")
    papers = staff.get(f"/subjects/{OWNER}/")
    assert staff.post(revoke["action"], {"csrf_token": csrf_from(papers)}, status="*").status_int == 403


def test_my_pages_are_the_owners_alone(app):
    app = as_user(app, "congdan2")
    for path in (f"/subjects/{OWNER}/papers", f"/subjects/{OWNER}/dossiers",
                 f"/api/v1/subjects/{OWNER}/papers", f"/api/v1/subjects/{OWNER}/dossiers"):
        assert app.get(path, status="*").status_int == 404
    assert app.get(f"/subjects/{OTHER}/papers").status_int == 200
    app = as_user(app, "canbo")
    assert app.get(f"/subjects/{OWNER}/papers", status="*").status_int == 403


def token(app, username):
    response = app.post_json("/api/v1/tokens", {"username": username, "password": "matkhau-demo"})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_result_is_reused_in_a_third_procedure(app, world):
    """API: the result issued, consent to reuse it, a marriage registration
    received for the owner and the other person: the result is offered."""
    app.reset()
    xuly2, canbo, owner = token(app, "xuly2"), token(app, "canbo"), token(app, "congdan")
    issued = app.post_json(f"/api/v1/dossiers/{world.first}/result", {}, headers=xuly2, status=201).json
    assert issued["provenance"] == "agency_result" and issued["type_code"] == "XNTTHN"
    assert issued["signatures"]["ok"] and issued["verify_url"].rsplit("/", 1)[1]
    app.post_json(f"/api/v1/dossiers/{world.first}/result", {}, headers=xuly2, status=409)
    assert app.get(f"/api/v1/dossiers/{world.first}", headers=xuly2).json["result"]["document"] == issued["id"]
    app.post_json(f"/api/v1/subjects/{OWNER}/consents", {
        "scope": "doctype", "target": "XNTTHN", "purposes": ["keep", "reuse"],
        "notice_version": "TB-2026-01"}, headers=owner, status=201)
    third = app.post_json("/api/v1/dossiers", {"procedure_code": "1.000894", "applicant_id": OWNER,
                                               "others": [OTHER]}, headers=canbo, status=201).json
    dossier = app.get(f"/api/v1/dossiers/{third['code']}", headers=canbo).json
    [component] = [c for c in dossier["components"] if c["key"] == "xac_nhan_hon_nhan_nguoi_nop"]
    offered = {c["document"]["id"]: c for c in component["candidates"]}
    assert offered[issued["id"]]["reusable"], offered[issued["id"]]["reasons"]
    mine = app.get(f"/api/v1/subjects/{OWNER}/dossiers", headers=owner).json
    [first] = [d for d in mine["items"] if d["code"] == world.first]
    assert first["result"]["document"] == issued["id"]
    papers = app.get(f"/api/v1/subjects/{OWNER}/papers", headers=owner).json
    [result] = [p for p in papers["items"] if p["id"] == issued["id"]]
    assert result["validity"] == "in_force" and result["reusable"] and result["verify_url"]


def signed_pdf(app):
    from ..files import pdf_bytes
    from repository.signatures import load_signer
    signer = load_signer(app.app.registry.settings, "agency")
    try:
        return signing.sign_pdf(pdf_bytes(text="DA KY"), signer, "copy", copy_kind="SAO Y")
    finally:
        signing.close_signer(signer)


def test_the_processor_uploads_the_result(app, world, tmp_path):
    from ..files import pdf_bytes
    app = as_user(app, "xuly2")
    page = app.get(f"/dossiers/{world.first}/")
    form = page.forms["result-form"]
    # an already signed PDF is refused: the agency signs the result and adds its QR code
    signed = app.post(f"/dossiers/{world.first}/result", {"csrf_token": csrf_from(page)},
                      upload_files=[("file", "signed.pdf", signed_pdf(app))]).follow()
    assert "Tệp đã có chữ ký số" in signed.html.select_one(".flash.error").text
    assert signed.html.select_one("#result-form") is not None
    form["file"] = ("quyet-dinh.pdf", pdf_bytes(text="QUYET DINH CAP GIAY XAC NHAN"), "application/pdf")
    page = form.submit().follow()
    assert page.html.select_one("#result-issued") is not None
    app = as_user(app, "congdan")
    papers = app.get(f"/subjects/{OWNER}/papers")
    card = [c for c in papers.html.select(".paper-card") if "Giấy xác nhận tình trạng hôn nhân" in c.text][0]
    pdf = app.get(card.select_one("a.download")["href"]).body
    [text] = printed_qr(pdf, tmp_path, "uploaded")
    assert verification.parse_qr_text(text)[2]["ma_ho_so"] == world.first
