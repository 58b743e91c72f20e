"""Two columns with a narrow gutter are read one after the other."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from ocr import recognize
from ocr.columns import find_gutter, find_header_split
from ocr.preprocess import prepare_page

from . import scans
from .support import needs_tesseract


def _prepared(image):
    return prepare_page(np.asarray(image.convert("RGB")), 300, colour=False)


def _rows_page(rows, xs_mm, dpi=300, point=12):
    """Rows of cells, each cell's text at its x (mm): a form or a table."""
    px, size = dpi / 25.4, int(round(point * dpi / 72))
    font, lead = scans._font(scans.FONT_PATHS, size), int(size * 1.6)
    page = Image.new("RGB", (int(210 * px), int(36 * px) + lead * len(rows)), scans.PAPER)
    draw = ImageDraw.Draw(page)
    for n, cells in enumerate(rows):
        for x, cell in zip(xs_mm, cells):
            draw.text((int(x * px), int(18 * px) + n * lead), cell, font=font, fill=scans.INK)
    page.info["dpi"] = (dpi, dpi)
    return page


FORM = [("TỜ KHAI ĐĂNG KÝ THƯỜNG TRÚ CHO CON TRONG GIA ĐÌNH",),
        ("Kính gửi: Uỷ ban nhân dân xã Yên Bình, huyện Vị Xuyên",),
        ("Họ và tên:", "NGUYỄN VĂN AN"), ("Ngày sinh:", "01/02/1980"), ("Giới tính:", "Nam"),
        ("Dân tộc:", "Kinh"), ("Quốc tịch:", "Việt Nam"), ("Nơi cư trú:", "thôn Nà Nèn"),
        ("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm.",),
        ("Đề nghị cơ quan đăng ký thường trú cho con tôi theo quy định của pháp luật.",)]
TABLE = [("STT", "Họ và tên", "Ngày sinh", "Nơi cư trú"), ("1", "Nguyễn Văn An", "01/02/1980", "Yên Bình"),
         ("2", "Trần Thị Bình", "11/12/1985", "Vị Xuyên"), ("3", "Lê Văn Cường", "21/03/1990", "Hà Giang"),
         ("4", "Phạm Thị Dung", "05/06/1979", "Quang Bình"), ("5", "Hoàng Văn Em", "07/08/2001", "Bắc Mê")]


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
    _rows_page(FORM, (25, 80)),       # labels and values, and sentences across the page
])
def test_a_page_in_one_column_has_no_gutter(image):
    page = _prepared(image)
    assert find_gutter(page.image, page.dpi) is None


@pytest.mark.parametrize("image", [
    scans.render_page(lines=scans.PAPER_LINES),
    scans.render_page(lines=scans.HELDOUT_LINES),     # the agency's line alone, the motto under it
    scans.degraded("two_column", scans.UNSEEN_LINES, 4),
    _rows_page(FORM, (25, 80)),
    _rows_page(TABLE, (25, 40, 95, 130)),
    _rows_page(FORM[2:], (25, 80)),                    # labels and values from the first line: not centred
])
def test_only_an_official_header_is_split_above_its_body(image):
    page = _prepared(image)
    assert find_header_split(page.image, page.dpi) is None


@pytest.mark.parametrize("skew", [0.0, 2.0])
def test_the_official_header_is_split_between_its_blocks(skew):
    page = _prepared(scans.skew(scans.render_official_header_page(), skew) if skew
                     else scans.render_official_header_page())
    x, bottom = find_header_split(page.image, page.dpi)
    ink = page.image < 128
    assert not ink[:bottom, x - 30:x + 30].any()        # the gap between the blocks
    assert ink[:bottom, :x].any() and ink[:bottom, x:].any()
    assert ink[bottom:, x - 30:x + 30].any()             # the body's lines run across


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


@needs_tesseract
def test_a_table_cut_in_two_is_read_from_its_first_column(tmp_path):
    """Stacked at x 0, the right half of a table was read before the left."""
    path = tmp_path / "table.png"
    path.write_bytes(scans.image_bytes(_rows_page(TABLE, (25, 40, 95, 130))))
    text = recognize(str(path), workers=1).text
    assert text.split()[0] == "STT"
    assert text.index("Nguyễn Văn An") < text.index("01/02/1980")


@needs_tesseract
def test_the_official_header_is_read_block_by_block(tmp_path):
    """Read as one page, each line of the agency's block ran into the line
    of the motto's beside it ("UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI…")."""
    path = tmp_path / "page.png"
    path.write_bytes(scans.image_bytes(scans.render_official_header_page()))
    page = recognize(str(path), workers=1).pages[0]
    lines = [line for line in page.text.splitlines() if line.strip()]
    assert lines[:3] == list(scans.HEADER_LEFT)
    assert lines[3:6] == list(scans.HEADER_RIGHT)
    assert lines[6:] == list(scans.BODY)
    words = {w.text: w.bbox for w in page.words}
    assert words["CỘNG"][0] > words["DÂN"][2] and abs(words["CỘNG"][1] - words["UỶ"][1]) < 30
    assert words["GIẤY"][1] > words["Yên"][3]
