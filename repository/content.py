"""What an uploaded file really is: type sniffing, size and bomb guards.

A file is judged by its bytes, never by its name or declared type, and it
must open as what it claims to be before anything is stored."""
import hashlib
import io
import warnings

from PIL import Image

PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
ACCEPTED = (PDF, PNG, JPEG, TIFF)
MAX_PIXELS = 60_000_000          # the OCR library refuses larger pages too; larger is a bomb
MAX_PAGES = 1000


class ContentError(ValueError):
    """The upload is refused; str() is the message for the person."""


def sniff(head):
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    return None


class Inspected:
    """The facts about an accepted file that the Document keeps."""

    def __init__(self, content_type, size, sha256, pages):
        self.content_type, self.size, self.sha256, self.pages = content_type, size, sha256, pages


def inspect(data, max_bytes):
    """Check data (bytes) and return Inspected, or raise ContentError."""
    if not data:
        raise ContentError("Tệp rỗng / the file is empty")
    if len(data) > max_bytes:
        raise ContentError(
            f"Tệp lớn hơn giới hạn {max_bytes // (1024 * 1024)} MB / "
            f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    content_type = sniff(data[:16])
    if content_type is None:
        raise ContentError(
            "Chỉ nhận PDF, PNG, JPEG hoặc TIFF / only PDF, PNG, JPEG or TIFF files are accepted")
    pages = _count_pdf_pages(data) if content_type == PDF else _check_image(data)
    return Inspected(content_type, len(data), hashlib.sha256(data).hexdigest(), pages)


def _count_pdf_pages(data):
    import pikepdf
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise ContentError("Tệp PDF được mã hoá / the PDF is encrypted")
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise ContentError("Tệp PDF có mật khẩu / the PDF is password-protected") from None
    except pikepdf.PdfError as exc:
        raise ContentError(f"Tệp PDF bị hỏng / the PDF is damaged ({exc})") from None
    if pages == 0:
        raise ContentError("Tệp PDF không có trang nào / the PDF has no pages")
    if pages > MAX_PAGES:
        raise ContentError(f"Tệp PDF quá {MAX_PAGES} trang / more than {MAX_PAGES} pages")
    return pages


def _check_image(data):
    """Decode every frame fully: a truncated or bomb image fails here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                frames = getattr(img, "n_frames", 1)
                if frames > MAX_PAGES:
                    raise ContentError(f"Ảnh quá {MAX_PAGES} trang / more than {MAX_PAGES} pages")
                for index in range(frames):
                    img.seek(index)
                    if img.width * img.height > MAX_PIXELS:
                        raise Image.DecompressionBombError("too many pixels")
                    img.load()
        return frames
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ContentError(
            "Ảnh quá lớn (nghi ngờ bom giải nén) / the image is too large (decompression bomb)") from None
    except ContentError:
        raise
    except Exception as exc:   # Pillow raises many kinds for broken files
        raise ContentError(f"Ảnh bị hỏng hoặc không đọc được / the image is damaged ({exc})") from None
