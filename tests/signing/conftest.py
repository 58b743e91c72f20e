"""Fixtures for the signing tests: a development PKI (with a CRL served by the
loopback TSA), PDFs made here (a 2-page Pillow "scanner" PDF, a normal text
PDF, a scanner PDF with a broken xref table), and poppler's pdfsig with the
development root trusted in an NSS database."""
import io
import re
import shutil
import subprocess

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from signing import DevTsaServer, init_dev_pki


@pytest.fixture(scope="session")
def tsa_and_pki(tmp_path_factory):
    """(DevTsaServer, DevPki): the server starts first so that the PKI's
    certificates can name its CRL URL."""
    directory = tmp_path_factory.mktemp("pki")
    server = DevTsaServer(directory).start()
    pki = init_dev_pki(directory, crl_url=server.crl_url)
    yield server, pki
    server.stop()


@pytest.fixture(scope="session")
def pki(tsa_and_pki):
    return tsa_and_pki[1]


@pytest.fixture(scope="session")
def tsa(tsa_and_pki):
    return tsa_and_pki[0]


@pytest.fixture(scope="session")
def plain_pki(tmp_path_factory):
    """A PKI whose certificates name no CRL (no revocation information)."""
    return init_dev_pki(tmp_path_factory.mktemp("plain-pki"))


def _page_image(number, size=(1654, 2339)):
    img = Image.new("RGB", size, (248, 247, 240))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 44)
    draw.text((250, 500), "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=font, fill=(20, 20, 20))
    draw.text((420, 580), "Độc lập – Tự do – Hạnh phúc", font=font, fill=(20, 20, 20))
    draw.text((250, 800), f"GIẤY KHAI SINH — trang {number}", font=font, fill=(20, 20, 20))
    for y in range(1000, 2000, 70):
        draw.line([(250, y), (1400, y)], fill=(120, 120, 120), width=3)
    return img


def make_scan_pdf(pages=2) -> bytes:
    """What a cheap scanner writes: Pillow's PDF writer, one JPEG per page, 200 dpi."""
    images = [_page_image(i + 1) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200.0, save_all=True, append_images=images[1:])
    return out.getvalue()


def make_text_pdf(rotate=0) -> bytes:
    """A normal A4 PDF with text (Helvetica), as an office suite would write."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    content = b"BT /F1 14 Tf 72 760 Td (Quyet dinh so 123/QD-UBND) Tj ET"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pdf.make_stream(content))
    if rotate:
        page.Rotate = rotate
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_broken_scan_pdf() -> bytes:
    """A Pillow scan whose xref table lies: every offset shifted, generation
    numbers wrong, startxref pointing nowhere."""
    data = make_scan_pdf()
    def shift(m):
        return b"%010d %05d n" % (int(m.group(1)) + 37, 3)
    broken = re.sub(rb"(\d{10}) 00000 n", shift, data)
    broken = re.sub(rb"startxref\s+\d+", b"startxref\n123456", broken)
    assert broken != data
    return broken


@pytest.fixture
def scan_pdf():
    return make_scan_pdf()


@pytest.fixture
def text_pdf():
    return make_text_pdf()


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, pki):
    """An NSS database trusting the development root, for pdfsig."""
    if not (shutil.which("certutil") and shutil.which("pdfsig")):
        pytest.skip("certutil/pdfsig not installed (libnss3-tools, poppler-utils)")
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
                   check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "kho-root", "-t", "CT,C,C", "-i",
                    str(pki.root_cert), "-d", f"sql:{directory}"], check=True, capture_output=True)
    return directory


def pdfsig(path, nss_db) -> str:
    """pdfsig's report on `path` with the development root trusted."""
    proc = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
                          capture_output=True, text=True)
    return proc.stdout + proc.stderr
