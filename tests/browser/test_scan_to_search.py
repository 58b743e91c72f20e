"""A desk scan uploaded in the browser: its OCR progress shows, the page turns
to 'recognised' by itself, the review page confirms and signs it, and the
search page finds it by a phrase from its text, with and without diacritics."""
import io

import pytest

from ..ocr.scans import render_official_header_page
from .test_desk_upload import shot
from .conftest import wait_true

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]
OWNER = "001090012345"


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")


def test_scan_uploaded_in_the_browser_becomes_searchable(open_dossier, page, live_server_with_ocr, tmp_path):
    base = live_server_with_ocr
    scan = tmp_path / "giay-khai-sinh.png"
    buffer = io.BytesIO()
    render_official_header_page(dpi=300).save(buffer, "PNG", dpi=(300, 300))
    scan.write_bytes(buffer.getvalue())

    log_in(page, base, "canbo")
    page.goto(f"{base}/subjects/{OWNER}/upload")
    page.set_input_files("input[name=file]", str(scan))
    page.select_option("select[name=type_code]", "GKS")
    page.select_option("select[name=provenance]", "digitized")
    page.select_option("select[name=dossier_code]", open_dossier)
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(f"**/subjects/{OWNER}/documents/*/")     # the upload lands on the paper's page

    ocr = page.locator("#ocr")
    assert ocr.locator("progress").count() == 1 or "Đã nhận dạng" in ocr.inner_text()
    shot(page, "ocr-progress")
    page.wait_for_selector("text=Soát xét văn bản", timeout=120_000)   # the page reloads when the job ends
    page.click("text=Soát xét văn bản")
    wait_true(page, "document.querySelector('.page-image img').naturalWidth > 0", timeout=30_000)
    assert "GIẤY KHAI SINH" in page.input_value("textarea[name=page_text_0]")
    assert page.input_value("input[name=number]") == "123/QĐ-UBND"
    shot(page, "review")
    page.click("#review-form button[type=submit]")
    assert "Bản số hoá đã được ký số" in page.locator(".flash").first.inner_text()
    assert "Xác thực và nguyên vẹn" in page.locator("#signatures").inner_text()

    log_in(page, base, "congdan")
    for query in ('"ngày 21 tháng 7 năm 2022"', '"ngay 21 thang 7 nam 2022"'):
        page.goto(f"{base}/search")
        page.fill("#search-form input[name=q]", query)
        page.click("#search-form button[type=submit]")
        assert "1 giấy tờ tìm thấy" in page.locator(".results").inner_text(), query
        assert page.locator(".hit .snippet mark").count() >= 1
    shot(page, "search")
    page.click(".hit h3 a")
    assert page.locator(".previews .match").count() >= 1    # the phrase boxed on the page image
    shot(page, "highlight")
