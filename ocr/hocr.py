"""Read tesseract's hOCR (XHTML) into words, lines and text, safely.

The parser resolves no entities, loads no DTD and never touches the network:
hOCR is data produced from an untrusted scan.
"""
import re
import unicodedata

from lxml import etree

from .errors import OcrFailed
from .reading_order import reading_order
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
    """(page_bbox, words, text) of the first ocr_page in `hocr` (str or bytes),
    its blocks in reading order (ocr.reading_order), words in the text's order."""
    data = hocr.encode("utf-8") if isinstance(hocr, str) else hocr
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise OcrFailed(f"tesseract produced unreadable hOCR: {exc}") from None
    page = next((e for e in root.iter() if "ocr_page" in _classes(e)), None)
    if page is None:
        raise OcrFailed("tesseract's hOCR has no page")
    blocks = []
    for block in page.iter():
        if "ocr_carea" not in _classes(block):
            continue
        lines, words = [], []
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
                words.append(Word(text, box, float(conf.group(1)) if conf else 0.0))
                line_words.append(text)
            if line_words:
                lines.append(" ".join(line_words))
        if lines:
            blocks.append((_bbox(block.get("title")), "\n".join(lines), words))
    # words in the order of the text: word n of the text is words[n] (review, PDF text layer)
    order = reading_order([box for box, _, _ in blocks])
    words = [word for n in order for word in blocks[n][2]]
    return _bbox(page.get("title")), words, "\n\n".join(blocks[n][1] for n in order)


def build_hocr(width, height, words, page_number=1, system="kho: PDF text layer"):
    """A minimal hOCR page for words that did not come from tesseract as
    they are (a PDF's own text layer; words corrected or moved after
    tesseract): a new line whenever a word starts left of the previous
    one's end."""
    xhtml = "http://www.w3.org/1999/xhtml"
    root = etree.Element(f"{{{xhtml}}}html", nsmap={None: xhtml})
    head = etree.SubElement(root, f"{{{xhtml}}}head")
    etree.SubElement(head, f"{{{xhtml}}}title")
    etree.SubElement(head, f"{{{xhtml}}}meta", name="ocr-system", content=system)
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


# -- the confirmed text on the recognised boxes ------------------------------------------

def _word_tuple(word):
    """(text, (x0, y0, x1, y1)) from a Word or a stored (text, x0, y0, x1, y1[, conf])."""
    if isinstance(word, Word):
        return word.text, tuple(word.bbox)
    return word[0], tuple(int(v) for v in word[1:5])


def _rows(boxes):
    """Consecutive boxes grouped into rows of text (vertical overlap)."""
    rows = []
    for box in boxes:
        if rows:
            last = rows[-1][-1]
            overlap = min(last[3], box[3]) - max(last[1], box[1])
            if overlap > 0.5 * min(last[3] - last[1], box[3] - box[1]) and box[0] >= last[0]:
                rows[-1].append(box)
                continue
        rows.append([box])
    return rows


def _spread(boxes, words):
    """Boxes for `words` laid along the rows the old `boxes` covered, each
    as wide as its share of the characters."""
    rows = [(min(b[0] for b in r), min(b[1] for b in r), max(b[2] for b in r), max(b[3] for b in r))
            for r in _rows(boxes)]
    total = sum(r[2] - r[0] for r in rows)
    weights = [len(w) + 1 for w in words]
    unit = total / sum(weights)
    out, row, x = [], 0, rows[0][0]
    for word, weight in zip(words, weights):
        width = weight * unit
        while row < len(rows) - 1 and x + width - unit > rows[row][2] + 0.5 * unit:
            row += 1
            x = rows[row][0]
        r = rows[row]
        x1 = min(r[2], x + width - unit) if row == len(rows) - 1 else x + width - unit
        out.append((int(round(x)), r[1], int(round(max(x1, x + 1))), r[3]))
        x += width
    return out


def _beside(anchor, anchor_text, words, after, page_width):
    """Boxes for inserted `words` to the right (after) or left of an anchor box."""
    x0, y0, x1, y1 = anchor
    char = max(1.0, (x1 - x0) / max(1, len(anchor_text)))
    out = []
    if after:
        x = x1 + char
        for word in words:
            end = min(page_width, x + len(word) * char) if page_width else x + len(word) * char
            out.append((int(round(x)), y0, int(round(max(end, x + 1))), y1))
            x += (len(word) + 1) * char
    else:
        x = x0 - char
        for word in reversed(words):
            start = max(0.0, x - len(word) * char)
            out.append((int(round(start)), y0, int(round(max(x, start + 1))), y1))
            x -= (len(word) + 1) * char
        out.reverse()
    return out


def place_words(text, words, page_size=None):
    """Lay the confirmed `text` of a page on the boxes of its recognised
    `words` (Word or stored tuples). Returns the text's lines, each a list of
    (word, (x0, y0, x1, y1)).

    When the confirmed text has as many words as were recognised, word n
    takes box n (a corrected word keeps its place). Otherwise the words are
    matched in order (difflib): kept words keep their boxes, a run replaced
    by a run of another length shares the old run's rows by characters,
    inserted words go beside their neighbour, and a page that had no words
    gets its text laid out in plain lines from the top left."""
    import difflib
    lines = [line.split() for line in (text or "").splitlines()]
    new = [w for line in lines for w in line]
    old = [_word_tuple(w) for w in words]
    width, height = page_size or (0, 0)
    boxes = [None] * len(new)
    if len(new) == len(old):
        boxes = [b for _, b in old]
    else:
        matcher = difflib.SequenceMatcher(None, [t for t, _ in old], new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                boxes[j1:j2] = [b for _, b in old[i1:i2]]
            elif tag == "replace":
                boxes[j1:j2] = _spread([b for _, b in old[i1:i2]], new[j1:j2])
        n = 0
        while n < len(new):
            if boxes[n] is not None:
                n += 1
                continue
            end = n
            while end < len(new) and boxes[end] is None:
                end += 1
            if n > 0:
                boxes[n:end] = _beside(boxes[n - 1], new[n - 1], new[n:end], True, width)
            elif end < len(new):
                boxes[n:end] = _beside(boxes[end], new[end], new[n:end], False, width)
            else:
                boxes = _plain_layout(lines, width or 2480, height or 3508)
            n = end
    out, n = [], 0
    for line in lines:
        out.append([(w, boxes[n + k]) for k, w in enumerate(line)])
        n += len(line)
    return out


def _plain_layout(lines, width, height):
    """Boxes for text with no recognised word at all: 80 characters a line."""
    char = width / 100.0
    size = int(char * 2)
    boxes, y = [], int(height * 0.05)
    for line in lines:
        x = width * 0.1
        for word in line:
            boxes.append((int(x), y, int(x + len(word) * char), y + size))
            x += (len(word) + 1) * char
        y += int(size * 1.5)
    return boxes
