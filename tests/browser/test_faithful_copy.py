"""Issue 13 in the browser: a rotated A4 scan at 300 dpi is uploaded, the
officer zooms into the review page, corrects a misprinted word ("HUBND" ->
"UBND"), confirms and signs; the signed copy keeps the A4 page (pdfinfo,
within 1 pt) and carries the confirmed text (pdftotext); the verify page
leads with its verdict. Screenshots go to $KHO_SHOTS (or /tmp)."""
import io
import os
import subprocess

import pytest
from PIL import Image

from ..ocr import heldout
from .conftest import wait_true

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]
OWNER = "001090012345"
SHOTS = os.environ.get("KHO_SHOTS") or "/tmp"
A4_PT = (595.28, 841.89)

PAPER = heldout.HeldOut(
    "hubnd", ("UỶ BAN NHÂN DÂN", "XÃ YÊN BÌNH", "Số: 123/QĐ-UBND"),
    heldout.MOTTO + ("Yên Bình, ngày 21 tháng 7 năm 2022",),
    ("GIẤY KHAI SINH", "Cấp cho: NGUYỄN THỊ HỒNG NHUNG theo đề nghị của HUBND xã",
     "Ngày, tháng, năm sinh: 01/02/2022", "Nơi sinh: Trạm Y tế xã Yên Bình",
     "Số định danh cá nhân: 001090012345"),
    "rot90", "GKS", "123/QĐ-UBND", None, "UBND xã Yên Bình")


@pytest.fixture
def settings(settings):
    """Words below 95 % confidence are marked, so that the page shows boxes."""
    return dict(settings, **{"kho.ocr.review_threshold": "95"})


def rotated_a4_scan():
    """The paper on an A4 sheet at 300 dpi, fed sideways and a little askew."""
    sheet = Image.new("RGB", (2480, 3508), (250, 250, 247))
    sheet.paste(heldout.render(PAPER), (0, 0))
    sheet = sheet.rotate(1.5, resample=Image.BICUBIC, fillcolor=(250, 250, 247))
    sheet = sheet.transpose(Image.ROTATE_90)               # landscape file: 3508 x 2480
    out = io.BytesIO()
    sheet.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def page_sizes(path):
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return out, [tuple(float(v) for v in line.split(":", 1)[1].split("pts")[0].split(" x "))
                 for line in out.splitlines() if line.startswith("Page") and "size:" in line]


def log_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "matkhau-demo")
    page.click("#login-form button[type=submit]")


def test_a_rotated_a4_scan_is_signed_faithfully(open_dossier, page, live_server_with_ocr, tmp_path):
    base = live_server_with_ocr
    scan = tmp_path / "giay-khai-sinh.png"
    scan.write_bytes(rotated_a4_scan())
    log_in(page, base, "canbo")
    page.goto(f"{base}/subjects/{OWNER}/upload")
    page.set_input_files("input[name=file]", str(scan))
    page.select_option("select[name=type_code]", "GKS")
    page.select_option("select[name=provenance]", "digitized")
    page.select_option("select[name=dossier_code]", open_dossier)
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(f"**/subjects/{OWNER}/documents/*/")          # the paper's page, not the list
    paper_url = page.url
    page.wait_for_selector("text=Soát xét văn bản", timeout=120_000)
    page.click("text=Soát xét văn bản")
    wait_true(page, "document.querySelector('.page-image img').naturalWidth > 0", timeout=30_000)
    text = page.input_value("textarea[name=page_text_0]")
    assert "HUBND" in text, text
    assert page.input_value("input[name=issuer]") == "UBND xã Yên Bình"

    # zoom: the image grows, the unsure words' boxes stay on their words
    boxes = page.locator(".page-image .lowconf")
    assert boxes.count() >= 1                                       # some words are marked

    def where(box, img):
        return ((box["x"] - img["x"]) / img["width"], (box["y"] - img["y"]) / img["height"])
    before = page.locator(".page-image img").bounding_box()
    at_first = where(boxes.first.bounding_box(), before)
    page.click("[data-zoom=in]")
    page.click("[data-zoom=in]")
    after = page.locator(".page-image img").bounding_box()
    assert after["width"] > 1.9 * before["width"]
    zoomed = where(boxes.first.bounding_box(), after)               # the box stays on its word
    assert abs(zoomed[0] - at_first[0]) < 0.005 and abs(zoomed[1] - at_first[1]) < 0.005
    page.locator(".word-link").first.click()                        # an unsure word: shown zoomed
    page.locator(".page-viewport").first.scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(SHOTS, "kho-review-zoomed.png"))
    page.click("[data-zoom=fit]")
    page.screenshot(path=os.path.join(SHOTS, "kho-review.png"), full_page=True)

    page.fill("textarea[name=page_text_0]", text.replace("HUBND", "UBND"))
    page.click("#review-form button[type=submit]")
    page.wait_for_url(paper_url)
    assert "Bản số hoá đã được ký số" in page.locator(".flash").first.inner_text()
    assert "Xác thực và nguyên vẹn" in page.locator("#signatures").inner_text()

    if page.locator("#purpose-form").count():          # reading the paper again needs a purpose
        page.select_option("#purpose-form select[name=purpose]", open_dossier)
        page.click("#purpose-form button[type=submit]")
    link = page.locator("a", has_text="Tải bản số hoá đã ký")
    signed = page.request.get(link.first.get_attribute("href"))
    assert signed.ok and signed.body()[:5] == b"%PDF-"
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.body())

    info, sizes = page_sizes(path)
    (w, h), = sizes
    assert abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1, info      # upright A4, 100 % scale
    assert "Title:           Giấy khai sinh" in info and "Producer:        Kho" in info
    layer = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "UBND xã" in layer and "HUBND" not in layer, layer
    assert subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).returncode == 0

    page.goto(f"{base}/subjects/{OWNER}/")
    states = page.locator("table.documents .progress-states").first.inner_text()
    assert "Đã soát xét" in states and "Đã ký số" in states, states
    page.screenshot(path=os.path.join(SHOTS, "kho-warehouse.png"), full_page=True)

    page.goto(base + "/verify")
    page.set_input_files("#verify-form input[name=file]", str(path))
    page.click("#verify-form button[type=submit]")
    verdict = page.locator(".signatures .verdict").inner_text()
    assert verdict.startswith("Xác thực và nguyên vẹn"), verdict
    page.screenshot(path=os.path.join(SHOTS, "kho-verify.png"), full_page=True)

    changed = bytearray(path.read_bytes())
    changed[len(changed) // 3] ^= 1
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(changed))
    page.set_input_files("#verify-form input[name=file]", str(altered))
    page.click("#verify-form button[type=submit]")
    assert page.locator(".signatures .verdict").inner_text().startswith("Đã bị thay đổi sau khi ký")
    page.screenshot(path=os.path.join(SHOTS, "kho-verify-changed.png"), full_page=True)
