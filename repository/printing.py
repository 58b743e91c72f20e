"""The printed papers Kho hands out, as PDF bytes (reportlab), in Vietnamese.

Public interface:

    consent_receipt_pdf(data) -> bytes
        "Phiếu ghi nhận sự đồng ý xử lý dữ liệu cá nhân", or, when
        data["kind"] == "withdrawal", "Phiếu ghi nhận rút lại sự đồng ý".
    reception_receipt_pdf(data) -> bytes
        Form 01 of Decree 61/2018: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả".

Both are A4, carry a QR code at the top-left of page 1 (Circular 01/2023,
art. 26: the codes, the owner's id, the paper's name, the system, the time;
the reception receipt adds the appointment) and a footer naming the system
and the page where the paper's digital signature can be checked. The
top-right corner of page 1 (RESERVED_W × RESERVED_H) is left blank: an
agency's 'copy' signature (signing library) is stamped there afterwards.

Text is NFC; times are printed in Vietnam time the way Vietnamese write them
("14:05, ngày 01/12/2026"; "16 giờ 00 phút, ngày 03/12/2026"). Long values
wrap; tables split over pages with their header repeated.

No Pyramid, no ZODB: the caller gathers the data and stores or serves the
bytes. The font is found the way the signing library finds its stamp font
(a TrueType serif with Vietnamese glyphs, $KHO_STAMP_FONT first).

consent_receipt_pdf keys (strings unless said; * = required, else optional):
    consent_id*, owner_id*, owner_name*, scope_label*, purposes* (list of labels),
    time* (aware datetime), kind ('grant', the default, or 'withdrawal'),
    system (default SYSTEM_NAME), recipients (list), channel_label,
    witness (officer's name; '' online), notice_version, notice_text
    (paragraphs split on blank lines), consequences (withdrawal only),
    verify_url.
    QR (JSON): ma_phieu, so_dinh_danh, giay_to, pham_vi, he_thong, thoi_gian.

reception_receipt_pdf keys:
    agency_name*, dossier_code*, procedure_code*, procedure_name*,
    received* and appointment* (aware datetimes), applicant_name*,
    applicant_id*, components* (list of dicts: name, form, count (int),
    reused (bool); optional digitized (bool: 'Số hoá tại quầy' rather than
    'Nộp mới') or source (a label printed as given)), applicant_address,
    applicant_contact, return_place, officer_name, system, verify_url.
    QR (JSON): ma_ho_so, ma_tthc, so_dinh_danh, giay_to, he_thong,
    thoi_gian, hen_tra.

A missing required key, a naive datetime or an unknown kind raises
ValueError.
"""
import datetime
import functools
import io
import json
import os
import unicodedata
from xml.sax.saxutils import escape

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (BaseDocTemplate, Frame, HRFlowable, KeepTogether,
                                NextPageTemplate, PageTemplate, Paragraph, Spacer, Table,
                                TableStyle)

__all__ = ["consent_receipt_pdf", "reception_receipt_pdf"]

try:
    from zoneinfo import ZoneInfo
    VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:   # no tz database: Vietnam keeps UTC+07:00 all year
    VN_TZ = datetime.timezone(datetime.timedelta(hours=7), "ICT")

SYSTEM_NAME = "Kho quản lý dữ liệu điện tử của tổ chức, cá nhân"
CONSENT_TITLE = "Phiếu ghi nhận sự đồng ý xử lý dữ liệu cá nhân"
WITHDRAWAL_TITLE = "Phiếu ghi nhận rút lại sự đồng ý"
RECEPTION_TITLE = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
REUSED_LABEL = "Tái sử dụng từ kho dữ liệu"
DIGITIZED_LABEL = "Số hoá tại quầy"
NEW_LABEL = "Nộp mới"

PAGE_W, PAGE_H = A4
# Decree 30/2020 margins: left 30–35 mm, right 15–20 mm, top/bottom 20–25 mm
LEFT, RIGHT, BOTTOM = 25 * mm, 18 * mm, 24 * mm
TOP_LATER = 20 * mm
QR_X, QR_TOP, QR_SIZE = 14 * mm, 8 * mm, 34 * mm     # includes the quiet zone
# The corner left blank on page 1 for the agency's 'copy' signature
RESERVED_W, RESERVED_H = 85 * mm, 30 * mm
# page 1's text starts under the QR code and under the reserved corner
TOP_FIRST = max(QR_TOP + QR_SIZE, RESERVED_H) + 2 * mm


# --- fonts -----------------------------------------------------------------

FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = (
    "KhoSerif", "KhoSerif-Bold", "KhoSerif-Italic", "KhoSerif-BoldItalic")


def _face(regular, face):
    """The path of another face (Bold, Italic, BoldItalic) of the font at
    `regular`, or None: LiberationSerif-Regular.ttf → LiberationSerif-Bold.ttf,
    DejaVuSerif.ttf → DejaVuSerif-Bold.ttf."""
    folder, name = os.path.split(regular)
    stem, ext = os.path.splitext(name)
    base = stem[:-len("-Regular")] if stem.endswith("-Regular") else stem
    for candidate in (f"{base}-{face}{ext}", f"{base}{face}{ext}"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


@functools.lru_cache(maxsize=1)
def _register_fonts():
    """Register the serif family with reportlab once; returns the font paths."""
    from signing.appearances import covers_vietnamese, find_font   # the stamp font's rules
    regular = find_font()
    paths = {FONT: regular}
    for name, face in ((FONT_BOLD, "Bold"), (FONT_ITALIC, "Italic"),
                       (FONT_BOLD_ITALIC, "BoldItalic")):
        path = _face(regular, face)
        paths[name] = path if path and covers_vietnamese(path) else None
    paths[FONT_BOLD] = paths[FONT_BOLD] or regular
    paths[FONT_ITALIC] = paths[FONT_ITALIC] or regular
    paths[FONT_BOLD_ITALIC] = paths[FONT_BOLD_ITALIC] or paths[FONT_BOLD]
    for name, path in paths.items():
        pdfmetrics.registerFont(TTFont(name, path))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD_ITALIC)
    return paths


# --- text --------------------------------------------------------------------

def _nfc(value) -> str:
    """A value as NFC text ('' for None)."""
    return unicodedata.normalize("NFC", "" if value is None else str(value))


def _x(value) -> str:
    """NFC text escaped for a reportlab Paragraph."""
    return escape(_nfc(value))


def _number(n) -> str:
    """An integer with Vietnamese thousands separators: 1.234.567."""
    return f"{int(n):,}".replace(",", ".")


def _vn(when: datetime.datetime, key: str) -> datetime.datetime:
    if not isinstance(when, datetime.datetime):
        raise ValueError(f"{key} must be a datetime")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{key} must carry its time zone")
    return when.astimezone(VN_TZ)


def _time_short(when, key="time") -> str:
    """'14:05, ngày 01/12/2026' in Vietnam time."""
    t = _vn(when, key)
    return f"{t:%H:%M}, ngày {t:%d/%m/%Y}"


def _time_long(when, key) -> str:
    """'16 giờ 00 phút, ngày 03/12/2026' in Vietnam time."""
    t = _vn(when, key)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d/%m/%Y}"


def _iso(when, key) -> str:
    """ISO 8601 with the Vietnam offset, to the second."""
    return _vn(when, key).replace(microsecond=0).isoformat()


def _require(data, keys, what):
    missing = [k for k in keys if k not in data or data[k] is None]
    if missing:
        raise ValueError(f"{what}: missing {', '.join(missing)}")


# --- styles ------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _styles():
    _register_fonts()
    base = ParagraphStyle("kho", fontName=FONT, fontSize=11.5, leading=15,
                          alignment=TA_LEFT, splitLongWords=1)
    return {
        "body": base,
        "just": ParagraphStyle("just", base, alignment=TA_JUSTIFY),
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=14, leading=18,
                                alignment=TA_CENTER, spaceBefore=2 * mm, spaceAfter=1 * mm),
        "subtitle": ParagraphStyle("subtitle", base, alignment=TA_CENTER, spaceAfter=4 * mm),
        "heading": ParagraphStyle("heading", base, fontName=FONT_BOLD, spaceBefore=3 * mm,
                                  spaceAfter=1.5 * mm),
        "cell": ParagraphStyle("cell", base, fontSize=10.5, leading=13),
        "cell_bold": ParagraphStyle("cell_bold", base, fontName=FONT_BOLD, fontSize=10.5,
                                    leading=13),
        "cell_head": ParagraphStyle("cell_head", base, fontName=FONT_BOLD, fontSize=10.5,
                                    leading=13, alignment=TA_CENTER),
        "cell_center": ParagraphStyle("cell_center", base, fontSize=10.5, leading=13,
                                      alignment=TA_CENTER),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
        "center_bold": ParagraphStyle("center_bold", base, fontName=FONT_BOLD,
                                      alignment=TA_CENTER),
        "center_italic": ParagraphStyle("center_italic", base, fontName=FONT_ITALIC,
                                        alignment=TA_CENTER),
        "heading_left": ParagraphStyle("heading_left", base, fontName=FONT_BOLD, fontSize=11,
                                       leading=14, alignment=TA_CENTER),
        "nation": ParagraphStyle("nation", base, fontName=FONT_BOLD, fontSize=11.5, leading=15,
                                 alignment=TA_CENTER),
        "footer": ParagraphStyle("footer", base, fontName=FONT_ITALIC, fontSize=9, leading=11,
                                 alignment=TA_CENTER),
    }


# --- QR code -----------------------------------------------------------------

def _qr_payload(fields: dict) -> str:
    """Compact JSON (UTF-8, NFC) of the fields, in order, empty ones left out."""
    return json.dumps({k: _nfc(v) for k, v in fields.items() if v not in (None, "")},
                      ensure_ascii=False, separators=(",", ":"))


def _qr_image(payload: str):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white")
    return getattr(img, "get_image", lambda: img)()


# --- the document --------------------------------------------------------------

def _canvas_class(footer_text: str):
    """A canvas that keeps its pages until the end, then draws the footer
    (the system, the verification address, 'Trang x/y') on each."""
    footer = Paragraph(footer_text, _styles()["footer"])
    width = PAGE_W - LEFT - RIGHT

    class FooterCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                _, h = footer.wrap(width, BOTTOM)
                self.setStrokeColor(colors.grey)
                self.setLineWidth(0.4)
                self.line(LEFT, BOTTOM - 3 * mm, PAGE_W - RIGHT, BOTTOM - 3 * mm)
                footer.drawOn(self, LEFT, BOTTOM - 4 * mm - h)
                self.setFont(FONT, 9)
                self.drawRightString(PAGE_W - RIGHT, 8 * mm, f"Trang {number}/{total}")
                super().showPage()
            super().save()

    return FooterCanvas


def _build(story, *, qr_payload, footer_text, header_text, title, subject, author) -> bytes:
    _register_fonts()
    qr = ImageReader(_qr_image(qr_payload))
    width = PAGE_W - LEFT - RIGHT

    def first_page(canvas, doc):
        canvas.saveState()
        canvas.drawImage(qr, QR_X, PAGE_H - QR_TOP - QR_SIZE, QR_SIZE, QR_SIZE)
        canvas.restoreState()

    def later_page(canvas, doc):
        # which paper a loose page belongs to
        canvas.saveState()
        canvas.setFont(FONT_ITALIC, 9)
        canvas.setFillColor(colors.Color(0.3, 0.3, 0.3))
        text = header_text
        while len(text) > 1 and canvas.stringWidth(text) > width:
            text = text[:-2] + "…"
        canvas.drawString(LEFT, PAGE_H - 12 * mm, text)
        canvas.restoreState()

    first = Frame(LEFT, BOTTOM, width, PAGE_H - TOP_FIRST - BOTTOM, id="first",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    later = Frame(LEFT, BOTTOM, width, PAGE_H - TOP_LATER - BOTTOM, id="later",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP_LATER,
        bottomMargin=BOTTOM, title=_nfc(title), subject=_nfc(subject), author=_nfc(author),
        creator=_nfc(author), lang="vi-VN", pageCompression=1,
        initialFontName=FONT, initialFontSize=11.5,     # no unused, unembedded Helvetica
        pageTemplates=[PageTemplate("first", [first], onPage=first_page),
                       PageTemplate("later", [later], onPage=later_page)])
    doc.build([NextPageTemplate("later")] + story, canvasmaker=_canvas_class(footer_text))
    return out.getvalue()


def _footer(system, verify_url) -> str:
    text = f"In từ {_x(system)}."
    if verify_url:
        text += f" Kiểm tra chữ ký số của phiếu này tại {_x(verify_url)}"
    return text


def _field_table(rows, width):
    """A two-column table: label (bold) | value; values are markup strings."""
    s = _styles()
    label_w = 52 * mm
    table = Table([[Paragraph(label, s["cell_bold"]), Paragraph(value, s["cell"])]
                   for label, value in rows],
                  colWidths=[label_w, width - label_w], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.94, 0.94, 0.94)),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _signature_block(left, right, width):
    """Two signature columns: (title, name) each, or None for an empty side."""
    s = _styles()

    def column(side):
        if side is None:
            return ""
        title, name = side
        return [Paragraph(_x(title).upper(), s["center_bold"]),
                Paragraph("(Ký và ghi rõ họ tên)", s["center_italic"]),
                Spacer(1, 18 * mm),
                Paragraph(f"<b>{_x(name)}</b>" if name else "", s["center"])]

    table = Table([[column(left), column(right)]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 2)]))
    return [Spacer(1, 5 * mm), table]


def _owner_id_label(owner_id: str) -> str:
    digits = owner_id.replace("-", "")
    if owner_id.isdigit() and len(owner_id) == 12:
        return "Số định danh cá nhân"
    if digits.isdigit() and len(digits) in (10, 13):
        return "Mã số doanh nghiệp"
    return "Số định danh"


# --- the consent receipt -------------------------------------------------------

def consent_receipt_pdf(data: dict) -> bytes:
    """The receipt of a consent (kind 'grant') or of its withdrawal (kind
    'withdrawal') as PDF bytes; the keys are in the module's docstring."""
    _require(data, ("consent_id", "owner_id", "owner_name", "scope_label", "purposes",
                    "time"), "consent_receipt_pdf")
    kind = _nfc(data.get("kind") or "grant")
    if kind not in ("grant", "withdrawal"):
        raise ValueError(f"consent_receipt_pdf: kind must be 'grant' or 'withdrawal', not {kind!r}")
    withdrawal = kind == "withdrawal"
    paper = WITHDRAWAL_TITLE if withdrawal else CONSENT_TITLE
    system = _nfc(data.get("system") or SYSTEM_NAME)
    owner_id = _nfc(data["owner_id"])
    when = data["time"]
    s = _styles()
    width = PAGE_W - LEFT - RIGHT

    purposes = [p for p in (_nfc(p).strip() for p in data.get("purposes") or ()) if p]
    recipients = [r for r in (_nfc(r).strip() for r in data.get("recipients") or ()) if r]

    def lines(items, empty):
        if not items:
            return empty
        if len(items) == 1:
            return _x(items[0])
        return "<br/>".join(f"{i}. {_x(item)}" for i, item in enumerate(items, 1))

    rows = [
        ("Chủ thể dữ liệu", f"<b>{_x(data['owner_name'])}</b>"),
        (_owner_id_label(owner_id), _x(owner_id)),
        ("Phạm vi dữ liệu", _x(data["scope_label"])),
        ("Mục đích xử lý" + (" được rút lại" if withdrawal else ""),
         lines(purposes, "Tất cả các mục đích đã đồng ý" if withdrawal else "Không có")),
        ("Bên tiếp nhận dữ liệu", lines(recipients, "Không có bên nào khác")),
        ("Bên kiểm soát và xử lý dữ liệu", _x(system)),
        ("Hình thức ghi nhận", _x(data.get("channel_label")) or "Không ghi"),
        ("Cán bộ chứng kiến", _x(data.get("witness")) or "Không có"),
        ("Phiên bản thông báo", _x(data.get("notice_version")) or "Không ghi"),
        ("Thời điểm rút lại sự đồng ý" if withdrawal else "Thời điểm đồng ý",
         _time_short(when)),
    ]

    story = [Paragraph(_x(paper).upper(), s["title"]),
             Paragraph(f"Mã phiếu: <b>{_x(data['consent_id'])}</b>", s["subtitle"])]
    if withdrawal:
        intro = (f"Hệ thống ghi nhận chủ thể dữ liệu <b>{_x(data['owner_name'])}</b> đã rút lại "
                 "sự đồng ý xử lý dữ liệu cá nhân với nội dung sau:")
    else:
        intro = (f"Hệ thống ghi nhận chủ thể dữ liệu <b>{_x(data['owner_name'])}</b> đã đồng ý "
                 "cho xử lý dữ liệu cá nhân với nội dung sau:")
    story += [Paragraph(intro, s["just"]), Spacer(1, 2 * mm), _field_table(rows, width)]

    notice = _nfc(data.get("notice_text")).strip()
    if notice:
        version = _nfc(data.get("notice_version")).strip()
        heading = "Nội dung thông báo xử lý dữ liệu cá nhân" + \
            (f" (phiên bản {escape(version)})" if version else "") + ":"
        story.append(Paragraph(heading, s["heading"]))
        story += [Paragraph(_x(part), s["just"]) for part in notice.split("\n\n") if part.strip()]

    if withdrawal:
        story.append(Paragraph("Hệ quả của việc rút lại sự đồng ý:", s["heading"]))
        consequences = _nfc(data.get("consequences")).strip()
        story += [Paragraph(_x(part), s["just"])
                  for part in consequences.split("\n\n") if part.strip()]
        story.append(Paragraph(
            "Việc rút lại sự đồng ý không ảnh hưởng đến tính hợp pháp của việc xử lý dữ liệu đã "
            "được đồng ý trước khi rút lại. Kể từ thời điểm trên, dữ liệu trong phạm vi này "
            "không còn được đề nghị tái sử dụng.", s["just"]))
    else:
        story.append(Paragraph(
            "Chủ thể dữ liệu có quyền được biết, truy cập, chỉnh sửa, xoá, hạn chế xử lý, "
            "phản đối xử lý và rút lại sự đồng ý bất kỳ lúc nào.", ParagraphStyle(
                "rights", s["just"], spaceBefore=2 * mm)))

    # the closing sentence stays on the page of the signatures
    witness = _nfc(data.get("witness")).strip()
    story.append(KeepTogether([story.pop()] + _signature_block(
        ("Chủ thể dữ liệu", _nfc(data["owner_name"])),
        ("Cán bộ chứng kiến", witness) if witness else None, width)))

    qr = _qr_payload({
        "ma_phieu": data["consent_id"],
        "so_dinh_danh": owner_id,
        "giay_to": paper,
        "pham_vi": data["scope_label"],
        "he_thong": system,
        "thoi_gian": _iso(when, "time"),
    })
    return _build(story, qr_payload=qr, footer_text=_footer(system, data.get("verify_url")),
                  header_text=f"{paper} - Mã phiếu: {_nfc(data['consent_id'])}",
                  title=paper, subject=f"{paper} {_nfc(data['consent_id'])}", author=system)


# --- the reception receipt (Form 01, Decree 61/2018) --------------------------

def _source_label(component) -> str:
    if component.get("source"):
        return _nfc(component["source"])
    if component.get("reused"):
        return REUSED_LABEL
    if component.get("digitized"):
        return DIGITIZED_LABEL
    return NEW_LABEL


def reception_receipt_pdf(data: dict) -> bytes:
    """Form 01 of Decree 61/2018 ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    as PDF bytes; the keys are in the module's docstring."""
    _require(data, ("agency_name", "dossier_code", "procedure_code", "procedure_name",
                    "received", "applicant_name", "applicant_id", "components",
                    "appointment"), "reception_receipt_pdf")
    s = _styles()
    width = PAGE_W - LEFT - RIGHT
    system = _nfc(data.get("system") or SYSTEM_NAME)
    received = _vn(data["received"], "received")
    appointment_text = _time_long(data["appointment"], "appointment")
    components = list(data["components"])

    # heading: the receiving unit (left, under the QR code) | the national heading
    left = [Paragraph(_x(data["agency_name"]).upper(), s["heading_left"]),
            HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=3,
                       hAlign="CENTER")]
    right = [Paragraph("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", s["nation"]),
             Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", s["nation"]),
             Spacer(1, 2 * mm),
             Paragraph(f"<i>Ngày {received:%d} tháng {received:%m} năm {received:%Y}</i>",
                       s["center"])]
    head = Table([[left, right]], colWidths=[width - 88 * mm, 88 * mm])
    head.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (0, 0), 4 * mm)]))

    story = [head, Spacer(1, 4 * mm),
             Paragraph(RECEPTION_TITLE.upper(), s["title"]),
             Paragraph(f"Mã hồ sơ: <b>{_x(data['dossier_code'])}</b>", s["subtitle"]),
             Paragraph(f"<b>{_x(data['agency_name'])}</b> tiếp nhận hồ sơ của:", s["just"]),
             Spacer(1, 1.5 * mm)]
    applicant_id = _nfc(data["applicant_id"])
    rows = [("Ông/Bà/Tổ chức", f"<b>{_x(data['applicant_name'])}</b>"),
            (_owner_id_label(applicant_id), _x(applicant_id))]
    if _nfc(data.get("applicant_address")).strip():
        rows.append(("Địa chỉ", _x(data["applicant_address"])))
    if _nfc(data.get("applicant_contact")).strip():
        rows.append(("Số điện thoại, thư điện tử", _x(data["applicant_contact"])))
    rows.append(("Nội dung yêu cầu giải quyết",
                 f"{_x(data['procedure_name'])} (mã thủ tục: {_x(data['procedure_code'])})"))
    story.append(_field_table(rows, width))

    # 1. the components
    story.append(Paragraph("1. Thành phần hồ sơ nộp gồm:", s["heading"]))
    widths = [11 * mm, None, 25 * mm, 19 * mm, 46 * mm]
    widths[1] = width - sum(w for w in widths if w)
    table_rows = [[Paragraph(h, s["cell_head"]) for h in
                   ("STT", "Tên giấy tờ", "Hình thức", "Số lượng", "Nguồn giấy tờ")]]
    total = reused = 0
    for number, comp in enumerate(components, 1):
        count = int(comp.get("count") or 0)
        total += count
        reused += 1 if comp.get("reused") else 0
        table_rows.append([
            Paragraph(str(number), s["cell_center"]),
            Paragraph(_x(comp.get("name")), s["cell"]),
            Paragraph(_x(comp.get("form")), s["cell_center"]),
            Paragraph(_number(count), s["cell_center"]),
            Paragraph(_x(_source_label(comp)), s["cell_center"]),
        ])
    if not components:
        table_rows.append(["", Paragraph("Không có giấy tờ.", s["cell"]), "", "", ""])
    table = Table(table_rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.94, 0.94, 0.94)),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story.append(table)

    if reused:
        reuse = (f"trong đó {_number(reused)} thành phần tái sử dụng từ kho dữ liệu, "
                 "người nộp không phải nộp lại")
    else:
        reuse = "không có thành phần nào tái sử dụng từ kho dữ liệu"
    tail = [
        Paragraph(f"2. Tổng số: {_number(len(components))} thành phần, {_number(total)} bản; "
                  f"{reuse}.", ParagraphStyle("n2", s["just"], spaceBefore=3 * mm)),
        Paragraph(f"3. Thời gian nhận hồ sơ: {_time_long(data['received'], 'received')}.",
                  s["just"]),
        Paragraph(f"4. <b>Hẹn trả kết quả: {appointment_text}</b>.", s["just"]),
    ]
    if _nfc(data.get("return_place")).strip():
        tail.append(Paragraph(f"5. Nơi trả kết quả: {_x(data['return_place'])}.", s["just"]))
    # the appointment and the signatures are never split from each other
    story.append(KeepTogether(tail + _signature_block(
        ("Người nộp hồ sơ", _nfc(data["applicant_name"])),
        ("Người tiếp nhận hồ sơ", _nfc(data.get("officer_name"))), width)))

    qr = _qr_payload({
        "ma_ho_so": data["dossier_code"],
        "ma_tthc": data["procedure_code"],
        "so_dinh_danh": applicant_id,
        "giay_to": RECEPTION_TITLE,
        "he_thong": system,
        "thoi_gian": _iso(data["received"], "received"),
        "hen_tra": _iso(data["appointment"], "appointment"),
    })
    return _build(story, qr_payload=qr, footer_text=_footer(system, data.get("verify_url")),
                  header_text=f"{RECEPTION_TITLE} - Mã hồ sơ: {_nfc(data['dossier_code'])}",
                  title=RECEPTION_TITLE,
                  subject=f"{RECEPTION_TITLE} {_nfc(data['dossier_code'])}", author=system)
