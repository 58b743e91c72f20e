"""The three ways a reviewed scan gets its digitizer's signature in the app,
each checked by pyhanko, `kho verify` and pdfsig, and each refusing a
certificate that is not the signed-in account's:

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

from ..conftest import copy_template, login
from ..ocr.scans import render_official_header_page
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
    import io
    testapp.reset()
    login(testapp, "canbo")
    form = testapp.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    out = io.BytesIO()
    render_official_header_page(dpi=200).save(out, "PNG", dpi=(200, 200))
    form["file"] = ("giay-khai-sinh.png", out.getvalue(), "image/png")
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
    csrf = review.forms["review-form"]["csrf_token"].value
    token = make_token(tmp_path / "hsm", app_pki.officer_p12, app_pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        hello = agent_call(agent, "/v1/certificate")
        prepared = testapp.post_json(session_url(review), {"certificate": hello["certificate"],
                                                           "chain": hello["chain"]},
                                     headers={"X-CSRF-Token": csrf}).json
        assert prepared["owner"] == OWNER and prepared["certificate"]["subject"] == "Nguyễn Thị Hoà"
        signature = agent_call(agent, "/v1/sign", {"to_be_signed": prepared["to_be_signed"],
                                                   "paper": prepared["paper"], "owner": prepared["owner"]})
        # a value that is not the token's is refused
        bad = testapp.post_json(session_url(review, "finish"), {"id": prepared["id"],
                                                     "signature": base64.b64encode(b"x" * 256).decode()},
                               headers={"X-CSRF-Token": csrf}, status=403).json
        assert bad["error"] == "certificate_refused"
        testapp.post_json(session_url(review, "finish"), {"id": prepared["id"], "signature": signature["signature"]},
                         headers={"X-CSRF-Token": csrf})
    assert f"document digest sha256:{prepared['digest']}" in "".join(agent.lines)
    form = review.forms["review-form"]
    form["signed_at_desk"] = prepared["id"]
    done = form.submit().follow()
    assert "Bản số hoá đã được ký số" in done.text
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)


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
    form = review.forms["review-form"]
    form["csc_pin"], form["csc_otp"] = pin, "000000"
    page = form.submit(status=400)
    message = page.html.select_one("#sign-agent .field-error").text
    form = page.forms["review-form"]
    form["csc_pin"], form["csc_otp"] = pin, csc.send_otp(credential)
    if credential == "duc-1":      # the service's credential is another person's: refused before signing
        assert message == ("Chứng thư số trên thiết bị ký là của «Trần Văn Đức», không phải chứng thư số "
                           "đã đăng ký của tài khoản canbo: không ký")
        assert "không phải chứng thư số đã đăng ký" in \
            form.submit(status=400).html.select_one("#sign-agent .field-error").text
        assert csc.signed == []
        return
    assert "Invalid OTP" in message and " / " not in message
    assert "Bản số hoá đã được ký số" in form.submit().follow().text
    assert len(csc.signed) == 1
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)


@pytest.mark.parametrize("signer_spec", ["p12 {base}/pki/officer.p12 {base}/pki/passphrase.txt",
                                         "p12 {base}/pki/postal.p12 {base}/pki/passphrase.txt"])
def test_server_key(signer_spec, testapp, wsgi_app, settings, dossier_code, token_for, app_pki, tmp_path):
    register(testapp, token_for, "canbo", app_pki.officer_p12, app_pki.passphrase)
    review = review_page(testapp, wsgi_app, settings, dossier_code)
    assert review.html.select_one("#sign-agent")["data-mode"] == "server"
    done = review.forms["review-form"].submit().follow()
    if "postal" in signer_spec:
        assert "không phải chứng thư số đã đăng ký của tài khoản canbo" in done.text
        api = "/api/v1" + review.request.path.rsplit("/review", 1)[0]
        assert testapp.get(api, headers=token_for("canbo")).json["signed_by"] is None
        return
    assert "Bản số hoá đã được ký số" in done.text
    check_signed(testapp, token_for, review, settings, app_pki, tmp_path, dossier_code)
