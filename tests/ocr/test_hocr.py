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


def _page(*blocks):
    """hOCR of a page whose blocks, in the order given, are (bbox, lines),
    each line a list of words laid left to right on the block's top rows."""
    areas = []
    for (x0, y0, x1, y1), lines in blocks:
        spans = []
        for row, line in enumerate(lines):
            top = y0 + row * 60
            words = "".join(
                f"<span class='ocrx_word' title='bbox {x0 + k * 100} {top} {x0 + k * 100 + 90} {top + 50};"
                f" x_wconf 90'>{word}</span>" for k, word in enumerate(line.split()))
            spans.append(f"<span class='ocr_line' title='bbox {x0} {top} {x1} {top + 50}'>{words}</span>")
        areas.append(f"<div class='ocr_carea' title='bbox {x0} {y0} {x1} {y1}'>"
                     f"<p class='ocr_par'>{''.join(spans)}</p></div>")
    return ("<html xmlns='http://www.w3.org/1999/xhtml'><body>"
            f"<div class='ocr_page' title='bbox 0 0 2480 3508'>{''.join(areas)}</div></body></html>")


def _words_follow_text(words, text):
    return [w.text for w in words] == text.split()


def test_a_block_above_another_in_its_column_is_read_first():
    # tesseract's order on a dot-matrix page: the short "Số:" line came after the body under it
    hocr = _page(((296, 213, 1816, 366), ["CÔNG AN XÃ", "Độc lập"]),
                 ((296, 547, 1928, 1195), ["Xác nhận ông", "cư trú tại"]),
                 ((296, 472, 662, 528), ["Số: 47/XN-CAX"]))
    _, words, text = parse_hocr(hocr)
    assert text == "CÔNG AN XÃ\nĐộc lập\n\nSố: 47/XN-CAX\n\nXác nhận ông\ncư trú tại"
    assert _words_follow_text(words, text)
    assert words[5].text == "Số:" and words[5].bbox == (296, 472, 386, 522)


def test_two_columns_keep_column_order_under_their_heading():
    # the right column starts a little higher than the left: still read after it;
    # the heading over both, emitted last, is read first; the footer under both, last
    hocr = _page(((236, 416, 1149, 957), ["trái một", "trái hai"]),
                 ((1322, 405, 2085, 957), ["phải một", "phải hai"]),
                 ((236, 1100, 2085, 1160), ["cuối trang"]),
                 ((236, 216, 2085, 276), ["BẢN TIN"]))
    _, words, text = parse_hocr(hocr)
    assert text == "BẢN TIN\n\ntrái một\ntrái hai\n\nphải một\nphải hai\n\ncuối trang"
    assert _words_follow_text(words, text)


def test_blocks_without_a_box_keep_tesseract_order():
    from ocr.reading_order import reading_order
    assert reading_order([None, (0, 500, 100, 600), None, (0, 100, 100, 200)]) == [0, 2, 3, 1]
    assert reading_order([]) == []


def test_a_speck_read_as_a_word_is_dropped_with_its_box():
    """Tesseract reads a 2 x 2 dot of toner as "|"; the word and its token go,
    and word n stays the text's word n. Punctuation of its own size stays."""
    from ocr.pipeline import _without_specks
    from ocr.result import Word
    words = [Word("Số:", (100, 100, 160, 140), 95.0), Word("47/XN-CAX", (170, 100, 400, 140), 95.0),
             Word("|", (907, 541, 909, 543), 60.0),
             Word("Độc", (100, 200, 160, 240), 95.0), Word("-", (170, 220, 185, 227), 92.0),
             Word("lập", (190, 200, 250, 240), 95.0)]
    text = "Số: 47/XN-CAX |\n\nĐộc - lập"
    kept, cleaned, dropped = _without_specks(words, text, 300)
    assert dropped and cleaned == "Số: 47/XN-CAX\n\nĐộc - lập"
    assert [w.text for w in kept] == cleaned.split()
    assert _without_specks(kept, cleaned, 300) == (kept, cleaned, False)
