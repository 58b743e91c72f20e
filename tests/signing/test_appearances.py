"""Each appearance profile renders where RULES-VN says, as pdftoppm shows it."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from signing import load_p12_signer, sign_pdf
from signing.appearances import field_box, make_seal_image

from .conftest import make_text_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")


def render_page_one(pdf_bytes, tmp_path, name):
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                    str(src), str(tmp_path / name)], check=True)
    return np.asarray(Image.open(tmp_path / f"{name}.png").convert("RGB")).astype(int)


def changed(before, after, region):
    (y0, y1), (x0, x1) = region
    diff = np.abs(before[y0:y1, x0:x1] - after[y0:y1, x0:x1]).sum(axis=2)
    return int((diff > 60).sum())


@pytest.fixture(scope="module")
def signers(pki):
    return {who: load_p12_signer(pki.directory / f"{who}.p12", pki.passphrase)
            for who in ("officer", "agency")}


# A4 at 100 dpi: 827 x 1170 pixels; regions are (rows, columns)
TOP_LEFT = ((0, 130), (0, 414))
TOP_RIGHT = ((0, 130), (414, 827))
BOTTOM_RIGHT = ((800, 1170), (414, 827))
BOTTOM_LEFT = ((800, 1170), (0, 414))


def test_digitized_stamp_is_top_left(tmp_path, signers):
    pdf = make_text_pdf()
    before = render_page_one(pdf, tmp_path, "before")
    after = render_page_one(sign_pdf(pdf, signers["officer"], "digitized"), tmp_path, "digitized")
    assert changed(before, after, TOP_LEFT) > 500
    assert changed(before, after, TOP_RIGHT) == 0
    assert changed(before, after, BOTTOM_RIGHT) == 0


def test_copy_stamp_is_top_right_black_with_embedded_font(tmp_path, signers):
    pdf = make_text_pdf()
    before = render_page_one(pdf, tmp_path, "before")
    signed = sign_pdf(pdf, signers["agency"], "copy", copy_kind="SAO Y")
    after = render_page_one(signed, tmp_path, "copy")
    assert changed(before, after, TOP_RIGHT) > 300
    assert changed(before, after, TOP_LEFT) == 0
    (y0, y1), (x0, x1) = TOP_RIGHT
    region = after[y0:y1, x0:x1]
    inked = region[region.sum(axis=2) < 600]
    # black text: no coloured ink (grey anti-aliasing only)
    assert (np.ptp(inked, axis=1) < 40).all()
    (tmp_path / "copy.pdf").write_bytes(signed)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "copy.pdf")], capture_output=True,
                           text=True, check=True).stdout
    rows = [line for line in fonts.splitlines() if "Serif" in line or "Sans" in line]
    assert rows, fonts
    assert all(line.split()[-5] == "yes" for line in rows), fonts   # emb column


def test_result_seal_is_red_over_blue_signature(tmp_path, signers):
    pdf = make_text_pdf()
    after = render_page_one(sign_pdf(pdf, signers["agency"], "result"), tmp_path, "result")
    (y0, y1), (x0, x1) = BOTTOM_RIGHT
    region = after[y0:y1, x0:x1]
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    red = (r > 170) & (g < 90) & (b < 90)
    blue = (b > 120) & (r < 90) & (g < 110)
    assert red.sum() > 2000          # a seal ~36 mm across, not a speck
    assert blue.sum() > 200
    # the seal overlaps the signature's left third: red spans left of most blue
    red_cols = np.where(red.any(axis=0))[0]
    blue_cols = np.where(blue.any(axis=0))[0]
    assert red_cols.min() < blue_cols.min() < red_cols.max() < blue_cols.max()
    # and it is about 36 mm wide (142 px at 100 dpi)
    assert 120 < red_cols.max() - red_cols.min() < 160


def test_rotated_page_gets_the_stamp_top_left_as_displayed(tmp_path, signers):
    pdf = make_text_pdf(rotate=90)
    before = render_page_one(pdf, tmp_path, "rot-before")
    signed = sign_pdf(pdf, signers["officer"], "digitized")
    after = render_page_one(signed, tmp_path, "rot")
    assert before.shape[1] > before.shape[0]        # landscape as displayed
    assert changed(before, after, ((0, 130), (0, 414))) > 500
    assert changed(before, after, ((0, 130), (700, 1170))) == 0


def test_seal_image_is_transparent_red_circle():
    seal = make_seal_image("Ủy ban nhân dân xã Minh Khai", diameter_mm=36, dpi=300)
    assert seal.mode == "RGBA" and seal.size == (425, 425)
    alpha = np.asarray(seal)[..., 3]
    assert alpha[0, 0] == 0 and alpha[212, 212] > 0   # clear corners, inked centre


def test_field_box_follows_mediabox_and_rotation():
    # an A4 page whose MediaBox does not start at 0
    assert field_box([10, 20, 605, 862], 0, "top-left", 100, 40, 18) == (28, 804, 128, 844)
    assert field_box([0, 0, 595, 842], 0, "top-right", 100, 40, 18) == (477, 784, 577, 824)
    # turned 90° clockwise: the displayed top-left is the page's bottom-left
    assert field_box([0, 0, 595, 842], 90, "top-left", 100, 40, 18) == (18, 18, 58, 118)
    # turned 90° anticlockwise: the displayed top-left is the page's top-right
    assert field_box([0, 0, 595, 842], 270, "top-left", 100, 40, 18) == (537, 724, 577, 824)
    assert field_box([0, 0, 595, 842], 180, "top-left", 100, 40, 18) == (477, 18, 577, 58)
