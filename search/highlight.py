"""HTML snippets: stored text, HTML-escaped, with <mark> around the matches."""
import html
import re
import unicodedata
from functools import lru_cache
from itertools import islice

from .analysis import TOKEN_PATTERN, fold_vi, tokenize

__all__ = ["highlight_all", "snippet"]

ELLIPSIS = "\u2026"


def _fold_classes():
    """{folded letter: regex class of every letter that folds to it}: "a" ->
    "[aàáảãạăằ...]", so a folded needle is found in unfolded text."""
    classes = {}
    for code in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        char = chr(code)
        folded = fold_vi(char).lower()
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            classes.setdefault(folded, set()).update({char, char.lower(), char.upper()})
    return {base: "[%s%s%s]" % (base, base.upper(), "".join(sorted(chars)))
            for base, chars in classes.items()}


_FOLD_CLASSES = _fold_classes()


def _fold_table():
    """str.translate table: every letter of a fold class -> its folded
    letter (one character for one: offsets in the folded text are the
    text's)."""
    table = {}
    for code in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        char = chr(code)
        folded = fold_vi(char).lower()
        if len(folded) == 1 and folded.isascii() and folded.isalpha():
            for variant in (char, char.lower(), char.upper()):
                if len(variant) == 1:
                    table[ord(variant)] = folded
    return table


_FOLD_TABLE = _fold_table()
_COMBINING_MARK = re.compile("[\u0300-\u036f]")
_NOT_AFTER = "(?<![^\\W_])(?<![\u0300-\u036f])"     # not inside a token
_NOT_BEFORE = "(?![^\\W_])(?![\u0300-\u036f])"


@lru_cache(maxsize=256)
def _needle_pattern(needles):
    """One regex finding the folded `needles` ((text, ends a token), ...) in
    unfolded text, case and marks ignored."""
    parts = []
    for needle, whole in needles:
        body = "".join(_FOLD_CLASSES.get(c, re.escape(c)) for c in needle)
        parts.append(_NOT_AFTER + body + (_NOT_BEFORE if whole else ""))
    return re.compile("|".join(parts), re.IGNORECASE)


@lru_cache(maxsize=256)
def _folded_pattern(needles):
    """The same as _needle_pattern, to run over the text folded by
    _FOLD_TABLE: plain letters, so it compiles in a fraction of the time
    (every query's needles are new)."""
    # (ASCII classes: the folded text's letters are; a non-ASCII letter next
    # to a needle only widens the stretches, which are tokenized after)
    parts = ["(?<![a-zA-Z0-9])" + re.escape(needle) + ("(?![a-zA-Z0-9])" if whole else "")
             for needle, whole in needles]
    return re.compile("|".join(parts), re.IGNORECASE | re.ASCII)


def _needle_matches(text, needles):
    """Matches of the needles in `text` (their offsets are the text's)."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text):
        return _folded_pattern(needles).finditer(folded)
    return _needle_pattern(needles).finditer(text)      # (never with the table above)


def _merged(intervals):
    """(start, end) intervals, in order of start, with overlapping ones joined."""
    out = []
    for start, end in intervals:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _windows(text, marker):
    """Stretches of `text` that can hold a match: around each place where
    one of the marker's needles starts a token, widened to blanks (so no
    token is cut). None for text with loose combining marks, which the
    needle search would miss: then the whole text is tokenized."""
    if _loose_marks(text):
        return None
    needles = tuple(sorted(marker.needles.items()))
    if not needles or not _may_hold(text, _literal_leads(needles)):
        return []
    reach = marker.reach
    windows = _merged((max(0, match.start() - 1), _after_tokens(text, match.end(), reach))
                      for match in _needle_matches(text, needles))
    out = []
    for start, end in windows:
        blank = _last_blank(text, start)
        start = blank + 1 if blank >= 0 else 0
        blank = _next_blank(text, min(end, len(text)))
        out.append((start, blank if blank >= 0 else len(text)))
    return out


def _loose_marks(text):
    """Whether `text` holds a combining mark (U+0300-U+036F). In UTF-8 they
    start with byte 0xCC or 0xCD, which no other character starts with but
    U+0370-U+037F (then the pattern decides): two byte searches instead of
    the pattern's step per character over a whole OCR text."""
    encoded = text.encode("utf-8", "surrogatepass")
    if b"\xcc" in encoded:
        return True
    return b"\xcd" in encoded and _COMBINING_MARK.search(text) is not None


@lru_cache(maxsize=256)
def _literal_leads(needles):
    """The start of each needle ((text, ends a token), ...) up to its first
    ASCII letter: digits and punctuation, which the folded text holds only
    where the text does (the fold table maps letters to ASCII letters; the
    search ignores case in ASCII only). None when a needle starts with a
    letter."""
    leads = []
    for needle, _ in needles:
        at = next((at for at, char in enumerate(needle) if char.isascii() and char.isalpha()),
                  len(needle))
        if not at:
            return None
        leads.append(needle[:at])
    return tuple(leads)


def _may_hold(text, leads):
    """False when no needle can match in `text`: each starts with digits or
    punctuation found nowhere in it (a personal id or paper number in a
    paper that does not cite it), so the text is not folded and searched."""
    return leads is None or any(lead in text for lead in leads)


def _after_tokens(text, at, count):
    """Where the `count`-th token after offset `at` ends (whatever lies
    between: blanks, lines, punctuation), or `at` for none."""
    for match in islice(TOKEN_PATTERN.finditer(text, at), count):
        at = match.end()
    return at


def _last_blank(text, before):
    return max(text.rfind(" ", 0, before), text.rfind("\n", 0, before))


def _next_blank(text, after):
    found = [at for at in (text.find(" ", after), text.find("\n", after)) if at >= 0]
    return min(found) if found else -1


def _token_spans(text, marker):
    """Sorted (start, end) character spans of the matching tokens in NFC
    `text` (only the stretches that can hold a match are tokenized: a long
    OCR text costs a few string searches, not a Python step per syllable)."""
    windows = _windows(text, marker)
    if windows is None:
        windows = [(0, len(text))]
    spans = []
    for start, end in windows:
        tokens = list(tokenize(text[start:end]))
        spans += [(start + tokens[i].start, start + tokens[i].end)
                  for i in marker.marked(tokens)]
    return sorted(spans)


def _spans(text, marker):
    """The marks: token spans that overlap (a code and its parts) or are
    separated by blanks only are joined."""
    merged = []
    for start, end in _token_spans(text, marker):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1]:start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text, spans, start, end):
    out, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[cursor:s]))
        out.append("<mark>%s</mark>" % html.escape(text[s:e]))
        cursor = e
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def highlight_all(text, marker):
    """The whole `text`, escaped, every match marked (for short fields)."""
    text = unicodedata.normalize("NFC", text or "")
    return _render(text, _spans(text, marker), 0, len(text)) if marker else html.escape(text)


def _widen(text, start, end, width):
    """Extend [start, end) to about `width` characters, cut at blanks."""
    extra = max(0, width - (end - start))
    start = max(0, start - min(extra // 3, 60))
    end = min(len(text), end + (width - (end - start)))
    if start > 0:
        blank = text.rfind(" ", 0, start)
        start = blank + 1 if blank >= 0 and start - blank < 20 else start
    if end < len(text):
        blank = text.find(" ", end)
        end = blank if 0 <= blank and blank - end < 20 else end
    return start, end


def snippet(text, marker, *, width=180, fragments=2):
    """Up to `fragments` passages of about `width` characters around the
    densest matches of `text`, escaped, joined with an ellipsis; the start
    of the text when nothing in it matches."""
    text = unicodedata.normalize("NFC", text or "")
    if not text:
        return ""
    spans = _spans(text, marker) if marker else []
    if not spans:
        start, end = _widen(text, 0, 0, width)
        return html.escape(text[start:end]) + (ELLIPSIS if end < len(text) else "")
    chosen = []
    remaining = list(spans)
    while remaining and len(chosen) < fragments:
        # the window starting at a span that covers the most spans
        best, best_count = None, -1
        for i, (s, _) in enumerate(remaining):
            count = 0
            for s2, e2 in remaining[i:]:
                if e2 - s > width:
                    break
                count += 1
            if count > best_count:
                best, best_count = i, count
        first = remaining[best]
        last = remaining[best + best_count - 1]
        start, end = _widen(text, first[0], last[1], width)
        chosen.append((start, end))
        remaining = [sp for sp in remaining if sp[1] <= start or sp[0] >= end]
    windows = _merged(sorted(chosen))
    pieces = []
    for start, end in windows:
        pieces.append((ELLIPSIS if start > 0 else "") + _render(text, spans, start, end)
                      + (ELLIPSIS if end < len(text) else ""))
    return " ".join(pieces).replace(ELLIPSIS + " " + ELLIPSIS, ELLIPSIS)
