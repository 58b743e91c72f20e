"""Multi-page TIFF, PDFs with image pages and with a real text layer, the
searchable PDF's pages against the word boxes, bad input."""
import io
import struct
import subprocess
import zlib

import pikepdf
import pytest

import ocr
from ocr.hocr import parse_hocr, safe_parser
from tests.ocr import scans
from tests.ocr.support import needs_tesseract

SHORT = scans.PAPER_LINES[:6]


def short_page(kind="clean"):
    return scans.degraded(kind, lines=SHORT)


def short_truth():
    return scans.ground_truth(SHORT)


def text_layer_pdf():
    """A one-page PDF whose text is real (Helvetica, visible), no image."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    content = (b"BT /F1 14 Tf 72 760 Td (GIAY KHAI SINH So: 123/QD-UBND) Tj "
               b"0 -24 Td (Ho va ten: NGUYEN THI HONG NHUNG) Tj ET")
    page = pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(content)))
    pdf.pages.append(page)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def image_pdf(*images):
    buf = io.BytesIO()
    first, rest = images[0], list(images[1:])
    first.save(buf, "PDF", resolution=first.info.get("dpi", (300, 300))[0], save_all=True,
               append_images=rest)
    return buf.getvalue()


@needs_tesseract
def test_multipage_tiff_keeps_order_and_reports_progress(tmp_path):
    pages = [short_page("clean"), short_page("rot180").convert("L")]
    path = tmp_path / "two.tif"
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], dpi=(300, 300),
                  compression="tiff_deflate")
    calls = []
    result = ocr.recognize(path, workers=2, progress=lambda done, total: calls.append((done, total)))
    assert [p.index for p in result.pages] == [0, 1]
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    for page in result.pages:
        assert scans.cer(short_truth(), page.text) <= 0.02
    assert result.text.count("\f") == 1
    with pikepdf.open(io.BytesIO(result.searchable_pdf)) as pdf:
        assert len(pdf.pages) == 2
        # the colour scan stays colour, the grey one is stored grey
        spaces = [next(iter(p.Resources.XObject.values())).ColorSpace for p in pdf.pages]
        assert spaces == [pikepdf.Name.DeviceRGB, pikepdf.Name.DeviceGray]


@needs_tesseract
def test_pdf_text_layer_is_kept_and_image_page_is_recognised():
    text_pdf = pikepdf.open(io.BytesIO(text_layer_pdf()))
    scan_pdf = pikepdf.open(io.BytesIO(image_pdf(short_page("skew"))))
    text_pdf.pages.extend(scan_pdf.pages)
    buf = io.BytesIO()
    text_pdf.save(buf)
    result = ocr.recognize(buf.getvalue())
    first, second = result.pages
    assert first.source == "text-layer"
    assert first.text.startswith("GIAY KHAI SINH So: 123/QD-UBND")
    assert first.mean_confidence == 100.0
    assert {"NHUNG", "123/QD-UBND"} <= {w.text for w in first.words}
    assert "NHUNG" in parse_hocr(first.hocr)[2]
    assert (first.width, first.height) == (round(595 * 300 / 72), round(842 * 300 / 72))
    assert second.source == "ocr"
    assert scans.cer(short_truth(), second.text) <= 0.02
    with pikepdf.open(io.BytesIO(result.searchable_pdf)) as pdf:
        assert len(pdf.pages) == 2


@needs_tesseract
def test_searchable_pdf_page_is_the_image_the_boxes_refer_to(tmp_path):
    result = ocr.recognize(scans.image_bytes(short_page("skew")))
    page = result.pages[0]
    pdf_path = tmp_path / "out.pdf"
    pdf_path.write_bytes(result.searchable_pdf)
    with pikepdf.open(pdf_path) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert pdf.pdf_version >= "1.4"
        meta = pdf.open_metadata()
        assert "pdfaid:part" not in meta      # no PDF/A claim that nothing checks
        assert meta["pdf:Producer"] == "Kho"
        image = next(iter(pdf.pages[0].Resources.XObject.values()))
        assert (int(image.Width), int(image.Height)) == (page.width, page.height)
    assert round(box[2] * page.dpi / 72) == page.width
    assert round(box[3] * page.dpi / 72) == page.height
    # the invisible text, read back by poppler, lies where hOCR said
    from lxml import etree
    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"],
                           capture_output=True, check=True).stdout
    scale = page.dpi / 72
    pdf_words = {}
    for w in etree.fromstring(xhtml, safe_parser()).iter("{*}word"):
        pdf_words.setdefault(w.text, [float(w.get("xMin")) * scale, float(w.get("yMin")) * scale])
    word = next(w for w in page.words if w.text == "KHAI")
    x, y = pdf_words["KHAI"]
    assert abs(x - word.bbox[0]) < 15 and abs(y - word.bbox[1]) < 30


def test_text_file_named_pdf_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_text("this is not a scan\n")
    with pytest.raises(ocr.UnsupportedInput, match="not a PNG, JPEG, TIFF or PDF"):
        ocr.recognize(path)


def test_broken_pdf_is_corrupt():
    with pytest.raises(ocr.CorruptInput, match="PDF"):
        ocr.recognize(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")


def test_truncated_png_is_corrupt(tmp_path):
    data = scans.image_bytes(short_page())
    with pytest.raises(ocr.CorruptInput, match="truncated|decode"):
        ocr.recognize(data[: len(data) // 2])


def _png_header_only(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused():
    with pytest.raises(ocr.UnsupportedInput, match="too large"):
        ocr.recognize(_png_header_only(9000, 9000))


def test_missing_file_and_bad_languages(tmp_path):
    with pytest.raises(ocr.UnsupportedInput, match="cannot read"):
        ocr.recognize(tmp_path / "nothing.png")
    with pytest.raises(ValueError, match="language"):
        ocr.recognize(b"", languages="vie; rm -rf")


def test_scanner_pdf_image_is_taken_natively_else_rendered(tmp_path):
    from ocr import inputs
    page = scans.render_page(dpi=200, lines=SHORT)
    path = tmp_path / "scan.pdf"
    path.write_bytes(image_pdf(page))
    pixels, dpi = inputs._pdf_page_pixels(str(path), "scan.pdf", 0, 300, str(tmp_path))
    assert pixels.shape[:2] == (page.height, page.width) and abs(dpi - 200) < 0.5
    # a page turned by /Rotate is not a plain image any more: poppler renders it
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(path)
    pixels, dpi = inputs._pdf_page_pixels(str(path), "scan.pdf", 0, 300, str(tmp_path))
    assert dpi == 300
    assert abs(pixels.shape[0] - page.width * 1.5) < 3 and abs(pixels.shape[1] - page.height * 1.5) < 3


@needs_tesseract
def test_missing_language_data_is_a_clear_failure():
    with pytest.raises(ocr.OcrFailed, match="page 1: tesseract failed: .*xx"):
        ocr.recognize(scans.image_bytes(scans.render_page(dpi=150, lines=SHORT[:2])), languages="xx")
