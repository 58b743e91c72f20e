"""The three ways a reviewed scan gets its digitizer's signature in the app,
each checked by pyhanko, `kho verify` and pdfsig, each refusing a
certificate that is not the signed-in account's before anything is
confirmed or signed, and each signing the copy that carries the review: a
word corrected at review ("HUBND" -> "UBND") and the number typed there are
in the signed copy (pdftotext, pdfinfo's title), the OCR's word is not:

- at the desk: the officer's USB token (SoftHSM2) through `kho sign-agent`,
  driven here as the review page's script drives it (the browser test,
  tests/browser/test_desk_token.py, drives the page itself);
- remotely: a CSC service (tests/signing/csc_server.py) with PIN and OTP;
- a key the server holds (kho.signer.<username> = p12 …).
"""
import base64
import json
import shutil
import subprocess
import sys
import urllib.request

import pytest
import signing

from repository.ocr_jobs import OcrWorker

from ..browser.test_faithful_copy import rotated_a4_scan
from ..conftest import copy_template, login
from ..views.test_language import assert_vietnamese
from .conftest import pdfsig
from .csc_server import CscServer
from .desk_agent import ROOT, AgentProcess, make_token

pytestmark = [pytest.mark.slow]
OWNER = "001090012345"
ORIGIN = "http://localhost"


@pytest.fixture
def app_pki(seeded_template):
    return signing.DevPki(seeded_template / "pki")


@pytest.fixture
def tsa(app_pki):
    with signing.DevTsaServer(app_pki.directory) as server:
        yield server


@pytest.fixture
def csc(app_pki, tmp_path):
    with CscServer(access_token="kho-client") as server:
        server.add_credential("hoa-1", app_pki.officer_p12, app_pki.passphrase, pin="2468")
        server.add_credential("duc-1", app_pki.postal_p12, app_pki.passphrase, pin="1357")
        yield server


@pytest.fixture
def signer_spec():
    """kho.signer.canbo for the test (None: no server key, the desk's token)."""
    return None


@pytest.fixture
def settings(seeded_template, tmp_path, tsa, signer_spec):
    values = copy_template(seeded_template, tmp_path)
    values["kho.tsa_url"] = tsa.url
    values.pop("kho.signer.canbo")
    if signer_spec:
        values["kho.signer.canbo"] = signer_spec.format(base=values["kho.var"])
    return values


def nss_for(pki, directory):
    if not (shutil.which("certutil") and shutil.which("pdfsig")):
        pytest.skip("certutil/pdfsig not installed")
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "kho-root", "-t", "CT,C,C", "-i", str(pki.root_cert),
                    "-d", f"sql:{directory}"], check=True, capture_output=True)
    return directory


def register(testapp, token_for, username, p12, passphrase):
    """The administrator registers the certificate of p12 for username (API, bearer token)."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    cert = pkcs12.load_pkcs12(p12.read_bytes(), passphrase.encode()).cert.certificate
    admin = token_for("quantri")
    done = testapp.post_json("/api/v1/signing-certificates",
                             {"username": username, "certificate": cert.public_bytes(Encoding.PEM).decode()},
                             headers=admin)
    assert done.status_int == 201 and done.json["subject"]
    listed = testapp.get("/api/v1/signing-certificates", {"user": username}, headers=admin).json
    assert [c["fingerprint"] for c in listed["certificates"]] == [done.json["fingerprint"]]


def review_page(testapp, wsgi_app, settings, dossier_code):
    """canbo uploads a scan for the dossier, OCR runs, the review opens."""
    testapp.reset()
    login(testapp, "canbo")
    form = testapp.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("giay-khai-sinh.png", rotated_a4_scan(), "image/png")    # says "HUBND"
    form["type_code"] = "GKS"
    form["provenance"] = "digitized"
    form["dossier_code"] = dossier_code
    page = form.submit().follow()          # the paper's page
    worker = OcrWorker(wsgi_app.registry._zodb_databases[""], settings)
    try:
        while worker.run_one():
            pass
    finally:
        worker.close()
    return testapp.get(page.request.path).forms["review-open-form"].submit().follow()


NUMBER = "123/QĐ-UBND"


def corrected(form):
    """The officer corrects the OCR's "HUBND" and types the paper's number."""
    assert "HUBND" in form["page_text_0"].value
    form["page_text_0"] = form["page_text_0"].value.replace("HUBND", "UBND")
    form["number"] = NUMBER
    return form


def review_fields(form):
    """The review form's fields as the page's script sends them with the signing session."""
    return {name: field.value for name, fields in form.fields.items() for field in fields
            if name and name not in ("csrf_token", "signed_at_desk") and field.value is not None}


def review_state(testapp, token_for, review):
    api = "/api/v1" + review.request.path.rsplit("/review", 1)[0]
    return testapp.get(api, headers=token_for("canbo")).json["review_state"]


def check_reviewed_text(signed, tmp_path):
    """The signed copy carries the confirmed text and title, not the OCR's."""
    path = tmp_path / "reviewed.pdf"
    path.write_bytes(signed)
    layer = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "đề nghị của UBND xã" in " ".join(layer.split()) and "HUBND" not in layer, layer
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert f"Title:           Giấy khai sinh số {NUMBER}" in info, info


def check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code):
    api = "/api/v1" + review.request.path.rsplit("/review", 1)[0]
    meta = testapp.get(api, headers=token_for("canbo")).json
    assert meta["signed_by"] == "canbo"
    signed = testapp.get(api + "/content", {"purpose": dossier_code, "v": "signed"},
                         headers=token_for("xuly2")).body
    report = signing.verify_pdf(signed, [settings["kho.trust_roots"]])
    assert report.ok and report.signatures[0].signer == "Nguyễn Thị Hoà", report.render_text()
    assert "B-T" in report.render_text()
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    verify = subprocess.run([sys.executable, "-m", "repository.cli", "verify", str(path), "--trust",
                             str(app_pki.root_cert)], cwd=ROOT, capture_output=True, text=True)
    assert verify.returncode == 0 and "VALID" in verify.stdout, verify.stdout + verify.stderr
    out = pdfsig(path, nss_for(app_pki, tmp_path / "nss"))
    assert "Signature is Valid" in out and "Certificate is Trusted" in out, out
    check_reviewed_text(signed, tmp_path)
    assert review_state(testapp, token_for, review) == "confirmed"
    return signed


def agent_call(agent, path, body=None):
    req = urllib.request.Request(agent.url + path, data=json.dumps(body).encode() if body else None,
                                 headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def session_url(review, which="session"):
    return review.html.select_one("#sign-agent")[f"data-{which}"].replace(ORIGIN, "")


def test_desk_token_through_the_agent(testapp, wsgi_app, settings, dossier_code, token_for, app_pki,
                                      tmp_path):
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    hook = review.html.select_one("#sign-agent")
    assert hook["data-mode"] == "desk" and hook["data-agent"] == "http://127.0.0.1:7391"
    assert "connect-src 'self' http://127.0.0.1:7391" in review.headers["Content-Security-Policy"]
    form = corrected(review.forms["review-form"])
    csrf = form["csrf_token"].value
    token = make_token(tmp_path / "hsm", app_pki.officer_p12, app_pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        hello = agent_call(agent, "/v1/certificate")
        # a review that does not validate: nothing prepared, nothing confirmed
        bad_review = dict(review_fields(form), issue_date="2022-02-31")
        invalid = testapp.post_json(session_url(review), {"certificate": hello["certificate"],
                                                          "chain": hello["chain"], "review": bad_review},
                                    headers={"X-CSRF-Token": csrf}, status=400).json
        assert invalid["error"] == "invalid" and "issue_date" in invalid["errors"]
        assert review_state(testapp, token_for, review) != "confirmed"
        prepared = testapp.post_json(session_url(review), {"certificate": hello["certificate"],
                                                           "chain": hello["chain"],
                                                           "review": review_fields(form)},
                                     headers={"X-CSRF-Token": csrf}, status=201).json
        assert prepared["owner"] == OWNER and prepared["certificate"]["subject"] == "Nguyễn Thị Hoà"
        assert review_state(testapp, token_for, review) != "confirmed"     # confirmed with its signature
        signature = agent_call(agent, "/v1/sign", {"to_be_signed": prepared["to_be_signed"],
                                                   "paper": prepared["paper"], "owner": prepared["owner"]})
        # a value that is not the token's is refused
        bad = testapp.post_json(session_url(review, "finish"), {"id": prepared["id"],
                                                     "signature": base64.b64encode(b"x" * 256).decode()},
                               headers={"X-CSRF-Token": csrf}, status=403).json
        assert bad["error"] == "certificate_refused"
        testapp.post_json(session_url(review, "finish"), {"id": prepared["id"], "signature": signature["signature"]},
                         headers={"X-CSRF-Token": csrf})
    log = "".join(agent.lines)
    assert f"ĐÃ KÝ giấy tờ «Giấy khai sinh» của chủ sở hữu {OWNER}, mã băm tài liệu sha256:{prepared['digest']}" \
        in log, log
    form["signed_at_desk"] = prepared["id"]
    # the form sent must be the review that was signed
    text = form["page_text_0"].value
    form["page_text_0"] = text + " thêm"
    changed = form.submit(status=400)
    assert "đã đổi sau khi ký" in changed.html.select_one("#sign-agent .field-error").text
    assert review_state(testapp, token_for, review) != "confirmed"
    form["page_text_0"] = text
    done = form.submit().follow()
    assert "Bản số hoá đã được ký số" in done.text
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)


def test_a_review_confirmed_without_the_token_is_signed_later(testapp, wsgi_app, settings, dossier_code,
                                                             token_for, app_pki, tmp_path):
    """No agent at the first press: the review is confirmed unsigned (its
    searchable copy carries the correction); the token signs that copy later."""
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    form = corrected(review.forms["review-form"])
    csrf = form["csrf_token"].value
    unsigned = form.submit().follow()
    assert "Chưa cấu hình khoá ký cho tài khoản canbo" in unsigned.text
    assert review_state(testapp, token_for, review) == "confirmed"
    token = make_token(tmp_path / "hsm", app_pki.officer_p12, app_pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        hello = agent_call(agent, "/v1/certificate")
        prepared = testapp.post_json(session_url(review), {"certificate": hello["certificate"],
                                                           "chain": hello["chain"]},
                                     headers={"X-CSRF-Token": csrf}, status=201).json
        assert prepared["paper"] == "Giấy khai sinh"
        signature = agent_call(agent, "/v1/sign", {"to_be_signed": prepared["to_be_signed"],
                                                   "paper": prepared["paper"], "owner": prepared["owner"]})
        testapp.post_json(session_url(review, "finish"), {"id": prepared["id"], "signature": signature["signature"]},
                          headers={"X-CSRF-Token": csrf})
    form["signed_at_desk"] = prepared["id"]
    assert "Bản số hoá đã được ký số" in form.submit().follow().text
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)


def test_a_desk_signature_prepared_before_another_confirmation_is_void(testapp, wsgi_app, settings, dossier_code,
                                                                      token_for, app_pki, tmp_path):
    """Signed at the token with one review, then confirmed without it (and
    another text): the token's copy, which carries the first review, is
    never attached afterwards."""
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    form = corrected(review.forms["review-form"])
    csrf = form["csrf_token"].value
    token = make_token(tmp_path / "hsm", app_pki.officer_p12, app_pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        hello = agent_call(agent, "/v1/certificate")
        prepared = testapp.post_json(session_url(review), {"certificate": hello["certificate"],
                                                           "chain": hello["chain"],
                                                           "review": review_fields(form)},
                                     headers={"X-CSRF-Token": csrf}, status=201).json
        signature = agent_call(agent, "/v1/sign", {"to_be_signed": prepared["to_be_signed"],
                                                   "paper": prepared["paper"], "owner": prepared["owner"]})
        testapp.post_json(session_url(review, "finish"), {"id": prepared["id"], "signature": signature["signature"]},
                          headers={"X-CSRF-Token": csrf})
    form["page_text_0"] = form["page_text_0"].value + " khác"
    form.submit().follow()                              # confirmed unsigned, with another text
    assert review_state(testapp, token_for, review) == "confirmed"
    form["signed_at_desk"] = prepared["id"]
    again = form.submit(status=400)
    assert again.html.select_one("#sign-agent .field-error") is not None
    paper = testapp.get("/api/v1" + review.request.path.rsplit("/review", 1)[0], headers=token_for("canbo")).json
    assert not paper["signatures"] and not paper["signed_by"]


def test_desk_token_of_another_person_is_refused(testapp, wsgi_app, settings, dossier_code, app_pki,
                                                 tmp_path, token_for):
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    csrf = review.forms["review-form"]["csrf_token"].value
    token = make_token(tmp_path / "hsm", app_pki.postal_p12, app_pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        hello = agent_call(agent, "/v1/certificate")
    # nothing registered for canbo yet
    refused = testapp.post_json(session_url(review), {"certificate": hello["certificate"]},
                                headers={"X-CSRF-Token": csrf}, status=403).json
    assert "chưa đăng ký chứng thư số" in refused["message"]
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    refused = testapp.post_json(session_url(review), {"certificate": hello["certificate"]},
                                headers={"X-CSRF-Token": csrf}, status=403).json
    assert refused["error"] == "certificate_refused"
    assert refused["message"] == ("Chứng thư số trên thiết bị ký là của «Trần Văn Đức», không phải chứng thư "
                                  "số đã đăng ký của tài khoản canbo: không ký")
    # confirming with no desk signature made signs nothing
    form = review.forms["review-form"]
    form["signed_at_desk"] = "made-up"
    assert form.submit(status=400).html.select_one("#sign-agent .field-error")


@pytest.mark.parametrize("credential", ["hoa-1", "duc-1"])
def test_remote_csc_signing(credential, csc, testapp, wsgi_app, settings, dossier_code, token_for, app_pki,
                            tmp_path):
    token_file = tmp_path / "csc-token.txt"
    token_file.write_text("kho-client\n")
    # the account names its remote signing service (the app reads its settings per request)
    wsgi_app.registry.settings["kho.signer.canbo"] = f"csc {csc.url} {credential} {token_file}"
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    assert review.html.select_one("#sign-agent")["data-mode"] == "remote"
    pin = "2468" if credential == "hoa-1" else "1357"
    form = corrected(review.forms["review-form"])
    form["csc_pin"], form["csc_otp"] = pin, "000000"
    page = form.submit(status=400)
    message = page.html.select_one("#sign-agent .field-error").text
    assert review_state(testapp, token_for, review) != "confirmed"
    form = page.forms["review-form"]
    assert "HUBND" not in form["page_text_0"].value      # the officer's correction is kept on the page
    form["csc_pin"], form["csc_otp"] = pin, csc.send_otp(credential)
    if credential == "duc-1":      # the service's credential is another person's: refused before signing
        assert message == ("Chứng thư số trên thiết bị ký là của «Trần Văn Đức», không phải chứng thư số "
                           "đã đăng ký của tài khoản canbo: không ký")
        assert "không phải chứng thư số đã đăng ký" in \
            form.submit(status=400).html.select_one("#sign-agent .field-error").text
        assert csc.signed == [] and review_state(testapp, token_for, review) != "confirmed"
        return
    # a wrong OTP: one Vietnamese sentence, nothing confirmed
    assert message == "Mã OTP không đúng hoặc đã hết hạn. Hãy lấy mã OTP mới từ dịch vụ ký số rồi nhập lại."
    assert_vietnamese(page, "the review page after a wrong OTP")
    # a review that does not validate: the OTP is not spent, nothing is signed
    issue_date = form["issue_date"].value
    form["issue_date"] = "2022-02-31"
    invalid = form.submit(status=400)
    assert invalid.html.select_one(".field-error") and csc.signed == []
    form = invalid.forms["review-form"]
    form["issue_date"] = issue_date
    # the service out of reach: a Vietnamese sentence, the transport's own words apart
    settings_now = wsgi_app.registry.settings
    settings_now["kho.signer.canbo"] = f"csc http://127.0.0.1:9 {credential} {token_file}"
    form["csc_pin"], form["csc_otp"] = pin, "123456"
    away = form.submit(status=400)
    assert away.html.select_one("#sign-agent .field-error").text == \
        "Không kết nối được dịch vụ ký số từ xa. Hãy thử lại sau ít phút."
    assert away.html.select_one("#sign-agent .signing-detail").text.startswith("Chi tiết từ dịch vụ: ")
    settings_now["kho.signer.canbo"] = f"csc {csc.url} {credential} {token_file}"
    form = away.forms["review-form"]
    form["csc_pin"], form["csc_otp"] = pin, csc.send_otp(credential)
    assert "Bản số hoá đã được ký số" in form.submit().follow().text
    assert len(csc.signed) == 1
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)


@pytest.mark.parametrize("signer_spec", ["p12 {base}/pki/officer.p12 {base}/pki/passphrase.txt",
                                         "p12 {base}/pki/postal.p12 {base}/pki/passphrase.txt"])
def test_server_key(signer_spec, testapp, wsgi_app, settings, dossier_code, token_for, app_pki, tmp_path):
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    assert review.html.select_one("#sign-agent")["data-mode"] == "server"
    form = corrected(review.forms["review-form"])
    if "postal" in signer_spec:    # refused before anything is confirmed
        page = form.submit(status=400)
        assert_vietnamese(page, "the review page after a refused server key")
        refused = page.html.select_one("#sign-agent .field-error").text
        assert "không phải chứng thư số đã đăng ký của tài khoản canbo" in refused
        assert "chưa được xác nhận" in refused and " / " not in refused
        api = "/api/v1" + review.request.path.rsplit("/review", 1)[0]
        meta = testapp.get(api, headers=token_for("canbo")).json
        assert meta["signed_by"] is None and meta["review_state"] != "confirmed"
        return
    done = form.submit().follow()
    assert "Bản số hoá đã được ký số" in done.text
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)
