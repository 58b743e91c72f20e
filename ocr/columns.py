"""Two columns with a narrow gutter: widened before tesseract reads them.

Why: tesseract's layout analysis joins two columns into one line wherever a
line of the left column comes within a word space of the right column. On a
two-column page whose capitals line ran to the right column's edge, every
line of the left column was read on with the line beside it and three
quarters of the text came out of order. Where most lines leave a band in
the middle empty and the lines split by it start the right part at one x
(the right column's edge), the page tesseract sees is cut there and its
right column put under the left one; the word boxes are moved back
afterwards, so they still fit the scan.
"""
import numpy as np

__all__ = ["find_split", "find_gutter", "find_header_split", "stacked", "moved_back"]

GUTTER_INCHES = 0.1       # narrowest gutter looked for
GAP_INCHES = 0.3          # white between the columns stacked
EDGE_SPREAD_INCHES = 0.03  # the right column's lines start within this (inter-quartile)
SPLIT_SHARE = 0.5         # of the lines: both sides inked, the band between them empty


def _lines(ink, dpi):
    """The text lines' rows, without the thin bands of dots below a line."""
    from .preprocess import text_lines
    lines = text_lines(ink.sum(axis=1), min_height=max(3, dpi // 60))
    if not lines:
        return lines
    typical = np.median([bottom - top for top, bottom in lines])
    return [(top, bottom) for top, bottom in lines if bottom - top >= 0.5 * typical]


def _line_map(ink, dpi, fewest):
    """(lines, per line the inked columns, the leftmost and rightmost inked
    column) of a page with at least `fewest` text lines, else None."""
    lines = _lines(ink, dpi)
    if len(lines) < fewest:
        return None
    occupied = np.array([ink[top:bottom].any(axis=0) for top, bottom in lines])
    inked = np.nonzero(occupied.any(axis=0))[0]
    return lines, occupied, int(inked[0]), int(inked[-1])


def _gaps(row, narrowest):
    """Per column, whether it lies in a white run of at least `narrowest`
    pixels with ink on both sides, in one line's inked columns `row`."""
    edges = np.diff(np.concatenate(([1], row.astype(np.int8), [1])))
    starts, ends = np.nonzero(edges == -1)[0], np.nonzero(edges == 1)[0]
    out = np.zeros(row.shape, bool)
    for start, end in zip(starts, ends):
        if end - start >= narrowest and start > 0 and end < len(row):
            out[start:end] = True
    return out


def find_split(binary, dpi):
    """(x, bottom) where the page is cut before tesseract reads it: two
    columns (bottom None: the whole page) or an official header's two
    blocks above its body; None for a page read as it is. The page's lines
    are mapped once for both. `binary`: 0 ink, 255 paper."""
    mapped = _line_map(binary < 128, dpi, fewest=3)
    if mapped is None:
        return None
    cut = _gutter(mapped, dpi)
    return (cut, None) if cut is not None else _header_split(mapped, dpi)


def find_gutter(binary, dpi):
    """The x where a two-column page is cut (just left of its right
    column), or None for a page not set in two columns."""
    mapped = _line_map(binary < 128, dpi, fewest=4)
    return None if mapped is None else _gutter(mapped, dpi)


def _gutter(mapped, dpi):
    lines, occupied, left, right = mapped
    if len(lines) < 4:
        return None
    lo, hi = left + (right - left) // 4, left + 3 * (right - left) // 4
    if hi - lo < GUTTER_INCHES * dpi:
        return None
    gaps = np.array([_gaps(row, GUTTER_INCHES * dpi) for row in occupied])
    share = gaps[:, lo:hi].mean(axis=0)
    if share.max() < SPLIT_SHARE:
        return None
    best = np.nonzero(share == share.max())[0]
    x = lo + int(best[np.argmin(np.abs(best - (hi - lo) / 2))])
    split = gaps[:, x]
    # lines running across: one (a long line of the left column) is allowed;
    # more are a form's full-width sentences beside its label/value rows
    across = occupied[:, :x].any(axis=1) & occupied[:, x:].any(axis=1) & ~split
    if across.sum() > 1 + len(lines) // 10:
        return None
    edges = [x + int(np.argmax(row[x:])) for row in occupied[split]]
    q1, q3 = np.percentile(edges, [25, 75])
    if q3 - q1 > EDGE_SPREAD_INCHES * dpi:
        return None
    # just left of the right column's edge: a line of the left column that
    # runs up to it is cut in the space before the right column's first word
    return max(x, int(np.median(edges)) - max(2, dpi // 100))


HEADER_GAP_INCHES = 0.25   # between the agency's block and the motto's
CENTRE_SPREAD_INCHES = 0.1  # each block's lines centred on one axis within this


def find_header_split(binary, dpi):
    """(x, bottom) of an official header set as two blocks side by side
    (the agency, its number on the left; the country's name, motto, place
    and date on the right, each block centred) above a body in one column,
    or None. Read as one page, tesseract runs each line of one block into
    the line beside it ("UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI…")."""
    mapped = _line_map(binary < 128, dpi, fewest=3)
    return None if mapped is None else _header_split(mapped, dpi)


def _header_split(mapped, dpi):
    lines, occupied, left, right = mapped
    lo, hi = left + (right - left) // 5, left + 4 * (right - left) // 5
    half = int(HEADER_GAP_INCHES * dpi) // 2
    if hi - lo <= 2 * half:
        return None
    # the lines from the top with ink on both sides of a gap they all leave
    # empty (with half a gap each side): the header's rows
    free = np.ones(hi - lo - 2 * half, bool)
    k = 0
    for row in occupied:
        band = np.lib.stride_tricks.sliding_window_view(row[lo:hi], 2 * half + 1).any(axis=1)
        still = np.nonzero(free & ~band[:len(free)])[0]
        if not len(still) or not (row[:lo + half + still[0]].any() and row[lo + half + still[-1]:].any()):
            break
        free = np.zeros_like(free)
        free[still] = True
        k += 1
    if k < 2 or k >= len(lines):
        return None
    columns = np.nonzero(free)[0]
    x = lo + half + int(columns[len(columns) // 2])
    head = occupied[:k]
    for side in (head[:, :x], head[:, x:]):
        centres = [(np.argmax(r) + len(r) - 1 - np.argmax(r[::-1])) / 2 for r in side if r.any()]
        if max(centres) - min(centres) > CENTRE_SPREAD_INCHES * dpi:
            return None
    return x, (int(lines[k - 1][1]) + int(lines[k][0])) // 2


def stacked(binary, cut, dpi, bottom=None):
    """(the page with the part above `bottom` (the whole page by default)
    cut at `cut` and its right part moved under its left one, at the left
    part's margin, the rest of the page after them; the move, for
    moved_back). Tesseract then reads one column, the left one first:
    beside each other, its layout analysis sometimes still read a line of
    each as one line, even with the gutter widened; at x 0 instead of the
    margin, it sometimes read the right part first."""
    h, w = binary.shape
    bottom = h if bottom is None else bottom
    inked = np.nonzero((binary[:bottom, :cut] < 128).any(axis=0))[0]
    margin = int(inked[0]) if len(inked) else 0
    gap = int(round(GAP_INCHES * dpi))
    right_top = bottom + gap
    rest_top = right_top + bottom + (gap if bottom < h else 0)
    out = np.full((rest_top + h - bottom, max(w, margin + w - cut)), 255, binary.dtype)
    out[:bottom, :cut] = binary[:bottom, :cut]
    out[right_top:right_top + bottom, margin:margin + w - cut] = binary[:bottom, cut:]
    out[rest_top:, :w] = binary[bottom:]
    return out, (cut, margin, bottom, right_top, rest_top)


def moved_back(words, move):
    """The words of the stacked page with their boxes on the page itself;
    `move` as stacked() gives it."""
    import dataclasses
    cut, margin, bottom, right_top, rest_top = move
    out = []
    for word in words:
        x0, y0, x1, y1 = word.bbox
        if y0 >= rest_top:                  # below the part that was cut
            box = (x0, y0 - rest_top + bottom, x1, y1 - rest_top + bottom)
        elif y0 >= bottom:                  # its right part
            box = (x0 - margin + cut, max(0, y0 - right_top), x1 - margin + cut,
                   max(1, min(bottom, y1 - right_top)))
        else:                               # its left part (never past the cut)
            box = (x0, y0, max(x0 + 1, min(x1, cut)), y1)
        out.append(dataclasses.replace(word, bbox=box))
    return out
