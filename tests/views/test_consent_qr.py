"""A consent receipt's QR code is a verification code like a receipt's,
result's or copy's (repository.verification): read from the printed page's
image (pdftoppm, zbarimg), it opens /verify/<code>, which says the receipt is
genuine and shows what it printed; a narrowing or a withdrawal makes the
earlier receipt revoked, the withdrawal's own receipt stays in force; an
altered code gets "not found"."""
from repository import verification
from repository.consents import NOTICE_VERSION, SYSTEM_NAME
from repository.seed import DEMO_PASSWORD

from .test_results import open_qr, printed_qr

OWNER = "001090012345"


def bearer(app, username):
    token = app.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD}).json
    return {"Authorization": f"Bearer {token['token']}"}


def receipt_qr(app, headers, consent_id, name, tmp_path):
    pdf = app.get(f"/api/v1/subjects/{OWNER}/consents/{consent_id}/receipts/{name}", headers=headers).body
    [text] = printed_qr(pdf, tmp_path, f"{consent_id}-{name}")
    return text


def verdict(app, text):
    page = open_qr(app, text)
    found = page.html.select_one("#verify-result")
    return page.status_int, found.get("data-status"), {
        row.th.text.strip(): row.td.text.strip() for row in page.html.select("#verify-fields tr")}


def test_a_consent_receipt_s_qr_verifies(reuse_testapp, world, tmp_path):
    app = reuse_testapp
    owner = bearer(app, "congdan")
    consent = app.post_json(f"/api/v1/subjects/{OWNER}/consents", {
        "scope": "document", "target": world.birth, "purposes": ["keep", "reuse"], "channel": "online",
        "notice_version": NOTICE_VERSION}, headers=owner, status=201).json
    grant = receipt_qr(app, owner, consent["id"], "grant", tmp_path)
    address, code, fields = verification.parse_qr_text(grant)
    assert address == f"http://127.0.0.1:6543/verify/{code}" or address.endswith(f"/verify/{code}")
    assert verification.CODE_RE.match(code)
    assert fields["ma_phieu"] == consent["id"] and fields["so_dinh_danh"] == OWNER
    assert fields["giay_to"] == "Phiếu ghi nhận sự đồng ý xử lý dữ liệu cá nhân"
    assert fields["he_thong"] == SYSTEM_NAME
    assert fields["thoi_gian"].endswith("+07:00") and fields["pham_vi_du_lieu"].startswith("Giấy tờ: ")

    status, state, shown = verdict(app, grant)          # anyone, no log-in
    assert (status, state) == (200, "in_force")
    assert shown["Mã phiếu"] == consent["id"] and shown["Số định danh của chủ giấy tờ"] == OWNER
    assert shown["Phạm vi dữ liệu"] == fields["pham_vi_du_lieu"]
    assert "/" in shown["Thời điểm cấp"] and "+07:00" not in shown["Thời điểm cấp"]   # 01/12/2026 …

    # narrowed: the new receipt is the one in force, the grant's is revoked
    app.patch_json(f"/api/v1/subjects/{OWNER}/consents/{consent['id']}", {"purposes": ["keep"]}, headers=owner)
    narrow = receipt_qr(app, owner, consent["id"], "narrow-1", tmp_path)
    assert verification.parse_qr_text(narrow)[1] != code
    assert verdict(app, narrow)[:2] == (200, "in_force")
    assert verdict(app, grant)[:2] == (200, "revoked")

    # withdrawn: the withdrawal's receipt is in force (it proves the withdrawal), the others revoked
    app.post_json(f"/api/v1/subjects/{OWNER}/consents/{consent['id']}/withdraw", {}, headers=owner)
    withdrawal = receipt_qr(app, owner, consent["id"], "withdrawal", tmp_path)
    status, state, shown = verdict(app, withdrawal)
    assert (status, state) == (200, "in_force")
    assert shown["Tên giấy tờ"] == "Phiếu ghi nhận rút lại sự đồng ý"
    assert verdict(app, narrow)[:2] == (200, "revoked")

    # the API says the same; an altered code is not found
    api = app.get(f"/api/v1/verify/{verification.parse_qr_text(withdrawal)[1]}").json
    assert api["kind"] == "consent" and api["status"] == "in_force" and api["fields"]["ma_phieu"] == consent["id"]
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert app.get(f"/verify/{altered}", status=404).html.select_one("#verify-result.notfound") is not None

