"""The searchable PDF shows the colour scan (seal and ink kept) under
tesseract's invisible text, on the geometry the word boxes refer to; and
tesseract is driven through pytesseract."""
import io
import os
import shutil
import subprocess

import numpy as np
import pikepdf
import pytest
import pytesseract
from PIL import Image

import ocr
from ocr import tesseract
from ocr.errors import OcrFailed
from ocr.tesseract import recognise_image
from tests.ocr import scans
from tests.ocr.support import needs_tesseract

SHORT = scans.PAPER_LINES[:6]
RENDER_DPI = 50


def render(pdf_path, tmp_path):
    """Page 1 rendered by poppler at RENDER_DPI, as an RGB array."""
    out = tmp_path / "render"
    subprocess.run(["pdftoppm", "-r", str(RENDER_DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf_path), str(out)], check=True, capture_output=True)
    with Image.open(str(out) + ".ppm") as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def red(rgb):
    return (rgb[..., 0] > 150) & (rgb[..., 1] < 110) & (rgb[..., 2] < 110)


def blue(rgb):
    return (rgb[..., 2] > 130) & (rgb[..., 0] < 110)


def seal_centre(width, height):
    """Where scans.red_seal_and_signature() stamps the seal (fractions)."""
    return 0.42 * width, 0.55 * height


@needs_tesseract
def test_seal_and_signature_are_in_the_searchable_pdf(tmp_path):
    scan = scans.red_seal_and_signature(scans.render_page(lines=SHORT))
    result = ocr.recognize(scans.image_bytes(scan), workers=1)
    page = result.pages[0]
    path = tmp_path / "out.pdf"
    path.write_bytes(result.searchable_pdf)
    with pikepdf.open(path) as pdf:
        image = next(iter(pdf.pages[0].Resources.XObject.values()))
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.ColorSpace == pikepdf.Name.DeviceRGB
        assert (int(image.Width), int(image.Height)) == (page.width, page.height)
        with Image.open(io.BytesIO(image.read_raw_bytes())) as jpeg:
            assert jpeg.format == "JPEG" and round(jpeg.info["dpi"][0]) == page.dpi
    rgb = render(path, tmp_path)
    h, w = rgb.shape[:2]
    ys, xs = np.nonzero(red(rgb))
    assert ys.size > 200, "no red seal in the searchable PDF"
    cx, cy = seal_centre(w, h)
    assert abs(xs.mean() - cx) < 0.08 * w and abs(ys.mean() - cy) < 0.15 * h
    assert blue(rgb).sum() > 30, "no blue signature in the searchable PDF"
    # the text layer is the OCR's text, and what OCR read is the paper
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert scans.cer(result.text, text) <= 0.01
    assert scans.cer(scans.ground_truth(SHORT), text) <= 0.02


@needs_tesseract
def test_colour_page_is_turned_and_deskewed_like_the_boxes(tmp_path):
    upright = scans.red_seal_and_signature(scans.render_page(dpi=200, lines=SHORT))
    scan = scans.skew(scans.rotate_quarter(upright, 90), 3.0)
    result = ocr.recognize(scans.image_bytes(scan), workers=1)
    page = result.pages[0]
    assert page.quarter_turns == 1 and page.width > page.height
    path = tmp_path / "out.pdf"
    path.write_bytes(result.searchable_pdf)
    rgb = render(path, tmp_path)
    h, w = rgb.shape[:2]
    assert abs(w / h - page.width / page.height) < 0.02
    ys, xs = np.nonzero(red(rgb))
    assert ys.size > 100
    # the skew canvas adds a margin; the seal is still near its upright place
    cx, cy = seal_centre(w, h)
    assert abs(xs.mean() - cx) < 0.1 * w and abs(ys.mean() - cy) < 0.15 * h
    # a word's box, scaled to the rendering, lies on dark print of the colour page
    word = max(page.words, key=lambda wd: (wd.bbox[2] - wd.bbox[0]) * (wd.confidence > 80))
    f = RENDER_DPI / page.dpi
    x0, y0, x1, y1 = (int(round(v * f)) for v in word.bbox)
    inside = rgb[y0:y1 + 1, x0:x1 + 1].max(axis=2)
    assert (inside < 128).mean() > 0.05, word


@needs_tesseract
def test_text_only_pdf_and_hocr_from_one_pytesseract_run():
    page = np.asarray(scans.render_page(dpi=300, lines=SHORT[:2]).convert("L"))
    binary = np.where(page < 128, 0, 255).astype(np.uint8)
    hocr, text_pdf = recognise_image(binary, 300, "vie")
    assert "ocrx_word" in hocr
    with pikepdf.open(io.BytesIO(text_pdf)) as pdf:
        only = pdf.pages[0]
        assert "/XObject" not in only.Resources    # text only: no image of tesseract's
        assert "/Font" in only.Resources
        w_pt = float(only.mediabox[2]) - float(only.mediabox[0])
        assert round(w_pt * 300 / 72) == binary.shape[1]
    hocr_only, no_pdf = recognise_image(binary, 300, "vie", pdf=False)
    assert no_pdf is None and "ocrx_word" in hocr_only


def test_each_tesseract_gets_its_own_thread_limit(tmp_path, monkeypatch):
    """threads=1 (pages in parallel) limits that tesseract to one OpenMP
    thread; threads=None gives it as many threads as the cores this process
    may use while a core is idle (its LSTM would start 4 whatever the
    cores), and one when other work fills every core;
    os.environ is never changed, and a limit the user set is kept."""
    fake = tmp_path / "tesseract"
    fake.write_text('#!/bin/sh\necho "<p class=\'ocrx_word\'>${OMP_THREAD_LIMIT:-unset}</p>" > "$2.hocr"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("KHO_TESSERACT", str(fake))
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    binary = np.full((40, 60), 255, np.uint8)
    assert ">1<" in recognise_image(binary, 300, "vie", pdf=False, threads=1)[0]
    monkeypatch.setattr(tesseract, "machine_busy", lambda: False)
    cores = len(os.sched_getaffinity(0))
    assert f">{cores}<" in recognise_image(binary, 300, "vie", pdf=False, threads=None)[0]
    monkeypatch.setattr(tesseract, "machine_busy", lambda: True)
    assert ">1<" in recognise_image(binary, 300, "vie", pdf=False, threads=None)[0]
    assert "OMP_THREAD_LIMIT" not in os.environ
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    assert ">3<" in recognise_image(binary, 300, "vie", pdf=False, threads=1)[0]
    assert ">3<" in recognise_image(binary, 300, "vie", pdf=False, threads=None)[0]


def test_a_busy_machine_is_one_whose_load_fills_its_cores(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "getloadavg", lambda: (cores + 0.5, 0.0, 0.0))
    assert tesseract.machine_busy()
    monkeypatch.setattr(os, "getloadavg", lambda: (cores - 0.5, 9.0, 9.0))
    assert not tesseract.machine_busy()


def test_tesseract_timeout_and_absence_are_ocr_failures(monkeypatch):
    binary = np.full((200, 300), 255, np.uint8)
    binary[80:120, 40:260] = 0
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OcrFailed, match="not installed"):
        recognise_image(binary, 300, "vie")
    monkeypatch.undo()
    if shutil.which("tesseract"):
        with pytest.raises(OcrFailed, match="longer than"):
            recognise_image(binary, 300, "vie", timeout=0.001)


@needs_tesseract
def test_a_dotted_page_is_read_with_the_script_model_beside_vie(tmp_path, monkeypatch):
    from ocr import languages
    if languages.SCRIPT_MODEL not in languages._installed():
        pytest.skip("tesseract-ocr-script-viet is not installed")
    assert languages.for_hard_print("vie") == "vie+Vietnamese"
    assert languages.for_hard_print("vie+Vietnamese") == "vie+Vietnamese"
    assert languages.for_hard_print("eng") == "eng"
    asked = []
    real_init = tesseract.Tesseract.__init__

    def recording(self, langs, **kwargs):
        asked.append(langs)
        real_init(self, langs, **kwargs)
    monkeypatch.setattr(tesseract.Tesseract, "__init__", recording)
    for kind in ("dot_matrix", "folded"):
        page = tmp_path / f"{kind}.png"
        page.write_bytes(scans.image_bytes(scans.degraded(kind, scans.UNSEEN_LINES, 2)))
        result = ocr.recognize(str(page), workers=1, searchable=False)
        assert scans.cer(scans.truth(kind, scans.UNSEEN_LINES), result.text) < 0.01
    assert asked == ["vie+Vietnamese", "vie"]
