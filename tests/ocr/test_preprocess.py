"""The preprocessing steps alone (no tesseract)."""
import numpy as np
import pytest

from ocr import preprocess
from tests.ocr import scans


def ink(image):
    flat = preprocess.normalise_background(np.asarray(image.convert("RGB")).max(axis=2))
    return preprocess._binary_small(flat)[0]


@pytest.mark.parametrize("degrees", [-7.0, -2.0, 3.0, 9.0])
def test_skew_is_measured(degrees):
    image = scans.skew(scans.render_page(dpi=150), degrees)
    assert abs(preprocess.estimate_skew(ink(image)) + degrees) < 0.3


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_orientation(turn):
    image = scans.render_page(dpi=150)
    if turn:
        image = scans.rotate_quarter(image, turn)
    mask = ink(image)
    quarter = preprocess.quarter_turns(mask)
    assert quarter == (turn // 90) % 2
    if quarter:
        mask = np.rot90(mask, -1)
    assert preprocess.is_upside_down(mask) == (turn in (180, 270))


def test_page_quad_found_only_on_a_photo():
    photo = np.asarray(scans.keystone(scans.render_page(dpi=150)))
    quad = preprocess.find_page_quad(photo)
    assert quad is not None
    h, w = photo.shape[:2]
    assert quad[0][0] < quad[1][0] and quad[0][1] < quad[3][1]
    assert preprocess.find_page_quad(np.asarray(scans.render_page(dpi=150))) is None


def test_uneven_light_is_flattened_and_seal_dropped():
    page = scans.uneven_light(scans.red_seal_and_signature(scans.render_page(dpi=150)))
    gray = np.asarray(page).max(axis=2)
    flat = preprocess.normalise_background(gray)
    paper = flat[gray > 0]  # everything
    # the paper is nearly white everywhere after normalisation
    corners = [flat[5:40, 5:40], flat[-40:-5, -40:-5], flat[5:40, -40:-5]]
    assert all(np.median(c) > 240 for c in corners)
    binary = preprocess.binarise(flat)
    assert (binary == 0).mean() < 0.08   # text only: no seal disc, no shadow band
    assert paper.size


def test_low_resolution_is_upscaled():
    page = np.asarray(scans.render_page(dpi=200))
    prepared = preprocess.prepare_page(page, dpi=200)
    assert prepared.dpi == 300 and abs(prepared.scale - 1.5) < 1e-6
    assert prepared.image.shape[1] == round(page.shape[1] * 1.5)
    assert prepared.colour.shape == prepared.image.shape + (3,)


def test_colour_page_gets_the_same_turn_and_deskew():
    page = scans.skew(scans.rotate_quarter(scans.red_seal_and_signature(
        scans.render_page(dpi=150)), 90), 3.0)
    prepared = preprocess.prepare_page(np.asarray(page), dpi=150)
    assert prepared.quarter_turns == 1 and abs(prepared.skew_degrees + 3.0) < 0.3
    assert prepared.colour.shape == prepared.image.shape + (3,)
    # the text of the colour page falls where the binary page's text is
    dark = prepared.colour.max(axis=2) < 100
    ink = prepared.image == 0
    assert (dark & ink).sum() > 0.8 * dark.sum()


def test_dark_scanner_border_is_whitened():
    page = scans.dark_border(scans.render_page(dpi=150))
    prepared = preprocess.prepare_page(np.asarray(page), dpi=300)
    image = prepared.image
    for edge in (image[:10], image[-10:], image[:, :10], image[:, -10:]):
        assert (edge == 0).mean() < 0.01
    assert (image == 0).mean() > 0.01       # the text is still there


# -- issue 13: creases, dots, specks; text only ---------------------------------------

def prepared(kind, seed=0, **kw):
    image = scans.degraded(kind, lines=scans.HELDOUT_LINES, seed=seed)
    return preprocess.prepare_page(np.asarray(image.convert("RGB")), 300, **kw)


def test_a_crease_is_lifted_and_no_ink_row_crosses_the_page():
    page = prepared("folded", seed=2, colour=False)
    clean = preprocess.prepare_page(np.asarray(scans.render_page(lines=scans.HELDOUT_LINES).convert("RGB")), 300)
    # a crease left dark would cover a whole row: no row has more ink than the text's own
    assert (page.image < 128).mean(axis=1).max() < (clean.image < 128).mean(axis=1).max() + 0.05
    # the text's own ink is kept (within a few percent of the clean page's)
    assert abs((page.image < 128).sum() / (clean.image < 128).sum() - 1) < 0.08


@pytest.mark.parametrize("lines", [scans.HELDOUT_LINES, scans.PAPER_LINES])
def test_a_fold_shadow_is_not_taken_for_the_desk(lines):
    # the lower third of this folded page, grey in a fold's shadow, was once
    # taken for the desk around a photographed page: the page was cut there
    image = scans.degraded("folded", lines=lines, seed=17)
    pixels = np.asarray(image.convert("RGB"))
    assert preprocess.find_page_quad(pixels) is None
    page = preprocess.prepare_page(pixels, 300, colour=False)
    assert not page.dewarped and page.image.shape == pixels.shape[:2]


def test_dot_matrix_is_seen_and_clean_print_is_not():
    dotted = scans.degraded("dot_matrix", lines=scans.HELDOUT_LINES, seed=1)
    grey = np.asarray(dotted.convert("L"))
    assert preprocess.dot_pitch(preprocess.binarise(grey))
    clean = np.asarray(scans.render_page(lines=scans.HELDOUT_LINES).convert("L"))
    assert preprocess.dot_pitch(preprocess.binarise(clean)) is None


def test_toner_specks_go_and_tone_marks_stay():
    clean = preprocess.prepare_page(np.asarray(scans.render_page(lines=scans.HELDOUT_LINES).convert("RGB")), 300)
    assert (preprocess.remove_edge_strips(clean.image) == clean.image).all()   # dots of ạ, ị, full stops kept
    specked = clean.image.copy()
    rng = np.random.default_rng(5)
    ys, xs = rng.integers(0, 40, 30), rng.integers(0, specked.shape[1] - 4, 30)   # in the empty top margin
    for y, x in zip(ys, xs):
        specked[y:y + 3, x:x + 3] = 0
    assert (preprocess.remove_edge_strips(specked)[:45] == 255).all()


def test_text_only_makes_no_colour_page():
    assert prepared("stamp", colour=False).colour is None
    assert prepared("stamp").colour.shape[:2] == prepared("stamp").image.shape


@pytest.mark.parametrize("lines, seed", [(scans.HELDOUT_LINES, 13), (scans.PAPER_LINES, 13), (scans.PAPER_LINES, 14)])
def test_a_copy_with_dark_margins_is_not_turned(lines, seed):
    # a copier's dark strip down the left side and along the bottom once
    # turned these landscape pages a quarter or upside down
    image = scans.degraded("photocopy2", lines=lines, seed=seed)
    page = preprocess.prepare_page(np.asarray(image.convert("RGB")), 300, colour=False)
    assert page.quarter_turns == 0 and abs(page.skew_degrees) < 2


def test_edge_strips_leave_the_orientation_ink():
    ink = np.zeros((300, 500), np.uint8)
    ink[:, :8] = 1                     # a dark margin down the side
    ink[100:110, 100:130] = 1          # a letter
    ink[290:, 480:] = 1                # a small mark at the corner: not a strip
    out = preprocess.without_edge_strips(ink)
    assert not out[:, :8].any()
    assert out[100:110, 100:130].all() and out[290:, 480:].all()


def test_a_dot_matrix_page_is_marked_dotted_and_a_clean_one_is_not():
    assert prepared("dot_matrix", seed=1, colour=False).dotted
    assert not prepared("folded", seed=1, colour=False).dotted
