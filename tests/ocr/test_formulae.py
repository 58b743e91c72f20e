"""The formulae of administrative papers put back where the OCR misread a mark."""
import subprocess

import pytest

from ocr import recognize
from ocr.formulae import correct_text

from . import scans
from .support import needs_tesseract


@pytest.mark.parametrize("read, meant", [
    ("Độc lập - Tự đo - Hạnh phúc", "Độc lập - Tự do - Hạnh phúc"),
    ("ĐỘC LẬP - TỰ ĐO - HẠNH PHÚC", "ĐỘC LẬP - TỰ DO - HẠNH PHÚC"),
    ("Số định đanh cá nhân: 002087004512", "Số định danh cá nhân: 002087004512"),
    ("Họ. chữ đệm, tên: NGUYÊN VĂN HÙNG", "Họ, chữ đệm, tên: NGUYỄN VĂN HÙNG"),
    ("xác nhận ông: TRÂN QUỐC KHÁNH", "xác nhận ông: TRẦN QUỐC KHÁNH"),
    ("tên người mẹ: TRẢN THỊ LAN, nãm sinh 1995", "tên người mẹ: TRẦN THỊ LAN, năm sinh 1995"),
    ("Thuận Hoà, ngay 14 tháng 3 nám 2025", "Thuận Hoà, ngày 14 tháng 3 năm 2025"),
    ("giới tính: Nam, đân tộc: Tày", "giới tính: Nam, dân tộc: Tày"),
    ("Sinh ngày: 03/11/1987. giới tính: Nam", "Sinh ngày: 03/11/1987, giới tính: Nam"),
    ("thôn Nà Nhùng. xã Thuận Hoà. huyện Vị Xuyên", "thôn Nà Nhùng, xã Thuận Hoà, huyện Vị Xuyên"),
    ("quê quán: huyện VỊ Xuyên", "quê quán: huyện Vị Xuyên"),
    ("Lý do: bô sung hô sơ đăng ký kết hôn", "Lý do: bổ sung hồ sơ đăng ký kết hôn"),
    ("GIẦY CHỨNG NHẬN KẾT HÔN", "GIẤY CHỨNG NHẬN KẾT HÔN"),
    ("Họ tên: TRÂN VĂN BA", "Họ tên: TRẦN VĂN BA"),
])
def test_a_formula_misread_gets_its_marks_back(read, meant):
    text, changed = correct_text(read)
    assert text == meant
    assert changed == [n for n, (a, b) in enumerate(zip(read.split(), meant.split())) if a != b]


@pytest.mark.parametrize("text", [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",          # the other tone placement is kept
    "Cộng hoà xã hội chủ nghĩa Việt Nam",
    "Họ và tên: TRẦN THỊ NGUYÊN",                 # a given name, not the family name
    "NGUYÊN NHÂN: chậm nộp hồ sơ",                 # no name label before it
    "TỔ CHỨC HÀNH CHÍNH",                          # a family name's letters, but a header
    "Bản đo đạc thửa đất số 12",                   # đo outside the motto
    "nam sinh viên năm thứ hai",                   # no year after it
    "Lê Thị Đông, ngày 3 tháng 4",                 # no year: not a date formula
    "tên: Nguyên",                                 # one word, not a name in capitals
    "có giá trị sáu mươi ngày. Hết thời hạn này",  # a full stop before a capital
    "giấy tờ, v.v. và các bản sao",                # an abbreviation
    "TP. Hồ Chí Minh; Q. Một",
    "tại tỉnh HÀ GIANG và Lào Cai",                # capitals beside capitals: a name
    "theo QĐ Số 12",                               # an abbreviation has no tone mark
    "Lãnh đạo đang ký văn bản",                    # "đăng ký" is no formula: "đang ký" is Vietnamese
    "Em học giỏi tính toán",                       # a label's letters, but no label (no colon)
    "Họ: TRẦN Tên: TỐ UYÊN",                       # after a lone "Tên:", a given name
    "Tên: HẠ VY",
    "a. đơn đề nghị",                              # list markers and numbers before a full stop
    "Hồ sơ gồm: a. bản sao; b. đơn",
    "Điều 5. các trường hợp",
    "Giá 1.000 đ. còn lại",
    "",
])
def test_what_is_not_a_formula_is_left_as_read(text):
    assert correct_text(text) == (text, [])


def test_the_word_count_and_lines_are_kept():
    read = "Độc lập - Tự đo - Hạnh phúc\n\nHọ, chữ đệm, tên: NGUYÊN THỊ HỒNG NHUNG\nSinh ngày: 03/11/1987"
    text, changed = correct_text(read)
    assert text.split("\n") == ["Độc lập - Tự do - Hạnh phúc", "",
                                "Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG", "Sinh ngày: 03/11/1987"]
    assert len(text.split()) == len(read.split())
    assert [text.split()[n] for n in changed] == ["do", "NGUYỄN"]


@needs_tesseract
def test_the_searchable_copy_carries_the_corrected_words(tmp_path):
    """Tesseract reads "NGUYỄN VĂN HÙNG" as "NGUYÊN" even on a clean scan;
    the text, the words and the PDF's text layer all say NGUYỄN."""
    page = tmp_path / "page.png"
    page.write_bytes(scans.image_bytes(scans.render_page(lines=scans.PAPER_LINES)))
    result = recognize(str(page), workers=1)
    assert "tên người cha: NGUYỄN VĂN HÙNG" in result.text
    assert "NGUYÊN" not in result.text
    assert [w.text for w in result.pages[0].words] == result.pages[0].text.split()
    from ocr.hocr import parse_hocr
    assert [w.text for w in parse_hocr(result.pages[0].hocr)[1]] == result.pages[0].text.split()
    (tmp_path / "out.pdf").write_bytes(result.searchable_pdf)
    layer = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True,
                           check=True).stdout.decode("utf-8")
    assert "NGUYỄN VĂN HÙNG" in layer and "NGUYÊN" not in layer
