"""The printed papers (repository/printing.py), rendered for real: the text
poppler extracts, the QR code zbar reads, the PDF pikepdf opens, the pages a
long dossier needs, and an agency 'copy' signature over the result."""
import datetime
import io
import json
import re
import shutil
import subprocess
import unicodedata

import pikepdf
import pytest

from repository.printing import consent_receipt_pdf, reception_receipt_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils missing")
needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools missing")

UTC = datetime.timezone.utc
MM = 72 / 25.4
A4_W, A4_H = 595.28, 841.89
SYSTEM = "Kho quản lý dữ liệu điện tử của tổ chức, cá nhân"
VERIFY = "https://kho.example.gov.vn/verify"
NOTICE = ("Kho quản lý dữ liệu điện tử của tổ chức, cá nhân lưu giữ bản điện tử của giấy tờ nêu trên "
          "để cơ quan giải quyết thủ tục hành chính tái sử dụng, không yêu cầu ông/bà nộp lại bản "
          "sao chứng thực. Dữ liệu được xử lý gồm họ tên, ngày sinh, số định danh cá nhân và nội dung "
          "giấy tờ. Ông/bà có quyền được biết, truy cập, chỉnh sửa, rút lại sự đồng ý, xoá dữ liệu, "
          "hạn chế và phản đối xử lý theo Nghị định 13/2023/NĐ-CP. Mọi lần sử dụng đều được ghi nhật "
          "ký và ông/bà xem được trong kho của mình.")


def nfd(text):
    return unicodedata.normalize("NFD", text)


def consent_data(**changes):
    data = {
        "kind": "grant", "consent_id": "DY-2026-000123", "system": SYSTEM,
        "owner_id": "001090012345", "owner_name": nfd("Nguyễn Thị Thuỳ Dương"),
        "scope_label": "Giấy tờ: Giấy khai sinh số 12/2020",
        "purposes": ["Giải quyết thủ tục hành chính", "Lưu trữ và tái sử dụng trong kho dữ liệu"],
        "recipients": [], "channel_label": "Tại bộ phận Một cửa",
        "witness": "Trần Văn Bình", "notice_version": "2026.1", "notice_text": NOTICE,
        "time": datetime.datetime(2026, 12, 1, 7, 5, tzinfo=UTC),   # 14:05 in Hà Nội
        "consequences": "", "verify_url": VERIFY,
    }
    data.update(changes)
    return data


def component(i, reused=False, **extra):
    return {"name": f"Giấy tờ thành phần số {i:02d}", "form": "Bản sao", "count": 1,
            "reused": reused, **extra}


def reception_data(**changes):
    data = {
        "agency_name": "Bộ phận Một cửa UBND xã Tân Lập",
        "dossier_code": "000.15.16.H10-261201-0007", "procedure_code": "1.001193",
        "procedure_name": "Đăng ký kết hôn",
        "received": datetime.datetime(2026, 12, 1, 7, 5, tzinfo=UTC),
        "applicant_name": "Nguyễn Thị Thuỳ Dương", "applicant_id": "001090012345",
        "applicant_address": "Số 5, ngõ 12, phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        "applicant_contact": "0912 345 678",
        "components": [
            {"name": "Giấy khai sinh", "form": "Bản điện tử", "count": 1, "reused": True},
            {"name": "Tờ khai đăng ký kết hôn", "form": "Bản chính", "count": 1, "reused": False},
            {"name": "Giấy xác nhận tình trạng hôn nhân", "form": "Bản sao", "count": 2,
             "reused": False, "digitized": True},
        ],
        "appointment": datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC),   # 16:00 in Hà Nội
        "return_place": "Bộ phận Một cửa UBND xã Tân Lập", "officer_name": "Trần Văn Bình",
        "system": SYSTEM, "verify_url": VERIFY,
    }
    data.update(changes)
    return data


def pdf_text(pdf, tmp_path, *, flat=True):
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")
    return " ".join(text.split()) if flat else text


def words(pdf, tmp_path):
    """(page number, xMin, yMin, xMax, yMax, word) of every word, in points, y downwards."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")
    out = []
    for number, page in enumerate(html.split("<page ")[1:], 1):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">([^<]*)</word>', page):
            out.append((number, *map(float, m.groups()[:4]), m.group(5)))
    return out


def read_qr(pdf, tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.decode("utf-8"))


# --- the consent receipt ---------------------------------------------------------

def test_consent_receipt_text(tmp_path):
    text = pdf_text(consent_receipt_pdf(consent_data()), tmp_path)
    assert "PHIẾU GHI NHẬN SỰ ĐỒNG Ý XỬ LÝ DỮ LIỆU CÁ NHÂN" in text
    assert "Giấy khai sinh số 12/2020" in text
    assert "Nguyễn Thị Thuỳ Dương" in text          # given in NFD, printed in NFC
    assert nfd("Nguyễn") not in text
    assert "001090012345" in text and "DY-2026-000123" in text
    assert "Giải quyết thủ tục hành chính" in text
    assert "Thời điểm đồng ý 14:05, ngày 01/12/2026" in text
    assert "Trần Văn Bình" in text and "Tại bộ phận Một cửa" in text
    assert "Không có bên nào khác" in text          # no recipients
    assert "(phiên bản 2026.1)" in text
    assert "Nghị định 13/2023/NĐ-CP" in text and "trong kho của mình" in text   # the whole notice
    assert f"Kiểm tra chữ ký số của phiếu này tại {VERIFY}" in text
    assert "Trang 1/1" in text


def test_withdrawal_prints_the_consequences(tmp_path):
    consequences = ("Giấy tờ không còn được đề nghị tái sử dụng; khi làm thủ tục, ông/bà phải "
                    "nộp lại bản sao chứng thực.")
    pdf = consent_receipt_pdf(consent_data(kind="withdrawal", consequences=consequences,
                                           witness="", channel_label="Trực tuyến"))
    text = pdf_text(pdf, tmp_path)
    assert "PHIẾU GHI NHẬN RÚT LẠI SỰ ĐỒNG Ý" in text
    assert "Hệ quả của việc rút lại sự đồng ý" in text
    assert consequences in text
    assert "không ảnh hưởng đến tính hợp pháp" in text
    assert "Thời điểm rút lại sự đồng ý 14:05, ngày 01/12/2026" in text
    assert "Cán bộ chứng kiến Không có" in text


@needs_zbar
def test_consent_qr_code(tmp_path):
    qr = read_qr(consent_receipt_pdf(consent_data()), tmp_path)
    assert qr["ma_phieu"] == "DY-2026-000123"
    assert qr["so_dinh_danh"] == "001090012345"
    assert qr["giay_to"] == "Phiếu ghi nhận sự đồng ý xử lý dữ liệu cá nhân"
    assert qr["pham_vi"] == "Giấy tờ: Giấy khai sinh số 12/2020"
    assert qr["he_thong"] == SYSTEM
    assert qr["thoi_gian"] == "2026-12-01T14:05:00+07:00"


def test_top_right_corner_is_left_for_the_agency_signature(tmp_path):
    """No text in the top-right 85 mm × 30 mm of page 1, for either paper."""
    for pdf in (consent_receipt_pdf(consent_data()), reception_receipt_pdf(reception_data())):
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            box = [float(v) for v in doc.pages[0].mediabox]
            assert box[2:] == pytest.approx([A4_W, A4_H], abs=0.5)     # A4
        inside = [w for w in words(pdf, tmp_path)
                  if w[0] == 1 and w[3] > A4_W - 85 * MM and w[2] < 30 * MM]
        assert inside == []


# --- the reception receipt -------------------------------------------------------

def test_reception_receipt_text(tmp_path):
    text = pdf_text(reception_receipt_pdf(reception_data()), tmp_path)
    assert "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "BỘ PHẬN MỘT CỬA UBND XÃ TÂN LẬP" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Mã hồ sơ: 000.15.16.H10-261201-0007" in text
    assert "Đăng ký kết hôn (mã thủ tục: 1.001193)" in text
    assert "Giấy khai sinh" in text and "Giấy xác nhận tình trạng hôn nhân" in text
    assert "Tái sử dụng từ kho dữ liệu" in text
    assert "Số hoá tại quầy" in text and "Nộp mới" in text
    assert "Thời gian nhận hồ sơ: 14 giờ 05 phút, ngày 01/12/2026" in text
    assert "Hẹn trả kết quả: 16 giờ 00 phút, ngày 03/12/2026" in text
    assert "Ngày 01 tháng 12 năm 2026" in text
    assert "Nơi trả kết quả: Bộ phận Một cửa UBND xã Tân Lập" in text
    assert "3 thành phần, 4 bản; trong đó 1 thành phần tái sử dụng" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text and "Trần Văn Bình" in text
    assert "Nguyễn Thị Thuỳ Dương" in text and "0912 345 678" in text


@needs_zbar
def test_reception_qr_code(tmp_path):
    qr = read_qr(reception_receipt_pdf(reception_data()), tmp_path)
    assert qr["ma_ho_so"] == "000.15.16.H10-261201-0007"
    assert qr["ma_tthc"] == "1.001193"
    assert qr["so_dinh_danh"] == "001090012345"
    assert qr["giay_to"] == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    assert qr["he_thong"] == SYSTEM
    assert qr["thoi_gian"] == "2026-12-01T14:05:00+07:00"
    assert qr["hen_tra"] == "2026-12-03T16:00:00+07:00"


def test_forty_components_run_over_pages_without_losing_any(tmp_path):
    components = [component(i, reused=i % 3 == 0) for i in range(1, 41)]
    pdf = reception_receipt_pdf(reception_data(components=components))
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        pages = len(doc.pages)
    assert pages >= 2
    text = pdf_text(pdf, tmp_path)
    for i in range(1, 41):
        assert text.count(f"Giấy tờ thành phần số {i:02d}") == 1, i
    assert text.count("Tên giấy tờ") >= 2              # the header row is repeated
    assert f"Trang {pages}/{pages}" in text
    assert "40 thành phần, 40 bản; trong đó 13 thành phần tái sử dụng" in text
    assert "Hẹn trả kết quả: 16 giờ 00 phút, ngày 03/12/2026" in text
    # later pages name the paper they belong to
    assert text.count("Mã hồ sơ: 000.15.16.H10-261201-0007") == pages


def test_long_values_wrap_inside_the_page(tmp_path):
    long_name = "Công ty trách nhiệm hữu hạn một thành viên " * 4 + "Thương mại Dịch vụ Tây Bắc"
    unbroken = "X" * 150
    data = reception_data(applicant_name=long_name, agency_name="Bộ phận Một cửa " * 6,
                          applicant_address=unbroken, applicant_id="0101245486",
                          components=[component(1, name=unbroken), component(2, name=long_name)])
    pdf = reception_receipt_pdf(data)
    placed = words(pdf, tmp_path)
    assert placed
    for page, x0, y0, x1, y1, word in placed:
        assert 10 * MM <= x0 and x1 <= A4_W - 10 * MM, word
        assert 0 <= y0 and y1 <= A4_H, word
    text = pdf_text(pdf, tmp_path)
    assert "Mã số doanh nghiệp 0101245486" in text
    assert text.replace(" ", "").count(unbroken) == 2
    consent = consent_receipt_pdf(consent_data(owner_name=long_name, scope_label=unbroken,
                                               notice_text=NOTICE * 3))
    for page, x0, y0, x1, y1, word in words(consent, tmp_path):
        assert 10 * MM <= x0 and x1 <= A4_W - 10 * MM, word


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        consent_receipt_pdf(consent_data(time=datetime.datetime(2026, 12, 1, 14, 5)))
    with pytest.raises(ValueError, match="kind"):
        consent_receipt_pdf(consent_data(kind="maybe"))
    data = reception_data()
    del data["dossier_code"]
    with pytest.raises(ValueError, match="dossier_code"):
        reception_receipt_pdf(data)


def test_valid_pdf_with_embedded_fonts():
    for pdf in (consent_receipt_pdf(consent_data()), reception_receipt_pdf(reception_data())):
        assert pdf.startswith(b"%PDF-")
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            assert "Giấy" in str(doc.docinfo["/Title"]) or "Phiếu" in str(doc.docinfo["/Title"])
            fonts = doc.pages[0].Resources.Font
            for name in fonts.keys():
                descriptor = fonts[name].get("/FontDescriptor") or \
                    fonts[name].DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor          # TrueType, embedded


# --- signing the printed paper ---------------------------------------------------

@pytest.fixture(scope="module")
def agency_signer(tmp_path_factory):
    import signing
    pki = tmp_path_factory.mktemp("pki")
    signing.init_dev_pki(pki)
    passphrase = (pki / "passphrase.txt").read_text().strip()
    return signing.load_p12_signer(pki / "agency.p12", passphrase), str(pki / "root.pem")


@pytest.mark.parametrize("make", [lambda: consent_receipt_pdf(consent_data()),
                                  lambda: reception_receipt_pdf(reception_data())],
                         ids=["consent", "reception"])
def test_printed_paper_can_be_signed(make, agency_signer, tmp_path):
    import signing
    signer, root = agency_signer
    pdf = make()
    signed = signing.sign_pdf(pdf, signer, "copy", copy_kind="Sao y", agency="UBND xã Tân Lập")
    assert signing.verify_pdf(signed, [root]).ok
    text = pdf_text(signed, tmp_path)
    assert "Sao y" in text and "Kiểm tra chữ ký số" in text
