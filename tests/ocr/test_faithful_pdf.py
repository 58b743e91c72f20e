"""The searchable PDF is faithful to the scan (its page sizes, 100 % scale)
and, once reviewed, to the text the officer confirmed (issue 13)."""
import io
import subprocess

import pikepdf
import pytest
from PIL import Image

import ocr
from ocr.hocr import place_words
from ocr.result import Word
from tests.ocr import scans
from tests.ocr.support import needs_tesseract

A4_PX = (2480, 3508)           # A4 at 300 dpi
A4_PT = (595.28, 841.89)


def a4_scan(skew=1.9, quarter=0, dpi=300, lines=scans.PAPER_LINES[:6]):
    text = scans.render_page(lines=lines)
    page = Image.new("RGB", A4_PX, (250, 250, 247))
    page.paste(text, (0, 0))
    page = page.rotate(skew, expand=False, fillcolor=(250, 250, 247), resample=Image.BICUBIC)
    if quarter:
        page = page.rotate(quarter, expand=True)
    if dpi != 300:
        page = page.resize((round(page.width * dpi / 300), round(page.height * dpi / 300)))
    buf = io.BytesIO()
    page.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def pdfinfo(path):
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True,
                         check=True, text=True).stdout
    sizes = [tuple(float(v) for v in line.split(":", 1)[1].split("pts")[0].split(" x "))
             for line in out.splitlines() if line.startswith("Page") and "size:" in line]
    return out, sizes


@needs_tesseract
@pytest.mark.parametrize("quarter, dpi", [(0, 300), (90, 300), (0, 200)])
def test_an_a4_scan_stays_a4(tmp_path, quarter, dpi):
    """Deskewed, turned upright or resampled, the page is the paper's size."""
    result = ocr.recognize(a4_scan(quarter=quarter, dpi=dpi), workers=1,
                           title="Giấy khai sinh số 123/QĐ-UBND", author="Bộ phận một cửa")
    path = tmp_path / "out.pdf"
    path.write_bytes(result.searchable_pdf)
    info, sizes = pdfinfo(path)
    (w, h), = sizes
    assert abs(w - A4_PT[0]) <= 1 and abs(h - A4_PT[1]) <= 1, info
    assert "Title:           Giấy khai sinh số 123/QĐ-UBND" in info
    assert "Author:          Bộ phận một cửa" in info
    assert "Producer:        Kho" in info
    with pikepdf.open(path) as pdf, pdf.open_metadata() as meta:
        assert meta["dc:title"] == "Giấy khai sinh số 123/QĐ-UBND"
        assert meta["pdf:Producer"] == "Kho"
        assert "pdfaid:part" not in meta


def test_a_corrected_word_keeps_its_box():
    words = [Word("HUBND", (10, 10, 60, 30), 40), Word("XÃ", (70, 10, 90, 30), 90),
             Word("Số:", (10, 50, 40, 70), 90), Word("12", (50, 50, 70, 70), 90)]
    lines = place_words("UBND XÃ\nSố: 12", words, (200, 100))
    assert lines == [[("UBND", (10, 10, 60, 30)), ("XÃ", (70, 10, 90, 30))],
                     [("Số:", (10, 50, 40, 70)), ("12", (50, 50, 70, 70))]]


def test_words_split_or_added_are_placed_beside_their_neighbours():
    words = [Word("UBNDXÃ", (10, 10, 90, 30), 40), Word("Số:", (10, 50, 40, 70), 90),
             Word("12", (50, 50, 70, 70), 90)]
    lines = place_words("UBND XÃ\nSố: 12 ngày", words, (200, 100))
    (u, ubox), (x, xbox) = lines[0]
    assert (u, x) == ("UBND", "XÃ")
    assert 10 <= ubox[0] < ubox[2] <= xbox[0] < xbox[2] <= 90 and ubox[1] == 10
    assert lines[1][:2] == [("Số:", (10, 50, 40, 70)), ("12", (50, 50, 70, 70))]
    word, box = lines[1][2]
    assert word == "ngày" and box[0] > 70 and box[1] == 50 and box[2] <= 200


def test_text_with_no_recognised_word_is_still_laid_out():
    lines = place_words("GIẤY KHAI SINH", [], (2480, 3508))
    assert [w for w, _ in lines[0]] == ["GIẤY", "KHAI", "SINH"]
    assert all(0 <= b[0] < b[2] <= 2480 for _, b in lines[0])


@needs_tesseract
def test_the_confirmed_text_replaces_the_ocr_layer(tmp_path):
    result = ocr.recognize(a4_scan(), workers=1)
    page = result.pages[0]
    assert "UBND" in page.text
    confirmed = page.text.replace("UBND", "UBNDX", 1)
    size = (page.width, page.height)
    pdf = ocr.replace_text_layer(result.searchable_pdf,
                                 [(place_words(confirmed, page.words, size), size)],
                                 title="Giấy khai sinh số 1", author="Bộ phận một cửa")
    path = tmp_path / "confirmed.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert "UBNDX" in text
    info, sizes = pdfinfo(path)
    assert abs(sizes[0][0] - A4_PT[0]) <= 1 and "Title:           Giấy khai sinh số 1" in info
    # the corrected word lies where the recognised one was
    xhtml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                           check=True).stdout.decode()
    old = next(w for w in page.words if "UBND" in w.text)
    import re
    m = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">[^<]*UBNDX<', xhtml)
    scale = 72 / page.dpi
    assert abs(float(m.group(1)) - old.bbox[0] * scale) < 2
    assert abs(float(m.group(4)) - old.bbox[3] * scale) < 3
