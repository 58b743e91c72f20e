from datetime import date

import pytest

from ocr.suggest import fold, suggest_metadata

TYPES = [("GKS", "Giấy khai sinh"), ("GCT", "Giấy chứng tử"), ("KH", "Giấy chứng nhận kết hôn"),
         ("QD", "Quyết định")]

PAPER = """UỶ BAN NHÂN DÂN
XÃ YÊN BÌNH
CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 123/QĐ-UBND
GIẤY KHAI SINH
Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG
Ngày, tháng, năm sinh: 01/02/2022
Số định danh cá nhân: 002322001234
Yên Bình, ngày 21 tháng 7 năm 2022
"""


def check_span(text, suggestion):
    start, end = suggestion.span
    assert text[start:end] == suggestion.source


def test_full_paper():
    s = suggest_metadata(PAPER, TYPES)
    assert s.doc_type.value == "GKS" and s.doc_type.source == "GIẤY KHAI SINH"
    assert s.number.value == "123/QĐ-UBND"
    assert s.issue_date.value == date(2022, 7, 21)      # not the birth date
    assert s.issuer.value == "UBND xã Yên Bình" and s.issuer.source == "UỶ BAN NHÂN DÂN XÃ YÊN BÌNH"
    assert s.personal_id.value == "002322001234"
    for suggestion in (s.doc_type, s.number, s.issue_date, s.personal_id):
        check_span(PAPER, suggestion)
    start, end = s.issuer.span
    assert " ".join(PAPER[start:end].split()) == s.issuer.source


def test_tone_insensitive_fuzzy_type_and_ocr_slips():
    text = "UY BAN NHAN DAN PHUONG 3\nGIAY CHUNG TU\nSo: 45/2023/GCT\n"
    s = suggest_metadata(text, TYPES)
    assert s.doc_type.value == "GCT"
    assert s.number.value == "45/2023/GCT"
    assert s.issuer.value == "UBND phuong 3"
    slipped = suggest_metadata("GlẤY KHAl SINH\n", TYPES)
    assert slipped.doc_type.value == "GKS" and slipped.doc_type.score < 1


def test_numeric_date_and_agency_on_the_motto_line():
    text = "SỞ TƯ PHÁP TỈNH HÀ GIANG CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nQuyết định\nngày ký 05/11/2021\n"
    s = suggest_metadata(text, TYPES)
    assert s.issuer.value == "Sở Tư pháp tỉnh Hà Giang"
    assert s.issue_date.value == date(2021, 11, 5)
    assert s.doc_type.value == "QD"
    check_span(text, s.issuer)


def test_nothing_to_suggest():
    s = suggest_metadata("lorem ipsum 31/02/2022 Số: abc 123456789012345", TYPES)
    assert s.doc_type is None and s.number is None and s.issue_date is None
    assert s.issuer is None and s.personal_id is None
    assert suggest_metadata("", ()).number is None


def test_implausible_id_is_not_proposed():
    assert suggest_metadata("CCCD: 999322001234", ()).personal_id is None
    s = suggest_metadata("tham chiếu 001099012345\nSố CCCD: 036185000123", ())
    assert s.personal_id.value == "036185000123"     # the labelled one wins


def test_fold_keeps_length():
    text = "Đồng Tâm, Hà Giang, NGUYỄN"
    assert fold(text) == "DONG TAM, HA GIANG, NGUYEN"
    assert len(fold(text)) == len(text)


def test_two_column_header_read_as_interleaved_lines():
    text = ("UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\n"
            "XÃ YÊN BÌNH Độc lập - Tự do - Hạnh phúc\n"
            "Số: 123/QĐ-UBND Yên Bình, ngày 21 tháng 7 năm 2022\n")
    s = suggest_metadata(text)
    assert s.issuer.value == "UBND xã Yên Bình"
    assert s.issuer.source.startswith("UỶ BAN") and s.issuer.source.endswith("XÃ YÊN BÌNH")
    assert s.number.value == "123/QĐ-UBND"
    assert s.issue_date.value == date(2022, 7, 21)


@pytest.mark.parametrize("header, issuer", [
    ("UỶ BAN NHÂN DÂN\nPHƯỜNG BẾN NGHÉ\nSố: 45/UBND-TP", "UBND phường Bến Nghé"),
    ("UBND PHƯỜNG BẾN NGHÉ CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", "UBND phường Bến Nghé"),
    ("BỘ CÔNG AN\nCÔNG AN TỈNH HÀ GIANG\nSố: 1502/XN-CAT", "Công an tỉnh Hà Giang"),
    ("UBND TỈNH LÀO CAI\nSỞ TƯ PHÁP\nSố: 789/LLTP", "Sở Tư pháp"),
    ("UỶ BAN NHÂN DÂN TỈNH LÀO CAI\nSỞ KẾ HOẠCH VÀ ĐẦU TƯ\nGIẤY CHỨNG NHẬN", "Sở Kế hoạch và Đầu tư"),
    ("BẢO HIỂM XÃ HỘI TỈNH LÀO CAI\nQUYẾT ĐỊNH", "Bảo hiểm xã hội tỉnh Lào Cai"),
    ("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI\nQuyết định", "Sở Lao động - Thương binh và Xã hội"),
    ("UBND HUYỆN BÁT XÁT\nPHÒNG TƯ PHÁP\nGIẤY KHAI SINH", "Phòng Tư pháp"),
    ("CHI CỤC THUẾ QUẬN 1\nThông báo", "Chi cục Thuế quận 1"),
    ("SỞ Y TẾ LÀO CAI\nBỆNH VIỆN ĐA KHOA TỈNH LÀO CAI\nGIẤY CHỨNG SINH", "Bệnh viện Đa khoa tỉnh Lào Cai"),
    ("SỞ Y TẾ LÀO CAI\nGIẤY PHÉP", "Sở Y tế Lào Cai"),
])
def test_the_issuer_is_proposed_as_people_write_it(header, issuer):
    s = suggest_metadata(header + "\n", TYPES)
    assert s.issuer.value == issuer
    start, end = s.issuer.span
    assert set(s.issuer.source.split()) <= set(header[start:end].split())


def test_the_paper_title_ends_the_header():
    s = suggest_metadata("UỶ BAN NHÂN DÂN\nXÃ YÊN BÌNH\nGIẤY KHAI SINH\nBAN CHỈ HUY\n", TYPES)
    assert s.issuer.value == "UBND xã Yên Bình"
