"""Turn a real scan or phone photo into a clean, upright, binary page image.

The steps, each cheap next to one tesseract run:
  1. keystone: find the page's quadrilateral on a dark background and warp it
     to a rectangle (only when a clear four-cornered page is found);
  2. drop coloured ink: the brightest channel of each pixel makes red seals
     and blue signatures nearly white while black print stays black;
  3. background normalisation: divide by a morphological close of the page,
     which flattens uneven light and shadows and whitens dark borders;
  4. orientation (quarter turns) and skew (±12°) from projection profiles of
     the ink, upside-down from where the ink of each text line sits
     (ascenders, capitals and Vietnamese tone marks lie above the x-height);
  5. resample to ~300 dpi text size, rotate, binarise (Otsu), remove dark
     strips touching the edge.

Beside the binary page it returns the colour page with the geometric
corrections only (keystone, quarter turns, deskew, scale): the same pixel
grid as the binary image, so the word boxes fit both; that colour image is
what the searchable PDF shows (seals and ink kept).
"""
from dataclasses import dataclass

import cv2
import numpy as np

TARGET_DPI = 300
PSM = 3                  # tesseract's automatic layout (columns, blocks): every page so far
# Median height (pixels) of the ink's connected components for 10-14 pt text
# at 300 dpi is about 30; below LOW we upscale, above HIGH we downscale.
TARGET_GLYPH_HEIGHT = 32.0
LOW_GLYPH_HEIGHT = 22.0
HIGH_GLYPH_HEIGHT = 70.0
MAX_SKEW = 12.0


@dataclass
class PreparedPage:
    """A page image ready for tesseract, and what was done to get it."""
    image: np.ndarray          # uint8, 0 = ink, 255 = paper
    colour: np.ndarray         # the page as scanned (HxWx3 RGB, or HxW when grey),
                               # same geometry as `image`, not cleaned
    dpi: int
    quarter_turns: int         # clockwise quarter turns applied (0-3)
    skew_degrees: float        # counter-clockwise rotation applied
    scale: float
    dewarped: bool
    psm: int = PSM             # tesseract page segmentation mode for this page
    dotted: bool = False       # a dot-matrix print (its dots joined)


def prepare_page(pixels, dpi=None, colour=True):
    """Clean one page. `pixels`: HxW gray or HxWx3 RGB uint8; `dpi` if known.
    Without `colour` the colour page is not made (.colour is None): only the
    text is wanted, no searchable PDF."""
    grey = pixels.ndim == 2 or _is_grey(pixels)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
    dewarped = False
    quad = find_page_quad(pixels)
    if quad is not None:
        pixels = warp_quad(pixels, quad)
        dewarped = True
        dpi = None   # a photo's pixel density says nothing about the paper
    gray, coloured = brightest_channel(pixels)
    flat = drop_coloured_ink(normalise_background(gray), coloured)
    small, factor = _binary_small(flat)
    lines = long_lines(small)
    if lines is not None:      # a fold's crease, a scanner's streak: gone, strokes kept
        flat = erase_lines(flat, lines)
        small, factor = _binary_small(flat)
    small = without_edge_strips(small)    # a copier's dark margin is no text line
    quarter, coarse = _quarter_turns(small)
    small = np.rot90(small, -quarter) if quarter else small
    angle = estimate_skew(small, coarse if not quarter else None)
    small = _rotate(small, angle, 0, cv2.INTER_NEAREST)
    if is_upside_down(small):
        quarter = (quarter + 2) % 4
    scale = _scale_for(small, factor, dpi)
    out_dpi = int(round((dpi or TARGET_DPI) * scale)) if dpi else TARGET_DPI
    turned = same_geometry(flat, quarter, angle, scale)
    binary = binarise(turned)
    pitch = dot_pitch(binary)
    if pitch:                  # a dot-matrix print: dots joined into strokes
        binary = join_dots(turned, pitch)
    if colour:
        colour = same_geometry(pixels[:, :, 0] if grey else pixels, quarter, angle, scale)
    else:
        colour = None
    return PreparedPage(binary, colour, out_dpi, quarter, angle, scale, dewarped, dotted=bool(pitch))


def same_geometry(pixels, quarter, angle, scale):
    """`pixels` turned, deskewed and scaled exactly as the binary page was
    (corners uncovered by the rotation are white)."""
    if quarter:
        pixels = np.rot90(pixels, -quarter)
    pixels = np.ascontiguousarray(pixels)
    fill = 255 if pixels.ndim == 2 else (255, 255, 255)
    # the canvas keeps the scan's size (100 % scale): deskewing never grows the page
    return _rotate(pixels, angle, fill, cv2.INTER_CUBIC, scale, keep_size=True)


def _is_grey(rgb):
    """True when the three channels are equal (a grey scan stored as RGB);
    looked at on every 4th row and column, which is enough to see colour."""
    sample = rgb[::4, ::4]
    return bool((sample[:, :, 0] == sample[:, :, 1]).all() and (sample[:, :, 1] == sample[:, :, 2]).all())


# -- 1. keystone ---------------------------------------------------------------

# A desk around a photographed page is bare: almost nothing on it is much
# darker than the desk itself. Text under a fold's shadow is (10 % of the
# "desk" was print on a held-out folded page, which lost its lower half).
OUTSIDE_INK_STEP = 50
OUTSIDE_INK_SHARE = 0.02


def find_page_quad(rgb, work_size=900):
    """The page's four corners (full-resolution, tl tr br bl) or None."""
    h, w = rgb.shape[:2]
    f = work_size / max(h, w)
    step = max(1, int(round(1 / f / 1.5)))   # every 2nd (3rd...) pixel first: an outline needs no more
    coarse = rgb[::step, ::step] if step > 1 else rgb
    small = cv2.resize(coarse, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    total = small.shape[0] * small.shape[1]
    if not 0.2 * total < area < 0.93 * total:
        return None
    approx = cv2.approxPolyDP(contour, 0.02 * cv2.arcLength(contour, True), True)
    if len(approx) != 4 or not cv2.isContourConvex(approx):
        return None
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, approx, 255)
    inside, outside = gray[mask > 0], gray[mask == 0]
    background = np.median(outside)
    if outside.size < 0.05 * total or np.median(inside) - background < 60:
        return None   # not a bright page on a clearly darker background
    if (outside < background - OUTSIDE_INK_STEP).mean() > OUTSIDE_INK_SHARE:
        return None   # print outside: a shadow across the page (a fold), not the desk
    return _order_corners(approx.reshape(4, 2).astype(np.float32) / f)


def _order_corners(points):
    s, d = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.float32([points[np.argmin(s)], points[np.argmin(d)],
                       points[np.argmax(s)], points[np.argmax(d)]])


def warp_quad(rgb, quad):
    tl, tr, br, bl = quad
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    matrix = cv2.getPerspectiveTransform(quad, target)
    return cv2.warpPerspective(rgb, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


# -- 2. coloured ink ---------------------------------------------------------------

COLOUR_CHROMA = 60     # max - min channel above which a pixel is coloured ink
DARK_INK = 110         # normalised brightness below which a pixel is kept as print


def brightest_channel(rgb):
    """Per pixel max(R, G, B) (red and blue ink turn nearly white, black
    print stays black) and the mask of clearly coloured pixels."""
    r, g, b = cv2.split(np.ascontiguousarray(rgb))
    high = cv2.max(cv2.max(r, g), b)
    low = cv2.min(cv2.min(r, g), b)
    return high, cv2.subtract(high, low) > COLOUR_CHROMA


def drop_coloured_ink(flat, coloured):
    """Whiten coloured pixels that are not dark after normalisation: a
    signature's or seal's remains (also in shadow and JPEG-smeared), while
    black print under the seal, whose JPEG colour bleeds, stays."""
    flat[coloured & (flat > DARK_INK)] = 255
    return flat


# -- 3. background ---------------------------------------------------------------

def normalise_background(gray):
    """Divide by the paper's own brightness: flat white paper, dark ink."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.GaussianBlur(background, (0, 0), 4)
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(gray, np.maximum(background, 1), scale=255)
    return flat


# -- creases and long lines ----------------------------------------------------

def long_lines(ink):
    """Mask (of the small ink image) of long thin lines that no text makes:
    a fold's crease, a scanner's streak, across or down the page (either
    way: the page may still be turned). None when there are none."""
    h, w = ink.shape
    found = None
    for length, axis in ((max(20, w // 30), 0), (max(20, h // 30), 1)):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if axis == 0 else (1, length))
        runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        if not runs.any():
            continue
        joined = cv2.dilate(runs, np.ones((3, 3), np.uint8))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        span = stats[:, cv2.CC_STAT_WIDTH] if axis == 0 else stats[:, cv2.CC_STAT_HEIGHT]
        thick = stats[:, cv2.CC_STAT_HEIGHT] if axis == 0 else stats[:, cv2.CC_STAT_WIDTH]
        across = w if axis == 0 else h
        keep = (span >= 0.45 * across) & (thick <= 0.06 * across + 8)
        keep[0] = False
        if keep.any():
            mask = keep[labels] & (runs > 0)
            found = mask if found is None else (found | mask)
    return found


def erase_lines(flat, lines):
    """Lift the pixels of `lines` (a mask at a smaller scale) to the paper on
    the full page, keeping the strokes that cross them: along the line, a
    closing longer than any glyph's stroke gives the line's own darkness
    (text has gaps, the line has none), and the page is divided by it there."""
    h, w = flat.shape
    sh, sw = lines.shape
    ys, xs = np.nonzero(lines)
    across = (xs.max() - xs.min()) >= (ys.max() - ys.min())      # (one scale both ways)
    # only the band the lines cross is worked on (a crease is a few rows of a page)
    pad = 40                   # beyond half the closing (30) and the dilation (3)
    y0, y1 = max(0, ys.min() * h // sh - pad), min(h, (ys.max() + 1) * h // sh + pad)
    x0, x1 = max(0, xs.min() * w // sw - pad), min(w, (xs.max() + 1) * w // sw + pad)
    mask = cv2.resize(lines.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)[y0:y1, x0:x1]
    mask = cv2.dilate(mask, np.ones((7, 7), np.uint8))
    band = flat[y0:y1, x0:x1]
    kernel = np.ones((1, 61) if across else (61, 1), np.uint8)
    line = cv2.morphologyEx(band, cv2.MORPH_CLOSE, kernel)
    lifted = cv2.divide(band, np.maximum(line, 1), scale=255)
    out = flat.copy()
    out[y0:y1, x0:x1][mask > 0] = lifted[mask > 0]
    return out


# -- dot-matrix print -------------------------------------------------------------

DOT_GAPS = 0.042      # ink a 5x5 closing adds, over the ink, above which the print is dotted


def dot_pitch(binary):
    """The dot spacing (pixels) when the ink is made of dots with gaps
    between them (a dot-matrix printer's), else None: a small closing fills
    those gaps, and adds almost nothing to solid strokes."""
    h = binary.shape[0]
    rows = (binary < 128).sum(axis=1)
    if rows.sum() < 500:
        return None
    # a band of the page as tall as a quarter of it, where the ink is densest
    band = max(64, h // 4)
    sums = np.concatenate(([0], np.cumsum(rows)))
    start = int(np.argmax(sums[band:] - sums[:-band])) if h > band else 0
    ink = (binary[start:start + band] < 128).astype(np.uint8)
    total = int(ink.sum())
    if total < 500:
        return None
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    added = int(closed.sum()) - total
    return 4.0 if added > DOT_GAPS * total else None


DOT_BLUR = 0.375       # of the dot pitch: the gaps between dots closed, the marks kept round
DOT_HALO = 15          # grey levels above Otsu's: a dot's faint rim is ink too


def join_dots(flat, pitch):
    """Binarise a dotted page blurred by over a third of a dot, counting the
    blur's rim as ink: solid, smooth strokes. (Blurred less, or cut at
    Otsu's level, the strokes stay ragged and tesseract reads small marks
    wrong: d as đ, Ễ as Ê; 1.2 % -> 0.8 % CER over 18 dot-matrix pages.)"""
    return binarise(cv2.GaussianBlur(flat, (0, 0), DOT_BLUR * pitch), above_otsu=DOT_HALO)


def binarise(flat, above_otsu=0):
    """Otsu's threshold (raised by `above_otsu` grey levels: bolder strokes),
    then edge strips and specks removed."""
    smooth = cv2.GaussianBlur(flat, (3, 3), 0)
    level, binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if above_otsu:
        _, binary = cv2.threshold(smooth, level + above_otsu, 255, cv2.THRESH_BINARY)
    return remove_edge_strips(binary)


SPECK_AREA = 40          # pixels (at ~300 dpi): a dot below a letter is about 25-40
SPECK_DISTANCE = 12      # a mark this far from any larger ink is toner, not a tone mark
DUST_AREA = 12           # pixels (at ~300 dpi): below any mark of print (a full stop of 8 pt
                         # is about 25): toner dust, also beside a letter


def _edge_strips(stats, h, w):
    """Which components (stats of connectedComponentsWithStats on an h x w
    image) are big dark marks touching the edge; the background never."""
    x, y, bw, bh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    near = int(0.005 * max(h, w)) + 1
    touches = (x <= near) | (y <= near) | (x + bw >= w - near) | (y + bh >= h - near)
    strips = touches & ((bw > 0.15 * w) | (bh > 0.15 * h))
    strips[0] = False
    return strips


def remove_edge_strips(binary):
    """Whiten big dark components at the image's edge (scanner borders, a
    copier's dark margins, also when deskewing left a white sliver beside
    them) and specks of toner far from any text. Looked at on a half-size
    copy (one labelling for both), whitened at full size."""
    h, w = binary.shape
    half = cv2.resize(binary, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    ink = (half < 192).astype(np.uint8)         # any ink in the 2x2 block
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return binary
    hh, hw = ink.shape
    x, y, bw, bh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    area = stats[:, cv2.CC_STAT_AREA]
    strips = _edge_strips(stats, hh, hw)
    small = area <= SPECK_AREA / 4
    small[0] = False
    specks = np.zeros(count, bool)
    if small.any():
        # a small mark with no larger ink within SPECK_DISTANCE is a speck
        # (specks near each other are still specks: only larger ink counts)
        larger = (~small) & (~strips)
        larger[0] = False
        mask = larger[labels].astype(np.uint8)
        sums = cv2.integral(mask, sdepth=cv2.CV_32S)
        d = SPECK_DISTANCE // 2
        x0, y0 = np.clip(x - d, 0, hw), np.clip(y - d, 0, hh)
        x1, y1 = np.clip(x + bw + d, 0, hw), np.clip(y + bh + d, 0, hh)
        around = sums[y1, x1] - sums[y0, x1] - sums[y1, x0] + sums[y0, x0]
        specks = small & ((around == 0) | (area <= DUST_AREA / 4))
    if not strips.any() and not specks.any():
        return binary
    drop = cv2.resize((strips | specks)[labels].astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    drop = cv2.dilate(drop, np.ones((3, 3), np.uint8))
    out = binary.copy()
    out[drop > 0] = 255
    return out


# -- 4. orientation and skew ---------------------------------------------------------

def _binary_small(flat, width=1200):
    """Ink mask (1 = ink) at about `width` pixels wide, and the scale factor used."""
    h, w = flat.shape
    f = min(1.0, width / max(h, w))
    small = cv2.resize(flat, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink, f


def without_edge_strips(ink):
    """The ink mask (1 = ink) without big marks touching its edge (a
    scanner's border, a copier's dark margin), for orientation and skew:
    a dark strip down the side of a landscape page scored as a sharper
    profile than its text lines and turned it a quarter, and strips
    misled the upside-down test too (12 of 60 twice-copied pages came out
    turned)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return ink
    strips = _edge_strips(stats, *ink.shape)
    if not strips.any():
        return ink
    return np.where(strips[labels], 0, ink).astype(ink.dtype)


def _profile_score(ys, length):
    hist = np.bincount(ys, minlength=length).astype(np.float64)
    return float(np.square(np.diff(hist)).sum())


MAX_POINTS = 120_000


def _ink_points(ink):
    """The ink's coordinates (at most MAX_POINTS of them, evenly taken), as floats."""
    ys, xs = np.nonzero(ink)
    if ys.size > MAX_POINTS:
        step = ys.size / MAX_POINTS
        pick = (np.arange(MAX_POINTS) * step).astype(np.int64)
        ys, xs = ys[pick], xs[pick]
    return ys.astype(np.float32), xs.astype(np.float32)


def _best_angle(ink, angles, points=None):
    """(angle, score) of the angle whose row profile is sharpest; `points`:
    the ink's (ys, xs) when already taken (then `ink` gives only the shape)."""
    ys, xs = points if points is not None else _ink_points(ink)
    if ys.size < 50:
        return 0.0, 0.0
    h, w = ink.shape
    best = (0.0, -1.0)
    for a in angles:
        t = np.deg2rad(a)
        proj = ys * np.float32(np.cos(t)) - xs * np.float32(np.sin(t)) + np.float32(w * abs(np.sin(t)))
        score = _profile_score(proj.astype(np.int64), int(h + w) + 2)
        if score > best[1]:
            best = (float(a), score)
    return best


def estimate_skew(ink, coarse=None):
    """The angle (degrees, counter-clockwise) that makes the text lines level
    (`coarse`: the best whole degree when already known)."""
    if coarse is None:
        coarse, _ = _best_angle(ink, np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0))
    fine, _ = _best_angle(ink, np.arange(coarse - 1.0, coarse + 1.01, 0.1))
    return round(fine, 2)


def quarter_turns(ink):
    """0 when text lines run across the image, 1 when they run down it.

    Angles every degree: with 2° steps a page turned a quarter and skewed by
    an odd number of degrees scored about equal both ways and was not turned."""
    return _quarter_turns(ink)[0]


def _quarter_turns(ink):
    """quarter_turns() and the best whole degree across (the skew's coarse
    step, measured on the way)."""
    angles = np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0)
    ys, xs = _ink_points(ink)
    coarse, across = _best_angle(ink, angles, (ys, xs))
    _, down = _best_angle(ink.T, angles, (xs, ys))     # the transposed page: the same points
    return (1 if down > across * 1.15 else 0), coarse


def text_lines(row_profile, min_height=3):
    rows = row_profile > max(1, 0.02 * row_profile.max())
    edges = np.diff(np.concatenate(([0], rows.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    return [(s, e) for s, e in zip(starts, ends) if e - s >= min_height]


def is_upside_down(ink):
    """Upright Latin/Vietnamese print has far more ink above its x-height band
    (capitals, ascenders, tone marks) than below it (descenders, commas)."""
    profile = ink.sum(axis=1).astype(np.float64)
    above = below = 0.0
    for start, end in text_lines(profile):
        line = profile[start:end]
        core = np.nonzero(line >= 0.5 * line.max())[0]
        above += line[:core[0]].sum()
        below += line[core[-1] + 1:].sum()
    return below > above * 1.1


def _scale_for(ink, factor, dpi):
    if dpi and 100 <= dpi <= 1200:
        return TARGET_DPI / dpi if dpi < 250 or dpi > 400 else 1.0
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    heights = heights[heights >= 2]
    if heights.size < 20:
        return 1.0
    glyph = float(np.median(heights)) / factor
    if glyph < LOW_GLYPH_HEIGHT or glyph > HIGH_GLYPH_HEIGHT:
        return float(np.clip(TARGET_GLYPH_HEIGHT / glyph, 0.25, 3.0))
    return 1.0


def _rotate(image, angle, fill, interpolation, scale=1.0, keep_size=False):
    """Rotate by `angle` degrees counter-clockwise and scale, growing the canvas
    (or, with keep_size, on a canvas of the scaled image's own size, centred)."""
    h, w = image.shape[:2]
    if abs(angle) < 0.05 and abs(scale - 1.0) < 1e-3:
        return image
    if abs(angle) < 0.05:
        return cv2.resize(image, (int(round(w * scale)), int(round(h * scale))),
                          interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    if keep_size:
        nw, nh = int(round(w * scale)), int(round(h * scale))
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, matrix, (nw, nh), flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
