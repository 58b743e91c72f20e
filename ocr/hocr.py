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
