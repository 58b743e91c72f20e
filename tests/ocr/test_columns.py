"""Two columns with a narrow gutter are read one after the other."""
import numpy as np
import pytest

from ocr import recognize
from ocr.columns import find_gutter
from ocr.preprocess import prepare_page

from . import scans
from .support import needs_tesseract


def _prepared(image):
    return prepare_page(np.asarray(image.convert("RGB")), 300, colour=False)


@pytest.mark.parametrize("lines", [scans.UNSEEN_LINES, scans.HELDOUT_LINES, scans.PAPER_LINES])
@pytest.mark.parametrize("seed", [4, 10])
def test_the_gutter_is_found_just_left_of_the_right_column(lines, seed):
    page = _prepared(scans.degraded("two_column", lines, seed))
    cut = find_gutter(page.image, page.dpi)
    assert cut is not None
    ink = page.image < 128
    # in the lines beside each other, the right column starts within 0.05 in
    # after the cut (one line of the left column may run up to it)
    rows = ink.any(axis=1)
    bands = np.split(np.arange(len(rows)), np.nonzero(np.diff(rows.astype(int)))[0] + 1)
    starts = [int(np.argmax(ink[band, cut:].any(axis=0))) for band in bands
              if rows[band[0]] and len(band) > 20 and ink[band, cut:].any()]
    assert len(starts) >= 5
    assert sum(0 < start <= 15 for start in starts) >= len(starts) - 1


@pytest.mark.parametrize("image", [
    scans.render_page(lines=scans.PAPER_LINES),
    scans.render_page(lines=scans.UNSEEN_LINES),
    scans.render_official_header_page(),             # two header blocks side by side, then one column
    scans.degraded("signature", scans.HELDOUT_LINES, 3),
])
def test_a_page_in_one_column_has_no_gutter(image):
    page = _prepared(image)
    assert find_gutter(page.image, page.dpi) is None


@needs_tesseract
def test_columns_a_line_runs_across_are_read_one_after_the_other(tmp_path):
    """The left column's capitals line reaches the right column: read as one
    page, three quarters of the text came out interleaved."""
    image = scans.degraded("two_column", scans.UNSEEN_LINES, 4)
    path = tmp_path / "page.png"
    path.write_bytes(scans.image_bytes(image))
    result = recognize(str(path), workers=1)
    assert scans.cer(scans.truth("two_column", scans.UNSEEN_LINES), result.text) < 0.01
    page = result.pages[0]
    assert (page.width, page.height) == image.size
    for word in page.words:
        x0, y0, x1, y1 = word.bbox
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    # the right column's first word sits right of the left column's last
    words = [w.text for w in page.words]
    first_right = words.index("thị")
    assert page.words[first_right].bbox[0] > max(w.bbox[2] for w in page.words[:first_right]) - 400
    assert page.words[first_right].bbox[0] > page.width / 2
