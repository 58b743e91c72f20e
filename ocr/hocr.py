"""Read tesseract's hOCR (XHTML) into words, lines and text, safely.

The parser resolves no entities, loads no DTD and never touches the network:
hOCR is data produced from an untrusted scan.
"""
import re
import unicodedata

from lxml import etree

from .errors import OcrFailed
from .result import Word

_BBOX = re.compile(r"bbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_WCONF = re.compile(r"x_wconf\s+(-?[\d.]+)")
_LINE_CLASSES = {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}


def safe_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True)


def _classes(element):
    return set((element.get("class") or "").split())


def _bbox(title):
    match = _BBOX.search(title or "")
    return tuple(int(v) for v in match.groups()) if match else None


def nfc(text):
    return unicodedata.normalize("NFC", text)


def parse_hocr(hocr):
    """(page_bbox, words, text) of the first ocr_page in `hocr` (str or bytes)."""
    data = hocr.encode("utf-8") if isinstance(hocr, str) else hocr
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise OcrFailed(f"tesseract produced unreadable hOCR: {exc}") from None
    page = next((e for e in root.iter() if "ocr_page" in _classes(e)), None)
    if page is None:
        raise OcrFailed("tesseract's hOCR has no page")
    words, blocks = [], []
    for block in page.iter():
        if "ocr_carea" not in _classes(block):
            continue
        lines = []
        for line in block.iter():
            if not _classes(line) & _LINE_CLASSES:
                continue
            line_words = []
            for span in line.iter():
                if "ocrx_word" not in _classes(span):
                    continue
                text = nfc("".join(span.itertext())).strip()
                box = _bbox(span.get("title"))
                if not text or box is None:
                    continue
                conf = _WCONF.search(span.get("title") or "")
                word = Word(text, box, float(conf.group(1)) if conf else 0.0)
                words.append(word)
                line_words.append(text)
            if line_words:
                lines.append(" ".join(line_words))
        if lines:
            blocks.append("\n".join(lines))
    return _bbox(page.get("title")), words, "\n\n".join(blocks)


def build_hocr(width, height, words, page_number=1):
    """A minimal hOCR page for words that did not come from tesseract (a
    PDF's own text layer): a new line whenever a word starts left of the
    previous one's end."""
    xhtml = "http://www.w3.org/1999/xhtml"
    root = etree.Element(f"{{{xhtml}}}html", nsmap={None: xhtml})
    head = etree.SubElement(root, f"{{{xhtml}}}head")
    etree.SubElement(head, f"{{{xhtml}}}title")
    etree.SubElement(head, f"{{{xhtml}}}meta", name="ocr-system", content="kho: PDF text layer")
    body = etree.SubElement(root, f"{{{xhtml}}}body")
    page = etree.SubElement(body, f"{{{xhtml}}}div", {"class": "ocr_page", "id": f"page_{page_number}",
                                                       "title": f"bbox 0 0 {width} {height}; ppageno {page_number - 1}"})
    area = etree.SubElement(page, f"{{{xhtml}}}div", {"class": "ocr_carea", "title": f"bbox 0 0 {width} {height}"})
    par = etree.SubElement(area, f"{{{xhtml}}}p", {"class": "ocr_par"})
    line, last = None, None
    for n, word in enumerate(words, 1):
        if line is None or word.bbox[0] < last.bbox[2] - 1:
            line = etree.SubElement(par, f"{{{xhtml}}}span", {"class": "ocr_line"})
        x0, y0, x1, y1 = word.bbox
        span = etree.SubElement(line, f"{{{xhtml}}}span", {
            "class": "ocrx_word", "id": f"word_{page_number}_{n}",
            "title": f"bbox {x0} {y0} {x1} {y1}; x_wconf {int(round(word.confidence))}"})
        span.text = word.text
        last = word
    for ln in par:
        boxes = [[int(v) for v in s.get("title").split(";")[0].split()[1:]] for s in ln]
        ln.set("title", "bbox %d %d %d %d" % (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                              max(b[2] for b in boxes), max(b[3] for b in boxes)))
    return etree.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
