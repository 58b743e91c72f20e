"""Held-out papers: administrative papers that Kho's suggestion rules were
not written against (other bodies, types, numbers and dates than
scans.PAPER_LINES), each with what the desk should be proposed, and a
degradation. bench/ocr.py measures the share of proposals that are right
on them; tests/ocr/test_heldout.py checks a floor.

Plain module (no pytest), like scans.py."""
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw

from . import scans

MOTTO = ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass(frozen=True)
class HeldOut:
    name: str
    left: tuple            # the header's left column (agency, number)
    right: tuple           # the right column (motto, place and date); () for one column
    body: tuple
    degradation: str       # skew, jpeg, seal, rot90, uneven_light, dpi200
    type_code: str
    number: str
    issue_date: date
    issuer: str


PAPERS = (
    HeldOut("ben-nghe", ("UỶ BAN NHÂN DÂN", "PHƯỜNG BẾN NGHÉ", "Số: 45/UBND-TP"),
            MOTTO + ("Bến Nghé, ngày 03 tháng 10 năm 2023",),
            ("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "Xét đề nghị của bà: LÊ THỊ MAI",
             "Ngày, tháng, năm sinh: 12/04/1995", "Nơi cư trú: 15 Lê Lợi, phường Bến Nghé"),
            "skew", "XNTTHN", "45/UBND-TP", date(2023, 10, 3), "UBND phường Bến Nghé"),
    HeldOut("ha-giang", ("BỘ CÔNG AN", "CÔNG AN TỈNH HÀ GIANG", "Số: 1502/XNC-CAT"),
            MOTTO + ("Hà Giang, ngày 12 tháng 5 năm 2024",),
            ("HỘ CHIẾU", "Họ và tên: HOÀNG VĂN DŨNG", "Ngày sinh: 07/09/1990",
             "Nơi sinh: Hà Giang"),
            "jpeg", "HC", "1502/XNC-CAT", date(2024, 5, 12), "Công an tỉnh Hà Giang"),
    HeldOut("tu-phap", ("UBND TỈNH LÀO CAI", "SỞ TƯ PHÁP", "Số: 789/LLTP"),
            MOTTO + ("Lào Cai, ngày 2 tháng 3 năm 2025",),
            ("PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1", "Họ và tên: PHẠM VĂN TÚ",
             "Ngày, tháng, năm sinh: 20/11/1988", "Tình trạng án tích: Không có án tích"),
            "seal", "LLTP", "789/LLTP", date(2025, 3, 2), "Sở Tư pháp"),
    HeldOut("viet-quang", ("UỶ BAN NHÂN DÂN", "THỊ TRẤN VIỆT QUANG", "Số: 56/2024/KH"),
            (),
            ("GIẤY CHỨNG NHẬN KẾT HÔN", "Họ, chữ đệm, tên chồng: ĐỖ MINH KHOA",
             "Họ, chữ đệm, tên vợ: VŨ THỊ THANH", "Việt Quang, ngày 15 tháng 8 năm 2024"),
            "rot90", "GCNKH", "56/2024/KH", date(2024, 8, 15), "UBND thị trấn Việt Quang"),
    HeldOut("lao-dong", ("UBND TỈNH LÀO CAI", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "Số: 2231/QĐ-SLĐTBXH"),
            MOTTO + ("Lào Cai, ngày 28 tháng 6 năm 2024",),
            ("QUYẾT ĐỊNH HƯỞNG TRỢ CẤP THẤT NGHIỆP", "Ông: TRỊNH QUỐC BẢO",
             "Số sổ bảo hiểm xã hội: 1012345678", "Thời gian hưởng: 3 tháng"),
            "uneven_light", "QDTCTN", "2231/QĐ-SLĐTBXH", date(2024, 6, 28),
            "Sở Lao động - Thương binh và Xã hội"),
    HeldOut("phuong-3", ("UBND PHƯỜNG 3", "Số: 12/2021/KS"),
            (),
            ("GIẤY KHAI SINH", "Họ, chữ đệm, tên: TRẦN GIA HUY", "Ngày, tháng, năm sinh: 02/01/2021",
             "Phường 3, ngày 5 tháng 1 năm 2021"),
            "dpi200", "GKS", "12/2021/KS", date(2021, 1, 5), "UBND phường 3"),
    HeldOut("benh-vien", ("SỞ Y TẾ LÀO CAI", "BỆNH VIỆN ĐA KHOA TỈNH LÀO CAI", "Số: 3381/GCS"),
            MOTTO + ("Lào Cai, ngày 19 tháng 2 năm 2026",),
            ("GIẤY CHỨNG SINH", "Họ và tên mẹ: NÔNG THỊ HẠNH", "Sinh con lúc: 08 giờ 15 phút",
             "Giới tính của con: Nam"),
            "skew", "GCS", "3381/GCS", date(2026, 2, 19), "Bệnh viện Đa khoa tỉnh Lào Cai"),
    HeldOut("dang-ky-kd", ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH LÀO CAI", "PHÒNG ĐĂNG KÝ KINH DOANH",
                           "Số: 0457/ĐKKD"),
            MOTTO + ("Lào Cai, ngày 30 tháng 11 năm 2025",),
            ("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", "Tên doanh nghiệp: CÔNG TY TNHH SA PA XANH",
             "Mã số doanh nghiệp: 5300123456", "Địa chỉ trụ sở chính: phường Sa Pa"),
            "jpeg", "GCNDKDN", "0457/ĐKKD", date(2025, 11, 30), "Phòng Đăng ký kinh doanh"),
)


def render(paper, dpi=300, point_size=12):
    """The paper as printed: a header in two columns (or one), then the body."""
    px = dpi / 25.4
    width = int(round(210 * px))
    size = int(round(point_size * dpi / 72))
    regular, bold = scans._font(scans.FONT_PATHS, size), scans._font(scans.BOLD_FONT_PATHS, size)
    leading = int(size * 1.6)
    rows = max(len(paper.left), len(paper.right)) + len(paper.body) + 2
    height = int(30 * px) + leading * rows
    page = Image.new("RGB", (width, height), (250, 250, 247))
    draw = ImageDraw.Draw(page)
    y0 = int(15 * px)
    columns = ((paper.left, width * 0.27), (paper.right, width * 0.68)) if paper.right else \
        ((paper.left, None),)
    for column, centre in columns:
        for i, text in enumerate(column):
            font = bold if not text.startswith(("Số", "Độc")) and "ngày" not in text else regular
            if centre is None:
                draw.text((int(25 * px), y0 + i * leading), text, font=font, fill=(20, 20, 25))
            else:
                draw.text((centre, y0 + i * leading), text, font=font, fill=(20, 20, 25), anchor="ma")
    y = y0 + (max(len(paper.left), len(paper.right)) + 1) * leading
    for i, text in enumerate(paper.body):
        font = bold if i == 0 else regular
        x = (width - draw.textlength(text, font=font)) / 2 if i == 0 else int(25 * px)
        draw.text((x, y), text, font=font, fill=(20, 20, 25))
        y += leading
    page.info["dpi"] = (dpi, dpi)
    return page


def scan(paper):
    """The degraded scan of a held-out paper, as PNG or JPEG bytes."""
    kind = paper.degradation
    if kind == "dpi200":
        return scans.image_bytes(render(paper, dpi=200))
    page = render(paper)
    if kind == "skew":
        page = scans.skew(page, 2.5)
    elif kind == "jpeg":
        return scans.image_bytes(scans.jpeg(page, 40), "JPEG")
    elif kind == "seal":
        page = scans.red_seal_and_signature(page)
    elif kind == "rot90":
        page = scans.rotate_quarter(page, 90)
    elif kind == "uneven_light":
        page = scans.uneven_light(page)
    return scans.image_bytes(page)


FIELDS = ("type_code", "number", "issue_date", "issuer")


def judge(paper, suggestions):
    """{field: (right?, proposed value)} for a paper's Suggestions."""
    proposed = {
        "type_code": suggestions.doc_type.value if suggestions.doc_type else None,
        "number": suggestions.number.value if suggestions.number else None,
        "issue_date": suggestions.issue_date.value if suggestions.issue_date else None,
        "issuer": suggestions.issuer.value if suggestions.issuer else None,
    }
    return {field: (proposed[field] == getattr(paper, field), proposed[field]) for field in FIELDS}
