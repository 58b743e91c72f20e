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
    verify_url, qr_text (the QR code's text: repository.verification.qr_text,
    the verification address, then ma_phieu, so_dinh_danh, giay_to, he_thong,
    thoi_gian, pham_vi_du_lieu after '#').
    QR without qr_text (JSON): ma_phieu, so_dinh_danh, giay_to, pham_vi, he_thong, thoi_gian.

reception_receipt_pdf keys:
    agency_name*, dossier_code*, procedure_code*, procedure_name*,
    received* and appointment* (aware datetimes), applicant_name*,
    applicant_id*, components* (list of dicts: name, form, count (int),
    reused (bool); optional digitized (bool: 'Số hoá tại quầy' rather than
    'Nộp mới') or source (a label printed as given)), applicant_address,
    applicant_contact, return_place, officer_name, system, verify_url.
    QR (JSON): ma_ho_so, ma_tthc, so_dinh_danh, giay_to, he_thong,
    thoi_gian, hen_tra.

    qr_text: when given, the QR code's text instead (repository.verification.qr_text:
    the verification address, then these fields after '#').

result_pdf keys (the result of a procedure, generated from the catalogue):
    agency_name*, dossier_code*, procedure_code*, procedure_name*, paper_name*,
    owner_name*, owner_id*, issued* (aware datetime), decision* (paragraphs
    split on blank lines), qr_text*, parent_agency, owner_birth_date (date),
    owner_sex_label, valid_until (date: 'Có giá trị đến …'; None: no end),
    validity_scope, signer_title, system, verify_url.
    Page 1 leaves its bottom-right corner (RESULT_SEAL_W × RESULT_SEAL_H) to
    the agency's `result` signature (the red seal over the signature).

banded_pdf(source, qr_text, lines) -> bytes: another PDF (a copy, an
    uploaded result) with each page shrunk under a band that carries the QR
    code at the top-left of page 1, the lines beside it, and room at the
    top-right for the agency's `copy` signature. Annotations (an earlier
    signature's visible stamp) are flattened into the page first and the
    earlier signatures dropped: the new paper is certified by its own.

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

__all__ = ["consent_receipt_pdf", "reception_receipt_pdf", "result_pdf", "banded_pdf"]

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

def _canvas_class(footer_text: str, reserve=0):
    """A canvas that keeps its pages until the end, then draws the footer
    (the system, the verification address, 'Trang x/y') on each, leaving
    `reserve` points free at the right (a result's seal)."""
    style = _styles()["footer"]
    if reserve:
        style = ParagraphStyle("footer_left", style, alignment=TA_LEFT)
    footer = Paragraph(footer_text, style)
    width = PAGE_W - LEFT - RIGHT - reserve

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
                self.line(LEFT, BOTTOM - 3 * mm, LEFT + width, BOTTOM - 3 * mm)
                footer.drawOn(self, LEFT, BOTTOM - 4 * mm - h)
                self.setFont(FONT, 9)
                if reserve:
                    self.drawString(LEFT, BOTTOM - 2 * mm, f"Trang {number}/{total}")
                else:
                    self.drawRightString(PAGE_W - RIGHT, 8 * mm, f"Trang {number}/{total}")
                super().showPage()
            super().save()

    return FooterCanvas


def _build(story, *, qr_payload, footer_text, header_text, title, subject, author,
           first_bottom=BOTTOM, footer_reserve=0) -> bytes:
    """first_bottom: where page 1's text ends (a result leaves the bottom-right
    corner to the agency's seal); footer_reserve: width kept free of the
    footer at the right of every page's foot."""
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

    first = Frame(LEFT, first_bottom, width, PAGE_H - TOP_FIRST - first_bottom, id="first",
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
    doc.build([NextPageTemplate("later")] + story, canvasmaker=_canvas_class(footer_text, footer_reserve))
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

    qr = data.get("qr_text") or _qr_payload({
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

    qr = data.get("qr_text") or _qr_payload({
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


# --- the result of a procedure ---------------------------------------------------

RESULT_SEAL_W, RESULT_SEAL_H = 95 * mm, 62 * mm   # page 1's bottom-right, for the `result` signature


def result_pdf(data: dict) -> bytes:
    """The result of a procedure as PDF bytes: the agency's heading, the
    paper's name, the owner's data, the decision, the validity; the QR code
    top-left; the bottom-right corner of page 1 left to the seal."""
    _require(data, ("agency_name", "dossier_code", "procedure_code", "procedure_name", "paper_name",
                    "owner_name", "owner_id", "issued", "decision", "qr_text"), "result_pdf")
    s = _styles()
    width = PAGE_W - LEFT - RIGHT
    system = _nfc(data.get("system") or SYSTEM_NAME)
    issued = _vn(data["issued"], "issued")
    paper = _nfc(data["paper_name"])

    left = []
    if _nfc(data.get("parent_agency")).strip():
        left.append(Paragraph(_x(data["parent_agency"]).upper(), s["center"]))
    left += [Paragraph(_x(data["agency_name"]).upper(), s["heading_left"]),
             HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=3, hAlign="CENTER"),
             Paragraph(f"Số: {_x(data['dossier_code'])}", s["center"])]
    right = [Paragraph("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", s["nation"]),
             Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", s["nation"]),
             Spacer(1, 2 * mm),
             Paragraph(f"<i>Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}</i>", s["center"])]
    head = Table([[left, right]], colWidths=[width - 88 * mm, 88 * mm])
    head.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (0, 0), 4 * mm)]))
    owner_id = _nfc(data["owner_id"])
    rows = [("Họ và tên / Tên tổ chức", f"<b>{_x(data['owner_name'])}</b>"),
            (_owner_id_label(owner_id), _x(owner_id))]
    if data.get("owner_birth_date"):
        rows.append(("Ngày sinh", f"{data['owner_birth_date']:%d/%m/%Y}"))
    if _nfc(data.get("owner_sex_label")).strip():
        rows.append(("Giới tính", _x(data["owner_sex_label"])))
    rows.append(("Thủ tục", f"{_x(data['procedure_name'])} (mã thủ tục: {_x(data['procedure_code'])})"))
    rows.append(("Mã hồ sơ", _x(data["dossier_code"])))
    valid_until = data.get("valid_until")
    validity = f"Có giá trị đến hết ngày {valid_until:%d/%m/%Y}" if valid_until else "Không thời hạn"
    if _nfc(data.get("validity_scope")).strip():
        validity += f"; phạm vi sử dụng: {_x(data['validity_scope'])}"
    rows.append(("Hiệu lực", validity))

    story = [head, Spacer(1, 5 * mm), Paragraph(_x(paper).upper(), s["title"]),
             Spacer(1, 2 * mm), _field_table(rows, width), Spacer(1, 3 * mm)]
    story += [Paragraph(_x(part), s["just"]) for part in _nfc(data["decision"]).split("\n\n") if part.strip()]
    signer = _nfc(data.get("signer_title") or "Thủ trưởng cơ quan")
    closing = Table([["", [Paragraph(_x(signer).upper(), s["center_bold"]),
                           Paragraph("(Ký số, đóng dấu)", s["center_italic"])]]],
                    colWidths=[width - RESULT_SEAL_W + 10 * mm, RESULT_SEAL_W - 10 * mm])
    closing.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 4 * mm), closing]
    footer = f"Bản điện tử từ {_x(system)}; mã hồ sơ {_x(data['dossier_code'])}."
    if data.get("verify_url"):
        footer += f" Kiểm tra: mã QR hoặc {_x(data['verify_url'])}"
    return _build(story, qr_payload=data["qr_text"], footer_text=footer,
                  header_text=f"{paper} - Mã hồ sơ: {_nfc(data['dossier_code'])}",
                  title=paper, subject=f"{paper} {_nfc(data['dossier_code'])}", author=system,
                  first_bottom=RESULT_SEAL_H + 4 * mm, footer_reserve=RESULT_SEAL_W)


# --- a band above another PDF's pages (copies, uploaded results) -------------------

BAND_H = 46 * mm


def _band_page(width, height, qr_text, lines, first):
    """One page of the size given, blank but for the band: the QR code and
    the lines on page 1, a one-line reminder on the others."""
    _register_fonts()
    out = io.BytesIO()
    c = rl_canvas.Canvas(out, pagesize=(width, height))
    if first:
        c.drawImage(ImageReader(_qr_image(qr_text)), QR_X, height - QR_TOP - QR_SIZE, QR_SIZE, QR_SIZE)
        x, y = QR_X + QR_SIZE + 3 * mm, height - QR_TOP - 5 * mm
        room = width - x - RESERVED_W
        for i, line in enumerate(lines):
            c.setFont(FONT_BOLD if i == 0 else FONT, 10.5 if i == 0 else 9)
            text = _nfc(line)
            while len(text) > 1 and c.stringWidth(text) > room:
                text = text[:-2] + "…"
            c.drawString(x, y, text)
            y -= 5 * mm
    else:
        c.setFont(FONT_ITALIC, 9)
        c.drawString(LEFT, height - 12 * mm, _nfc(lines[0]) if lines else "")
    c.setStrokeColor(colors.grey)
    c.setLineWidth(0.4)
    c.line(10 * mm, height - BAND_H + 1 * mm, width - 10 * mm, height - BAND_H + 1 * mm)
    c.showPage()
    c.save()
    return out.getvalue()


def banded_pdf(source: bytes, qr_text: str, lines) -> bytes:
    """A new PDF: each page of source shrunk under a band (module docstring)."""
    import pikepdf
    lines = [_nfc(line) for line in lines]
    with pikepdf.open(io.BytesIO(source)) as src, pikepdf.new() as out:
        if len(src.pages) == 0:
            raise ValueError("banded_pdf: the source has no page")
        src.flatten_annotations(mode="all")
        for number, page in enumerate(src.pages):
            box = [float(v) for v in page.mediabox]
            x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
            width, height = x1 - x0, y1 - y0
            if int(page.obj.get("/Rotate", 0)) % 180:
                width, height = height, width
            width, height = max(width, PAGE_W * 0.5), max(height, BAND_H * 3)
            band = pikepdf.open(io.BytesIO(_band_page(width, height, qr_text, lines, number == 0)))
            blank = out.add_blank_page(page_size=(width, height))
            target = out.pages[-1]
            target.add_overlay(out.copy_foreign(page.as_form_xobject()),
                               pikepdf.Rectangle(6 * mm, 6 * mm, width - 6 * mm, height - BAND_H))
            target.add_overlay(out.copy_foreign(band.pages[0].as_form_xobject()),
                               pikepdf.Rectangle(0, 0, width, height))
            del blank
        buffer = io.BytesIO()
        out.docinfo["/Producer"] = SYSTEM_NAME
        out.save(buffer)
    return buffer.getvalue()
