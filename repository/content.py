"""What an uploaded file really is: type sniffing, size and bomb guards, and
a PDF's active content.

A file is judged by its bytes, never by its name or declared type, and it
must open as what it claims to be before anything is stored. A PDF that
carries active content (JavaScript, an action run on opening, a launch, an
embedded file, …) is kept byte for byte all the same (it may be signed),
and what it carries is named (Inspected.active_content) so that the paper's
page warns of it; the app never lets a browser open it inline (the download
is an attachment, the previews are rasterised images). Messages name the
problem, never a Python object."""
import hashlib
import io
import logging
import warnings

from PIL import Image

PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
ACCEPTED = (PDF, PNG, JPEG, TIFF)
MAX_PIXELS = 60_000_000          # the OCR library refuses larger pages too; larger is a bomb
MAX_PAGES = 1000
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", TIFF: "tif"}
SAME_TYPE_EXTENSIONS = {PDF: ("pdf",), PNG: ("png",), JPEG: ("jpg", "jpeg", "jpe"), TIFF: ("tif", "tiff")}

# what a PDF may carry that runs or reaches out, as a key of a dictionary …
ACTIVE_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/AA": "AdditionalActions",
               "/Launch": "Launch", "/EmbeddedFiles": "EmbeddedFile", "/EmbeddedFile": "EmbeddedFile",
               "/XFA": "XFA", "/RichMedia": "RichMedia"}
# … or as the type (/S) of an action
ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch", "/SubmitForm": "SubmitForm",
                  "/ImportData": "ImportData", "/GoToR": "RemoteGoTo", "/GoToE": "EmbeddedGoTo",
                  "/RichMediaExecute": "RichMedia"}
ACTIVE_ORDER = ("JavaScript", "OpenAction", "AdditionalActions", "Launch", "SubmitForm", "ImportData",
                "RemoteGoTo", "EmbeddedGoTo", "EmbeddedFile", "XFA", "RichMedia")
_MAX_DEPTH = 64

log = logging.getLogger(__name__)


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
    """The facts about an accepted file that the Document keeps; active_content
    names what a PDF carries that runs or reaches out (ACTIVE_ORDER), () if nothing."""

    def __init__(self, content_type, size, sha256, pages, active_content=()):
        self.content_type, self.size, self.sha256, self.pages = content_type, size, sha256, pages
        self.active_content = tuple(active_content)


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
    active = ()
    if content_type == PDF:
        pages, active = _inspect_pdf(data)
    else:
        pages = _check_image(data)
    return Inspected(content_type, len(data), hashlib.sha256(data).hexdigest(), pages, active)


def _inspect_pdf(data):
    """(pages, active content) of a PDF, or ContentError."""
    import pikepdf
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise ContentError("Tệp PDF được mã hoá / the PDF is encrypted")
            pages = len(pdf.pages)
            active = active_content(pdf)
    except pikepdf.PasswordError:
        raise ContentError("Tệp PDF có mật khẩu / the PDF is password-protected") from None
    except (pikepdf.PdfError, RecursionError) as exc:
        log.info("refused a damaged PDF: %s", exc)
        raise ContentError(
            "Tệp PDF bị hỏng, không đọc được / the PDF is damaged and cannot be read") from None
    if pages == 0:
        raise ContentError("Tệp PDF không có trang nào / the PDF has no pages")
    if pages > MAX_PAGES:
        raise ContentError(f"Tệp PDF quá {MAX_PAGES} trang / more than {MAX_PAGES} pages")
    return pages, active


def active_content(pdf):
    """What an open pikepdf.Pdf carries that runs or reaches out, in ACTIVE_ORDER:
    JavaScript (an action or the document-level name tree), an OpenAction that
    is an action (a destination to open at is not), additional actions (/AA on
    the document, a page, an annotation or a field), Launch, SubmitForm,
    ImportData, remote or embedded go-tos, embedded files, XFA forms, rich media."""
    import pikepdf
    found = set()
    if isinstance(pdf.Root.get("/OpenAction"), pikepdf.Dictionary):
        found.add("OpenAction")
    for obj in pdf.objects:
        _walk(obj, found, pikepdf, 0)
    return tuple(name for name in ACTIVE_ORDER if name in found)


def _walk(obj, found, pikepdf, depth):
    """Look at one object and its direct children (indirect ones are visited
    on their own, from pdf.objects)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in obj.keys():
            if key in ACTIVE_KEYS:
                found.add(ACTIVE_KEYS[key])
            value = obj.get(key)
            if key == "/S" and isinstance(value, pikepdf.Name) and str(value) in ACTIVE_ACTIONS:
                found.add(ACTIVE_ACTIONS[str(value)])
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect:
                _walk(value, found, pikepdf, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect:
                _walk(value, found, pikepdf, depth + 1)


def extension_for(filename, content_type):
    """filename with the extension of the detected type: 'scan.exe' for a PDF
    becomes 'scan.pdf', 'scan' 'scan.pdf', 'so 12.2020' 'so 12.2020.pdf';
    'anh.JPEG' for a JPEG stays as it is."""
    stem, dot, ext = filename.rpartition(".")
    if dot and ext.lower() in SAME_TYPE_EXTENSIONS[content_type]:
        return filename
    if dot and stem and ext.isascii() and ext.isalnum() and len(ext) <= 5 and not ext.isdigit():
        filename = stem                      # another type's extension: replaced
    return f"{filename}.{EXTENSIONS[content_type]}"


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
        log.info("refused a damaged image: %s", exc)
        raise ContentError(
            "Ảnh bị hỏng hoặc không đọc được / the image is damaged and cannot be read") from None
