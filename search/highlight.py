"""HTML snippets: stored text, HTML-escaped, with <mark> around the matches."""
import html
import unicodedata

from .analysis import tokenize

__all__ = ["highlight_all", "snippet"]

ELLIPSIS = "\u2026"


def _spans(text, marker):
    """Merged (start, end) character spans of the matching tokens in NFC `text`."""
    tokens = list(tokenize(text))
    spans = sorted((tokens[i].start, tokens[i].end) for i in marker.marked(tokens))
    merged = []
    for start, end in spans:
        # overlapping (a code and its parts) or separated by blanks only: one mark
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
    chosen.sort()
    windows = []
    for start, end in chosen:
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    pieces = []
    for start, end in windows:
        pieces.append((ELLIPSIS if start > 0 else "") + _render(text, spans, start, end)
                      + (ELLIPSIS if end < len(text) else ""))
    return " ".join(pieces).replace(ELLIPSIS + " " + ELLIPSIS, ELLIPSIS)
