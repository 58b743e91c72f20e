"""A desk officer logs in, opens a warehouse, uploads a PDF and sees it listed."""
import os

import pytest

from ..files import pdf_bytes
from .conftest import wait_true

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

OWNER = "001090012345"
SHOTS = os.environ.get("KHO_SCREENSHOTS")   # set to a folder to keep screenshots


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def test_officer_uploads_a_pdf_and_sees_it_listed(open_dossier, page, live_server, tmp_path):
    scan = tmp_path / "giay-khai-sinh.pdf"
    scan.write_bytes(pdf_bytes(pages=2, text="GIẤY KHAI SINH"))

    page.goto(live_server + "/")
    page.fill("input[name=username]", "canbo")
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/desk")
    assert page.locator("h1").inner_text() == "Tiếp nhận: mở kho dữ liệu"

    page.fill("#open-form input[name=id]", OWNER)
    page.click("#open-form button[type=submit]")
    page.click("#open-warehouse")
    page.wait_for_url(f"**/subjects/{OWNER}/")
    assert "Nguyễn Văn An" in page.locator("h1").inner_text()
    assert page.locator("table.documents").count() == 0

    page.click("text=Thêm giấy tờ")
    page.set_input_files("input[name=file]", str(scan))
    page.select_option("select[name=type_code]", "GKS")
    page.fill("input[name=number]", "15/2020")
    page.fill("input[name=issuer]", "UBND phường Cốc Lếu")
    page.fill("input[name=issue_date]", "2020-03-15")
    page.select_option("select[name=dossier_code]", open_dossier)
    shot(page, "upload-form")
    page.click("#upload-form button[type=submit]")
    # a 75 dpi scan: the officer is warned, accepts it and chooses the file again
    assert "dưới 200 dpi" in page.locator("#quality-warning").inner_text()
    page.set_input_files("input[name=file]", str(scan))
    page.check("input[name=accept_quality]")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(f"**/subjects/{OWNER}/documents/*/")     # the upload lands on the paper's page
    page.goto(f"{live_server}/subjects/{OWNER}/")

    rows = page.locator("table.documents tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "Giấy khai sinh" in row and "15/2020" in row and "15/03/2020" in row and "Còn hiệu lực" in row
    shot(page, "warehouse")

    page.click("table.documents a")
    page.select_option("#purpose-form select[name=purpose]", open_dossier)
    page.click("#purpose-form button[type=submit]")
    previews = page.locator(".previews img")
    assert previews.count() == 2
    previews.first.wait_for()
    wait_true(page, "document.querySelector('.previews img').naturalWidth > 0")
    shot(page, "document")


def test_wrong_file_gets_a_vietnamese_message(page, live_server, tmp_path):
    note = tmp_path / "ghi-chu.pdf"
    note.write_bytes(b"this is not a pdf")
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "buudien")
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server}/subjects/{OWNER}/upload")
    page.set_input_files("input[name=file]", str(note))
    page.select_option("select[name=type_code]", "CCCD")
    page.click("#upload-form button[type=submit]")
    assert "Chỉ nhận PDF, PNG, JPEG hoặc TIFF" in page.locator(".field-error").first.inner_text()
