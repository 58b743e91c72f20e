"""The desk flow with the officer's own USB token, in the browser: canbo
uploads a scan, corrects a word at review ("HUBND" -> "UBND") and presses
"Xác nhận và ký số"; the review page's script sends the review with the
signing request, finds `kho sign-agent` on this computer (a SoftHSM2 token
with the officer's key), the agent signs, the server embeds; the signed copy
passes `kho verify` and pdfsig, carries the corrected word (pdftotext) and
the number typed at review (pdfinfo's title), and its stamp is top-left on
page 1 (what the signature adds to the rendered page). A token holding
another person's certificate is refused with a clear message, and without
an agent the page says how to start one."""
import os
import subprocess
import sys

import pytest
import signing

from repository.ocr_jobs import OcrWorker

from ..conftest import copy_template
from .test_faithful_copy import rotated_a4_scan
from ..signing.conftest import pdfsig
from ..signing.desk_agent import ROOT, AgentProcess, make_token
from .conftest import wait_true

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]
OWNER = "001090012345"
NUMBER = "123/QĐ-UBND"
SHOTS = os.environ.get("KHO_SHOTS")


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture
def app_pki(seeded_template):
    return signing.DevPki(seeded_template / "pki")


@pytest.fixture
def tsa(app_pki):
    with signing.DevTsaServer(app_pki.directory) as server:
        yield server


@pytest.fixture
def settings(seeded_template, tmp_path, tsa, app_pki):
    """No server key for canbo: the desk's token signs. canbo's registered
    certificate is the officer's, written before the app starts."""
    import transaction
    from repository.db import app_root, close_databases, open_databases
    from repository.signatures import register_certificate
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    values = copy_template(seeded_template, tmp_path)
    values.pop("kho.signer.canbo")
    values["kho.tsa_url"] = tsa.url
    cert = pkcs12.load_pkcs12(app_pki.officer_p12.read_bytes(), app_pki.passphrase.encode()).cert
    db = open_databases(values)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        register_certificate(app_root(conn), "canbo", cert.certificate.public_bytes(Encoding.DER), None)
    conn.close()
    close_databases(db)
    return values


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")


def reviewed_scan(page, base, wsgi_app, settings, open_dossier, tmp_path):
    """canbo uploads a scan for the dossier; OCR runs; the review page is open."""
    scan = tmp_path / "giay-khai-sinh.png"
    scan.write_bytes(rotated_a4_scan())          # its text says "HUBND"
    log_in(page, base, "canbo")
    page.goto(f"{base}/subjects/{OWNER}/upload")
    page.set_input_files("input[name=file]", str(scan))
    page.select_option("select[name=type_code]", "GKS")
    page.select_option("select[name=provenance]", "digitized")
    page.select_option("select[name=dossier_code]", open_dossier)
    page.click("#upload-form button[type=submit]")
    page.wait_for_load_state()
    if "/documents/" not in page.url:       # the warehouse's list, where the upload used to lead
        page.click("table.documents a")
    worker = OcrWorker(wsgi_app.registry._zodb_databases[""], settings)
    try:
        while worker.run_one():
            pass
    finally:
        worker.close()
    # the page reloads itself when its progress bar sees the OCR done (a
    # reload of ours raced with it: net::ERR_ABORTED, frame detached)
    page.wait_for_selector("text=Soát xét văn bản", timeout=60_000)
    page.click("text=Soát xét văn bản")
    wait_true(page, "document.querySelector('.page-image img').naturalWidth > 0", timeout=30_000)
    return page.url.rsplit("/review", 1)[0]


def signed_copy(wsgi_app, doc_url, variant="signed"):
    import transaction
    from repository.db import app_root
    conn = wsgi_app.registry._zodb_databases[""].open(transaction.TransactionManager())
    try:
        parts = doc_url.split("/subjects/", 1)[1].strip("/").split("/")
        document = app_root(conn).subjects[parts[0]].documents[parts[2]]
        with document.derivatives[variant].open("r") as f:
            return document.signed_by, f.read()
    finally:
        conn.close()


def correct_the_review(page):
    """The officer corrects the OCR's "HUBND" and types the paper's number."""
    text = page.input_value("textarea[name=page_text_0]")
    assert "HUBND" in text, text
    page.fill("textarea[name=page_text_0]", text.replace("HUBND", "UBND"))
    page.fill("input[name=number]", NUMBER)


def first_page(pdf, tmp_path, name):
    """Page 1 of pdf rendered at 50 dpi, in grey."""
    from PIL import Image
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-singlefile", "-gray", "-png", str(path),
                    str(tmp_path / name)], check=True)
    return Image.open(tmp_path / f"{name}.png")


def stamp_box(unsigned, signed, tmp_path):
    """Where the signature's stamp is on page 1, in fractions of the page
    (left, top, right, bottom): what the signed copy shows that its unsigned
    searchable copy does not."""
    from PIL import ImageChops
    before, after = first_page(unsigned, tmp_path, "unsigned"), first_page(signed, tmp_path, "signed")
    assert before.size == after.size
    changed = ImageChops.difference(before, after).point(lambda v: 255 if v > 40 else 0)
    box = changed.getbbox()
    assert box, "the signature shows nothing on page 1"
    w, h = after.size
    return box[0] / w, box[1] / h, box[2] / w, box[3] / h


def nss_for(pki, directory):
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "kho-root", "-t", "CT,C,C", "-i", str(pki.root_cert),
                    "-d", f"sql:{directory}"], check=True, capture_output=True)
    return directory


def test_officer_signs_with_the_usb_token_at_the_desk(open_dossier, page, live_server, wsgi_app, settings,
                                                      app_pki, tmp_path):
    token = make_token(tmp_path / "hsm", app_pki.officer_p12, app_pki.passphrase)
    with AgentProcess(token, live_server, tmp_path) as agent:
        wsgi_app.registry.settings["kho.sign_agent_url"] = agent.url    # the desk's agent port
        doc_url = reviewed_scan(page, live_server, wsgi_app, settings, open_dossier, tmp_path)
        wait_true(page, "document.getElementById('sign-agent').dataset.state === 'ready'")
        assert "Nguyễn Thị Hoà" in page.inner_text("#sign-agent .agent-status")
        correct_the_review(page)
        shot(page, "desk-token-review")
        page.click("#review-form button[type=submit]")
        page.wait_for_selector(".flash", timeout=60_000)
        assert "Bản số hoá đã được ký số" in page.locator(".flash").first.inner_text()
        assert "Xác thực và nguyên vẹn" in page.locator("#signatures").inner_text()
        shot(page, "desk-token-signed")
    log = "".join(agent.lines)
    assert f"ĐÃ KÝ giấy tờ «Giấy khai sinh» của chủ sở hữu {OWNER}, mã băm tài liệu sha256:" in log, log
    signed_by, pdf = signed_copy(wsgi_app, doc_url)
    assert signed_by == "canbo"
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    verify = subprocess.run([sys.executable, "-m", "repository.cli", "verify", str(path), "--trust",
                             str(app_pki.root_cert)], cwd=ROOT, capture_output=True, text=True)
    assert verify.returncode == 0 and "Nguyễn Thị Hoà" in verify.stdout, verify.stdout + verify.stderr
    assert "B-T" in verify.stdout
    out = pdfsig(path, nss_for(app_pki, tmp_path / "nss"))
    assert "Signature is Valid" in out and "Certificate is Trusted" in out, out
    # the signed copy carries the review: the corrected word, the number typed there
    layer = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "đề nghị của UBND xã" in " ".join(layer.split()) and "HUBND" not in layer, layer
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert f"Title:           Giấy khai sinh số {NUMBER}" in info, info
    # the stamp (name and time) is top-left on page 1
    left, top, right, bottom = stamp_box(signed_copy(wsgi_app, doc_url, "searchable")[1], pdf, tmp_path)
    assert right < 0.5 and bottom < 0.25, (left, top, right, bottom)
    if SHOTS:
        import shutil
        shutil.copy(tmp_path / "signed.png", os.path.join(SHOTS, "desk-token-page1.png"))


def test_a_token_with_another_persons_certificate_is_refused(open_dossier, page, live_server, wsgi_app,
                                                             settings, app_pki, tmp_path):
    token = make_token(tmp_path / "hsm", app_pki.postal_p12, app_pki.passphrase)
    with AgentProcess(token, live_server, tmp_path) as agent:
        wsgi_app.registry.settings["kho.sign_agent_url"] = agent.url
        doc_url = reviewed_scan(page, live_server, wsgi_app, settings, open_dossier, tmp_path)
        wait_true(page, "document.getElementById('sign-agent').dataset.state === 'ready'")
        page.click("#review-form button[type=submit]")
        wait_true(page, "document.getElementById('sign-agent').dataset.state === 'error'", timeout=30_000)
        message = page.inner_text("#sign-agent .agent-status")
        assert "Trần Văn Đức" in message and "không phải chứng thư số đã đăng ký của tài khoản canbo" in message
        assert page.url.endswith("/review")            # nothing confirmed, nothing signed
        shot(page, "desk-token-refused")
    assert "SIGNED" not in "".join(agent.lines)
    with pytest.raises(KeyError):
        signed_copy(wsgi_app, doc_url)


def test_without_an_agent_the_page_says_how_to_start_it(open_dossier, page, live_server, wsgi_app, settings,
                                                        tmp_path):
    wsgi_app.registry.settings["kho.sign_agent_url"] = "http://127.0.0.1:9"    # nothing listens there
    reviewed_scan(page, live_server, wsgi_app, settings, open_dossier, tmp_path)
    page.click("#review-form button[type=submit]")
    wait_true(page, "document.getElementById('sign-agent').dataset.state === 'error'")
    assert page.is_visible("#sign-agent .agent-help")
    assert f"kho sign-agent --origin {live_server}" in page.inner_text("#sign-agent .agent-help")
    assert page.url.endswith("/review")
    shot(page, "desk-token-no-agent")


def test_remote_signing_asks_for_the_pin_and_the_otp(open_dossier, page, live_server, wsgi_app, settings,
                                                     app_pki, tmp_path):
    from ..signing.csc_server import CscServer
    with CscServer(access_token="kho-client") as csc:
        csc.add_credential("hoa-1", app_pki.officer_p12, app_pki.passphrase, pin="2468")
        token_file = tmp_path / "csc-token.txt"
        token_file.write_text("kho-client\n")
        wsgi_app.registry.settings["kho.signer.canbo"] = f"csc {csc.url} hoa-1 {token_file}"
        doc_url = reviewed_scan(page, live_server, wsgi_app, settings, open_dossier, tmp_path)
        page.fill("input[name=csc_pin]", "2468")
        page.fill("input[name=csc_otp]", csc.send_otp("hoa-1"))
        shot(page, "remote-csc-review")
        page.click("#review-form button[type=submit]")
        page.wait_for_selector(".flash", timeout=60_000)
        assert "Bản số hoá đã được ký số" in page.locator(".flash").first.inner_text()
        assert len(csc.signed) == 1
    signed_by, pdf = signed_copy(wsgi_app, doc_url)
    assert signed_by == "canbo" and signing.verify_pdf(pdf, [app_pki.root_cert]).ok
