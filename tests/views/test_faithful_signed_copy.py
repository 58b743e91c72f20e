"""The signed copy is faithful (issue 13), without a browser: a rotated A4
scan is recognised, a word corrected at review, and the signed PDF has the
A4 page (pdfinfo) and the confirmed text (pdftotext), with its title, author
and producer; the paper records the scan's quality."""
import subprocess

import pytest

from repository.signatures import SIGNED

from ..browser.test_faithful_copy import A4_PT, page_sizes, rotated_a4_scan
from .test_ocr_flow import run_worker

pytestmark = [pytest.mark.slow]
OWNER = "001090012345"


def test_the_correction_reaches_the_signed_pdf(as_user, wsgi_app, settings, open_root, dossier_code, tmp_path):
    app = as_user("canbo")
    form = app.get(f"/subjects/{OWNER}/upload").forms["upload-form"]
    form["file"] = ("giay-khai-sinh.png", rotated_a4_scan(), "image/png")
    form["type_code"] = "GKS"
    form["provenance"] = "digitized"
    form["dossier_code"] = dossier_code
    page = form.submit().follow()
    assert page.request.path.startswith(f"/subjects/{OWNER}/documents/")     # the paper's page
    assert run_worker(wsgi_app, settings) == 1
    review = app.get(page.request.path).forms["review-open-form"].submit().follow()
    form = review.forms["review-form"]
    assert "HUBND" in form["page_text_0"].value
    form["page_text_0"] = form["page_text_0"].value.replace("HUBND", "UBND")
    form["number"] = "123/QĐ-UBND"
    form.submit().follow()

    doc_id = page.request.path.rstrip("/").rsplit("/", 1)[1]
    document = open_root().subjects[OWNER].documents[doc_id]
    assert document.scan_quality["pages"] == [{"page": 1, "dpi": 300, "colour": True}]
    assert document.scan_quality["warnings"] == []
    path = tmp_path / "signed.pdf"
    with document.derivatives[SIGNED].open("r") as f:
        path.write_bytes(f.read())
    info, sizes = page_sizes(path)
    (w, h), = sizes
    assert abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1, info
    assert "Title:           Giấy khai sinh số 123/QĐ-UBND" in info
    assert "Producer:        Kho" in info and "Author:" in info
    layer = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "đề nghị của UBND xã" in " ".join(layer.split()) and "HUBND" not in layer
    assert document.signature_report["ok"] and document.signature_report["verdict"] == "genuine"
