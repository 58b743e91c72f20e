"""OCR in the app, with real tesseract: upload returns at once, a worker
recognises the scan, the officer reviews and confirms, the copy is signed."""
import io
import os
import socket
import subprocess
import sys

import pytest
import signing
import transaction

from repository.db import app_root
from repository.ocr_jobs import DONE, FAILED, QUEUED, OcrWorker, job_queue

from ..conftest import write_ini
from ..ocr.scans import render_official_header_page
from .openapi_check import validate

pytestmark = [pytest.mark.slow]
OWNER = "001090012345"


def scan_png():
    out = io.BytesIO()
    render_official_header_page(dpi=300).save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def run_worker(wsgi_app, settings, **overrides):
    worker = OcrWorker(wsgi_app.registry._zodb_databases[""], dict(settings, **overrides))
    try:
        ran = 0
        while worker.run_one():
            ran += 1
        return ran
    finally:
        worker.close()


def upload_scan(app, dossier_code):
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("giay-khai-sinh.png", scan_png(), "image/png")
    form["type_code"] = "GKS"
    form["provenance"] = "digitized"
    form["dossier_code"] = dossier_code
    return form.submit().follow()          # the paper's page


def test_scan_is_recognised_reviewed_and_signed(as_user, wsgi_app, settings, token_for, dossier_code):
    app = as_user("canbo")
    page = upload_scan(app, dossier_code)
    assert "Đang nhận dạng văn bản" in page.text and "<progress" in page.text
    doc_url = page.request.path
    api_url = "/api/v1" + doc_url.rstrip("/")
    status = validate(app.get(api_url + "/ocr")).json
    assert status["state"] == QUEUED

    assert run_worker(wsgi_app, settings) == 1
    status = validate(app.get(api_url + "/ocr")).json
    assert (status["state"], status["pages_done"], status["pages_total"]) == (DONE, 1, 1)

    page = app.get(doc_url)
    assert "Đã nhận dạng" in page.text
    review = page.forms["review-open-form"].submit().follow()     # a POST opens the scan (logged)
    form = review.forms["review-form"]
    assert "GIẤY KHAI SINH" in form["page_text_0"].value
    assert form["number"].value == "123/QĐ-UBND"
    assert form["issue_date"].value == "21/07/2022"
    assert "002322001234" in review.text          # the paper names another person's id: flagged
    assert 'class="page-image"' in review.text
    image = review.html.select_one(".page-image img")["src"]
    assert app.get(image).content_type == "image/png"

    done = form.submit().follow()
    assert "Đã xác nhận kết quả số hoá. Bản số hoá đã được ký số." in done.text
    assert "Xác thực và nguyên vẹn" in done.text and "Nguyễn Thị Hoà" in done.text
    meta = validate(app.get(api_url, headers=token_for("canbo"))).json
    assert meta["number"] == "123/QĐ-UBND" and meta["issue_date"] == "2022-07-21"
    assert meta["extraction"] == "ocr" and meta["signed_by"] == "canbo"
    text = validate(app.get(api_url + "/text", {"purpose": dossier_code},
                            headers=token_for("xuly2"))).json
    assert "Yên Bình" in text["text"]
    signed = validate(app.get(api_url + "/content", {"purpose": dossier_code, "v": "signed"},
                              headers=token_for("xuly2")))
    assert signed.content_type == "application/pdf"
    report = signing.verify_pdf(signed.body, [settings["kho.trust_roots"]])
    assert report.ok and report.signatures[0].signer == "Nguyễn Thị Hoà"
    assert "Tải bản số hoá đã ký số" in app.get(doc_url).text


def test_text_corrected_by_hand_is_recorded_as_manual(as_user, wsgi_app, settings, token_for,
                                                     open_root, dossier_code):
    app = as_user("canbo")
    doc_url = upload_scan(app, dossier_code).request.path
    run_worker(wsgi_app, settings)
    form = app.get(doc_url).forms["review-open-form"].submit().follow().forms["review-form"]
    form["page_text_0"] = form["page_text_0"].value + "\nGhi chú của cán bộ"
    form.submit()
    meta = app.get("/api/v1" + doc_url.rstrip("/"), headers=token_for("canbo")).json
    assert meta["extraction"] == "manual"
    # the corrected page text is stored, not only the joined text
    root = open_root()
    root._p_jar.cacheMinimize()
    parts = doc_url.strip("/").split("/")           # subjects/OWNER/documents/NAME
    ocr = root.subjects[parts[1]].documents[parts[3]].ocr
    assert ocr.pages[0]["text"].endswith("Ghi chú của cán bộ")
    assert ocr.text.endswith("Ghi chú của cán bộ")


def test_failed_job_keeps_the_original_and_can_be_retried(as_user, wsgi_app, settings, token_for, open_root,
                                                          dossier_code):
    app = as_user("canbo")
    page = upload_scan(app, dossier_code)
    doc_url = page.request.path
    run_worker(wsgi_app, settings, **{"kho.ocr.languages": "klingon"})
    page = app.get(doc_url)
    assert "Nhận dạng thất bại" in page.text and "klingon" in page.text
    root = open_root()
    document = [d for d in root.subjects[OWNER].documents.values()][0]
    assert job_queue(root).jobs[document.ocr_job].state == FAILED
    with document.original.open("r") as f:
        assert f.read() == scan_png()
    page.forms[[k for k in page.forms if "retry-ocr" in (page.forms[k].action or "")][0]].submit()
    assert run_worker(wsgi_app, settings) == 1
    assert app.get("/api/v1" + doc_url.rstrip("/") + "/ocr").json["state"] == DONE


def test_a_job_left_running_by_a_dead_worker_resumes(testapp, wsgi_app, settings, token_for):
    headers = token_for("canbo")
    testapp.post(f"/api/v1/subjects/{OWNER}/documents", {"type_code": "GKS"},
                 upload_files=[("file", "a.png", scan_png())], headers=headers, status=201)
    tm = transaction.TransactionManager()
    conn = wsgi_app.registry._zodb_databases[""].open(tm)
    with tm:                                  # a worker claims the job, then its process dies
        job = job_queue(app_root(conn)).claim(f"{socket.gethostname()}:999999999")
        job_id = job.job_id
    conn.close()
    worker = OcrWorker(wsgi_app.registry._zodb_databases[""], settings)
    try:
        assert worker.requeue_abandoned() == [job_id]
        assert worker.run_one()
    finally:
        worker.close()
    conn = wsgi_app.registry._zodb_databases[""].open(tm)
    assert job_queue(app_root(conn)).jobs[job_id].state == DONE
    assert job_queue(app_root(conn)).jobs[job_id].attempts == 2
    conn.close()


def test_kho_import_reports_refusals_then_kho_worker_runs_the_jobs(settings, tmp_path):
    folder = tmp_path / "backlog"
    (folder / "2021").mkdir(parents=True)
    (folder / "2021" / "ks-01.png").write_bytes(scan_png())
    (folder / "ks-02.pdf").write_bytes(b"not really a pdf")
    (folder / "notes.txt").write_text("ignored: not a scan")
    kho = [sys.executable, "-m", "repository.cli", "-c", write_ini(tmp_path, settings)]
    done = subprocess.run(kho + ["import", str(folder), "--owner", OWNER, "--type", "GKS"],
                          capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "1 imported, OCR queued; 1 refused" in done.stdout
    assert "ks-02.pdf" in done.stdout and "Chỉ nhận PDF" in done.stdout
    assert "[" in done.stderr and "1/2" in done.stderr      # the progress bar
    worker = subprocess.run(kho + ["worker", "--once"], capture_output=True, text=True,
                            env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    assert worker.returncode == 0 and "1 OCR job(s) run" in worker.stdout, worker.stderr
    missing = subprocess.run(kho + ["import", str(folder / "2021"), "--owner", "079203999999", "--type", "GKS"],
                             capture_output=True, text=True)
    assert missing.returncode == 3 and "Không có kho" in missing.stdout
