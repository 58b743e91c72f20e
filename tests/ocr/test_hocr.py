import unicodedata

import pytest

from ocr.errors import OcrFailed
from ocr.hocr import parse_hocr

HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><body>
<div class='ocr_page' id='page_1' title='image "x.png"; bbox 0 0 2480 1503; ppageno 0'>
 <div class='ocr_carea' title="bbox 296 215 2003 400">
  <p class='ocr_par' title="bbox 296 215 1208 271">
   <span class='ocr_line' title="bbox 296 215 1208 271; baseline 0 -1">
    <span class='ocrx_word' title='bbox 296 215 373 271; x_wconf 92'>{decomposed}</span>
    <span class='ocrx_word' title='bbox 388 231 505 270; x_wconf 70'><strong>BAN</strong></span>
   </span>
   <span class='ocr_header' title="bbox 296 300 900 350">
    <span class='ocrx_word' title='bbox 296 300 500 350; x_wconf 55.5'>Số:</span>
    <span class='ocrx_word' title='bbox 510 300 900 350; x_wconf 88'>123/QĐ-UBND</span>
   </span>
  </p>
 </div>
 <div class='ocr_carea' title="bbox 296 500 2003 600">
  <p class='ocr_par'><span class='ocr_line' title="bbox 296 500 800 560">
   <span class='ocrx_word' title='bbox 296 500 800 560; x_wconf 96'>Hà</span>
   <span class='ocrx_word' title='bbox 296 500 800 560; x_wconf 96'>  </span>
  </span></p>
 </div>
</div></body></html>"""


def test_words_boxes_confidences_and_nfc_text():
    decomposed = unicodedata.normalize("NFD", "UỶ")
    bbox, words, text = parse_hocr(HOCR.format(decomposed=decomposed))
    assert bbox == (0, 0, 2480, 1503)
    assert [w.text for w in words] == ["UỶ", "BAN", "Số:", "123/QĐ-UBND", "Hà"]
    assert words[0].text == unicodedata.normalize("NFC", "UỶ")
    assert words[0].bbox == (296, 215, 373, 271)
    assert [w.confidence for w in words] == [92.0, 70.0, 55.5, 88.0, 96.0]
    assert text == "UỶ BAN\nSố: 123/QĐ-UBND\n\nHà"


def test_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    evil = f"""<?xml version="1.0"?>
<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>
<html><body><div class='ocr_page' title='bbox 0 0 10 10'><div class='ocr_carea'>
<span class='ocr_line'><span class='ocrx_word' title='bbox 0 0 5 5; x_wconf 9'>a&xxe;b</span>
</span></div></div></body></html>"""
    _, words, text = parse_hocr(evil)
    assert "TOP-SECRET" not in text
    assert all("TOP-SECRET" not in w.text for w in words)


def test_broken_hocr_raises_ocr_failed():
    with pytest.raises(OcrFailed, match="hOCR"):
        parse_hocr("<html><body><div class='ocr_page'")
    with pytest.raises(OcrFailed, match="no page"):
        parse_hocr("<html><body></body></html>")


def test_built_hocr_round_trips():
    from ocr.hocr import build_hocr
    from ocr.result import Word
    words = [Word("GIẤY", (10, 10, 90, 40), 100.0), Word("KHAI", (100, 10, 180, 40), 100.0),
             Word("Số:", (10, 60, 50, 90), 100.0), Word("1 < 2 & 3", (60, 60, 150, 90), 100.0)]
    hocr = build_hocr(600, 800, words)
    bbox, parsed, text = parse_hocr(hocr)
    assert bbox == (0, 0, 600, 800)
    assert parsed == words
    assert text == "GIẤY KHAI\nSố: 1 < 2 & 3"
