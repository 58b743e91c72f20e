"""Suggestions for the desk officer, read from OCR text; never trusted
silently: each carries the span of the text it came from so the screen can
highlight it for the officer to confirm or correct.

Matching is tone-insensitive: `fold()` maps every character to its base
letter one for one (so spans in the folded text are spans in the original).
"""
import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

HEAD_LINES = 15

AGENCY_STARTS = (
    "UY BAN NHAN DAN", "HOI DONG NHAN DAN", "UBND", "HDND", "SO ", "BO ", "CONG AN", "PHONG ",
    "CHI CUC", "CUC ", "TOA AN", "VIEN KIEM SAT", "VAN PHONG", "TRUONG ",
    "BENH VIEN", "BAN ", "TONG CUC", "CHI NHANH", "NGAN HANG", "CONG TY",
    "BAO HIEM XA HOI", "KHO BAC", "TRUNG TAM", "DANG UY", "THANH TRA",
)
AREA_STARTS = ("XA ", "PHUONG ", "THI TRAN ", "HUYEN ", "QUAN ", "THI XA ",
               "THANH PHO ", "TINH ", "TP", "DAC KHU ")
NATIONAL_MOTTO = "CONG HOA XA HOI CHU NGHIA"


@dataclass(frozen=True)
class Suggestion:
    """A proposed value, the (start, end) span of `text` it came from, and
    that text itself."""
    value: object
    span: tuple
    source: str
    score: float = 1.0


@dataclass(frozen=True)
class Suggestions:
    doc_type: Suggestion = None      # value: the code, e.g. "GKS"
    number: Suggestion = None        # value: "123/QĐ-UBND"
    issue_date: Suggestion = None    # value: datetime.date
    issuer: Suggestion = None        # value: "UBND xã Yên Bình" (source: the header's capitals)
    personal_id: Suggestion = None   # value: 12 digits


def fold(text):
    """Upper-case base letters, one character per character of `text`."""
    out = []
    for ch in text:
        if ch in "đĐðÐ":           # Ð/ð (U+00D0/F0): OCR's look-alike of Đ
            out.append("D")
            continue
        base = unicodedata.normalize("NFD", ch)[0] if ch else ch
        out.append(base.upper() if len(base.upper()) == 1 else base)
    return "".join(out)


def suggest_metadata(text, doc_types=()):
    """Propose metadata from `text` (NFC OCR text); `doc_types`: (code, name) pairs."""
    text = unicodedata.normalize("NFC", text or "")
    folded = fold(text)
    return Suggestions(
        doc_type=_doc_type(text, folded, doc_types),
        number=_number(text, folded),
        issue_date=_issue_date(text, folded),
        issuer=_issuer(text, folded),
        personal_id=_personal_id(text, folded),
    )


def _make(text, start, end, value, score=1.0):
    return Suggestion(value, (start, end), text[start:end], score)


def _lines(folded, limit=HEAD_LINES):
    """(start, end) of the first `limit` non-blank lines."""
    spans = []
    for match in re.finditer(r"[^\n\f]+", folded):
        if match.group().strip():
            spans.append((match.start(), match.end()))
            if len(spans) == limit:
                break
    return spans


# -- paper type -------------------------------------------------------------------

def _doc_type(text, folded, doc_types, threshold=0.8):
    best = None
    lines = _lines(folded)
    for code, name in doc_types:
        wanted = " ".join(fold(name).split())
        if not wanted:
            continue
        for rank, (start, end) in enumerate(lines):
            line = folded[start:end]
            for m_start, m_end, ratio in _windows(line, wanted):
                score = ratio - 0.01 * rank     # earlier lines win ties
                if ratio >= threshold and (best is None or score > best[0]):
                    best = (score, code, start + m_start, start + m_end, ratio)
    if best is None:
        return None
    _, code, start, end, ratio = best
    return _make(text, start, end, code, round(ratio, 3))


def _windows(line, wanted):
    """Fuzzy matches of `wanted` in `line`: word windows of about its length."""
    words = list(re.finditer(r"\S+", line))
    n = len(wanted.split())
    for size in {max(1, n - 1), n, n + 1}:
        for i in range(0, max(1, len(words) - size + 1)):
            chunk = words[i:i + size]
            if not chunk:
                continue
            s, e = chunk[0].start(), chunk[-1].end()
            candidate = " ".join(line[s:e].split())
            yield s, e, difflib.SequenceMatcher(None, candidate, wanted).ratio()


# -- number and symbol ------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![A-Z])SO\s*[:.]\s*([0-9][0-9A-Z]*(?:\s*[/-]\s*[0-9A-Z]+)*)")


def _number(text, folded):
    match = _NUMBER.search(folded)
    if not match or not re.search(r"\d", match.group(1)):
        return None
    start, end = match.span(1)
    value = re.sub(r"\s+", "", text[start:end]).replace("Ð", "Đ")
    return _make(text, start, end, value)


# -- issue date ------------------------------------------------------------------------

_WORDY_DATE = re.compile(r"NGAY\s+(\d{1,2})\s+THANG\s+(\d{1,2})\s+NAM\s+(\d{4})")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_BIRTH = re.compile(r"SINH|BIRTH")


def _valid(day, month, year):
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _issue_date(text, folded):
    candidates = []
    for match in _WORDY_DATE.finditer(folded):
        value = _valid(*match.groups())
        if value:
            # "<place>, ngày ..." is how a paper states where and when it was issued
            placed = re.search(r",\s*$", folded[max(0, match.start() - 3):match.start()])
            candidates.append((0 if placed else 1, match.start(), match, value))
    for match in _NUMERIC_DATE.finditer(folded):
        value = _valid(*match.groups())
        line_start = folded.rfind("\n", 0, match.start()) + 1
        if value and not _BIRTH.search(folded[line_start:match.start()]):
            candidates.append((2, match.start(), match, value))
    if not candidates:
        return None
    _, _, match, value = min(candidates, key=lambda c: (c[0], c[1]))
    return _make(text, match.start(), match.end(), value)


# -- issuer -------------------------------------------------------------------------------

def _issuer(text, folded):
    """The issuing body from the header at the top left, as people write
    it: "UBND xã Yên Bình", "Công an tỉnh Hà Giang", "Sở Tư pháp".

    The header names the body on an agency line, maybe continued by an area
    line ("UỶ BAN NHÂN DÂN" / "XÃ YÊN BÌNH"); a governing body may stand
    above it ("UBND TỈNH LÀO CAI" / "SỞ TƯ PHÁP"), so the last agency of
    the header is the issuer. With a two-column header, OCR often reads the
    agency and the national motto as one line, so only the upper-case words
    before the motto count."""
    groups = []
    for start, end in _lines(folded, 8):
        start, end = _upper_run(text, folded, start, end)
        if end <= start:
            continue                     # the motto, a line in lower case
        line = folded[start:end]
        if line.startswith(AGENCY_STARTS):
            groups.append([start, end, [text[start:end]]])
        elif groups and line.startswith(AREA_STARTS) and len(groups[-1][2]) == 1:
            groups[-1][1] = end          # the area line under the agency
            groups[-1][2].append(text[start:end])
        elif groups:
            break                        # the paper's title: the header is over
    if not groups:
        return None
    start, end, parts = groups[-1]
    # the span runs from the agency to its area line (it may hold the motto
    # between them); the source shown to the officer is the header's words
    return Suggestion(issuer_name(" ".join(parts)), (start, end), " ".join(parts))


_FIELD_HEADS = {("SO",), ("BO",), ("PHONG",), ("CUC",), ("CHI", "CUC"), ("TONG", "CUC"), ("BAN",),
                ("VAN", "PHONG"), ("VU",), ("NHA",), ("BENH", "VIEN"), ("TRUNG", "TAM"), ("TRUONG",)}
_ABBREVIATED = {("UY", "BAN", "NHAN", "DAN"): "UBND", ("HOI", "DONG", "NHAN", "DAN"): "HĐND",
                ("UBND",): "UBND", ("HDND",): "HĐND"}
_AREAS = (("THI", "TRAN"), ("THI", "XA"), ("THANH", "PHO"), ("DAC", "KHU"), ("XA",), ("PHUONG",),
          ("HUYEN",), ("QUAN",), ("TINH",), ("TP",), ("TP.",))


# provinces and centrally-run cities, folded: a body named after one without
# "tỉnh"/"thành phố" ("SỞ Y TẾ LÀO CAI") still writes it as a place
PROVINCES = frozenset(p for p in """AN GIANG|BA RIA VUNG TAU|BAC GIANG|BAC KAN|BAC LIEU|BAC NINH|BEN TRE|
BINH DINH|BINH DUONG|BINH PHUOC|BINH THUAN|CA MAU|CAN THO|CAO BANG|DA NANG|DAK LAK|DAK NONG|DIEN BIEN|
DONG NAI|DONG THAP|GIA LAI|HA GIANG|HA NAM|HA NOI|HA TINH|HAI DUONG|HAI PHONG|HAU GIANG|HOA BINH|HUNG YEN|
KHANH HOA|KIEN GIANG|KON TUM|LAI CHAU|LAM DONG|LANG SON|LAO CAI|LONG AN|NAM DINH|NGHE AN|NINH BINH|
NINH THUAN|PHU THO|PHU YEN|QUANG BINH|QUANG NAM|QUANG NGAI|QUANG NINH|QUANG TRI|SOC TRANG|SON LA|TAY NINH|
THAI BINH|THAI NGUYEN|THANH HOA|THUA THIEN HUE|HUE|TIEN GIANG|TRA VINH|TUYEN QUANG|VINH LONG|VINH PHUC|
YEN BAI|HO CHI MINH""".replace("\n", "").split("|"))


def _province_from(keys):
    """Index of the first word of a province named at the end of `keys`, or None."""
    for size in (4, 3, 2, 1):
        if len(keys) > size and " ".join(keys[-size:]) in PROVINCES:
            return len(keys) - size
    return None


def issuer_name(header):
    """An agency's name as printed in capitals, as people write it in a
    sentence: "UỶ BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ" -> "UBND phường Bến Nghé",
    "CÔNG AN TỈNH HÀ GIANG" -> "Công an tỉnh Hà Giang", "SỞ TƯ PHÁP" ->
    "Sở Tư pháp" (a department's field takes a capital)."""
    words = header.split()
    keys = [fold(w).strip(".,:;") for w in words]
    out, i, mode, field_head = [], 0, "head", False
    place_from = _province_from(keys)
    while i < len(words):
        if place_from is not None and i >= place_from and mode != "place" and i > 0:
            mode = "place"
        taken = False
        for phrase, short in _ABBREVIATED.items():
            if tuple(keys[i:i + len(phrase)]) == phrase:
                out.append(short)
                i, mode, taken = i + len(phrase), "rest", True
                break
        if taken:
            continue
        for area in _AREAS:
            if (tuple(keys[i:i + len(area)]) == area and i > 0
                    and keys[i + len(area):i + len(area) + 1] != ["HOI"]):    # "xã hội" is no commune
                out.extend(w.lower() for w in words[i:i + len(area)])
                i, mode, taken = i + len(area), "place", True
                break
        if taken:
            continue
        word = words[i]
        if mode == "head":
            out.append(word.capitalize())
            head = next((h for h in _FIELD_HEADS if tuple(keys[i:i + len(h)]) == h), None)
            if head and len(head) == 2:
                out.append(words[i + 1].lower())
                i += 1
            mode = "field" if head else "rest"
            field_head = bool(head)
        elif mode == "field":
            out.append(word.capitalize())
            mode = "rest"
        elif mode == "rest" and field_head and keys[i] in ("VA", "-", "–"):
            out.append(word.lower())        # "Sở Kế hoạch và Đầu tư": each field takes a capital
            mode = "field"
        elif mode == "place":
            out.append(word if word.isdigit() else word.capitalize())
        else:
            out.append(word.lower())
        i += 1
    return " ".join(out)


def _upper_run(text, folded, start, end):
    """(start, end) of the leading upper-case words of a line, stopping at
    the national motto or at the first word in lower case."""
    words = list(re.finditer(r"\S+", text[start:end]))
    run_start = run_end = None
    for word in words:
        w_start, w_end = start + word.start(), start + word.end()
        if folded.startswith(NATIONAL_MOTTO, w_start):
            break
        letters = [c for c in text[w_start:w_end] if c.isalpha()]
        if letters and not all(c.isupper() for c in letters):
            break
        if run_start is None:
            run_start = w_start
        run_end = w_end
    if run_start is None:
        return start, start
    return run_start, run_end


# -- personal id ----------------------------------------------------------------------

_TWELVE = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_ID_LABEL = re.compile(r"DINH DANH|CCCD|CAN CUOC|CMND|CHUNG MINH")


def plausible_personal_id(digits):
    """12 digits: province 001-096, then a century/sex digit."""
    return len(digits) == 12 and digits.isdigit() and 1 <= int(digits[:3]) <= 96


def _personal_id(text, folded):
    best = None
    for match in _TWELVE.finditer(folded):
        digits = match.group(1)
        if not plausible_personal_id(digits):
            continue
        line_start = folded.rfind("\n", 0, match.start()) + 1
        labelled = bool(_ID_LABEL.search(folded[line_start:match.start()]))
        rank = (0 if labelled else 1, match.start())
        if best is None or rank < best[0]:
            best = (rank, match)
    if best is None:
        return None
    match = best[1]
    return _make(text, match.start(1), match.end(1), match.group(1),
                 1.0 if best[0][0] == 0 else 0.6)
