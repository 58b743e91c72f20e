"""Open what the desk hands in (PNG, JPEG, TIFF, PDF; a path or bytes) and
list its pages: image pages to recognise, and PDF pages whose real text layer
is kept as it is.

pikepdf and lxml are imported only for a PDF (an image page needs neither).

Guards: a pixel cap against decompression bombs (Pillow's warning is an
error here), truncated or mislabelled files raise CorruptInput, anything
else raises UnsupportedInput.
"""
import io
import math
import os
import subprocess
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

from .errors import CorruptInput, OcrFailed, UnsupportedInput
from .hocr import nfc, safe_parser
from .result import Word

MAX_PIXELS = 60_000_000          # A3 at 500 dpi; more is refused
RENDER_DPI = 300
MIN_TEXT_CHARS = 20              # fewer visible characters: treat the page as an image
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

IMAGE_FORMATS = {"PNG", "JPEG", "TIFF", "MPO"}


@dataclass
class ImagePage:
    """A page to recognise; `load()` returns (RGB uint8 array, dpi or None)."""
    index: int
    load: object


@dataclass
class TextPage:
    """A PDF page that already carries text: kept, not recognised."""
    index: int                   # (also its index in the source PDF)
    text: str
    width: int                   # pixels at `dpi`
    height: int
    dpi: int
    words: list = field(default_factory=list)


def read_source(source):
    """(bytes, name) from a path, bytes or a binary file object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "input"
    if hasattr(source, "read"):
        return source.read(), getattr(source, "name", "input")
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path)
    except IsADirectoryError:
        raise UnsupportedInput(f"{path} is a directory, not a scan") from None
    except OSError as exc:
        raise UnsupportedInput(f"cannot read {path}: {exc.strerror}") from None


def sniff(data):
    """'pdf', 'png', 'jpeg' or 'tiff' from the file's first bytes."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def open_pages(data, name, workdir):
    """The pages of `data` in order, as ImagePage / TextPage objects."""
    kind = sniff(data)
    if kind is None:
        raise UnsupportedInput(f"{name}: not a PNG, JPEG, TIFF or PDF file")
    if kind == "pdf":
        return _pdf_pages(data, name, workdir)
    return _image_pages(data, name)


# -- images ---------------------------------------------------------------------

def _open_image(data, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UnsupportedInput(f"{name}: image too large (over {MAX_PIXELS:,} pixels)") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptInput(f"{name}: cannot decode the image ({exc})") from None
    if image.format not in IMAGE_FORMATS:
        raise UnsupportedInput(f"{name}: {image.format} images are not accepted")
    return image


def _frame_count(image):
    try:
        return getattr(image, "n_frames", 1)
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptInput(f"cannot read the pages of the image ({exc})") from None


def _load_frame(data, name, frame):
    image = _open_image(data, name)
    try:
        image.seek(frame)
        if image.width * image.height > MAX_PIXELS:
            raise UnsupportedInput(f"{name}: page {frame + 1} too large "
                                   f"({image.width}x{image.height} pixels)")
        dpi = image.info.get("dpi", (None, None))[0]
        rgb = _decode_png(data) if frame == 0 and image.format == "PNG" else None
        if rgb is None:
            if image.format == "JPEG":
                image = ImageOps.exif_transpose(image)
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptInput(f"{name}: cannot decode page {frame + 1} ({exc})") from None
    try:
        dpi = float(dpi) if dpi else None
    except (TypeError, ValueError):
        dpi = None
    return rgb, dpi


def _decode_png(data):
    """A PNG decoded by OpenCV (faster than Pillow's decode and convert; 16
    bits scaled to 8), RGB; None when OpenCV cannot (a truncated file: then
    Pillow says what is wrong). JPEG stays with Pillow, which refuses a
    truncated one where OpenCV would return half a page."""
    import cv2
    from cv2.utils import logging as cv_logging
    level = cv_logging.getLogLevel()
    cv_logging.setLogLevel(cv_logging.LOG_LEVEL_SILENT)   # its warning about a broken file
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    finally:
        cv_logging.setLogLevel(level)
    if bgr is None:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _image_pages(data, name):
    image = _open_image(data, name)
    count = _frame_count(image)
    # decode the first page now so a broken file fails before any work
    first = _load_frame(data, name, 0)
    pages = [ImagePage(0, lambda first=first: first)]
    for frame in range(1, count):
        pages.append(ImagePage(frame, lambda frame=frame: _load_frame(data, name, frame)))
    return pages


# -- PDF --------------------------------------------------------------------------

def _run(command, what, timeout=120):
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise OcrFailed(f"{command[0]} (poppler-utils) is not installed") from None
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"{what} took longer than {timeout} s") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CorruptInput(f"{what} failed: {err[-1] if err else done.returncode}")
    return done.stdout


def _pdf_pages(data, name, workdir):
    import pikepdf
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            sizes = [tuple(float(v) for v in _page_size(page)) for page in pdf.pages]
    except pikepdf.PasswordError:
        raise UnsupportedInput(f"{name}: the PDF is encrypted") from None
    except (pikepdf.PdfError, ValueError, TypeError, KeyError) as exc:
        raise CorruptInput(f"{name}: not a readable PDF ({exc})") from None
    if not sizes:
        raise CorruptInput(f"{name}: the PDF has no pages")
    path = os.path.join(workdir, "input.pdf")
    with open(path, "wb") as f:
        f.write(data)
    texts = _run(["pdftotext", "-layout", "-enc", "UTF-8", path, "-"],
                 f"{name}: reading the text layer").decode("utf-8", "replace").split("\f")
    boxes = None
    pages = []
    for index, (w_pt, h_pt) in enumerate(sizes):
        text = nfc(texts[index]) if index < len(texts) else ""
        if sum(not c.isspace() for c in text) >= MIN_TEXT_CHARS:
            if boxes is None:
                boxes = _pdf_words(path, name)
            scale = RENDER_DPI / 72.0
            words = [Word(t, tuple(int(round(v * scale)) for v in box), 100.0)
                     for t, box in (boxes[index] if index < len(boxes) else [])]
            pages.append(TextPage(index, _clean_layout(text),
                                  int(round(w_pt * scale)), int(round(h_pt * scale)),
                                  RENDER_DPI, words))
        else:
            dpi = _render_dpi(w_pt, h_pt)
            pages.append(ImagePage(index, lambda i=index, d=dpi: _pdf_page_pixels(path, name, i, d, workdir)))
    return pages


def _page_size(page):
    box = page.obj.get("/CropBox", page.mediabox)
    w, h = abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))
    if int(page.obj.get("/Rotate", 0)) % 180:
        w, h = h, w
    return w, h


def _clean_layout(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _render_dpi(w_pt, h_pt):
    inches = max(1e-6, (w_pt / 72.0) * (h_pt / 72.0))
    return int(min(RENDER_DPI, math.sqrt(MAX_PIXELS / inches)))


def _pdf_page_pixels(path, name, index, dpi, workdir):
    """A scanner's PDF page is one image drawn over the whole page: take it
    as it is (fast, native resolution); render anything else with poppler."""
    extracted = _single_page_image(path, index)
    return extracted if extracted is not None else _render(path, name, index, dpi, workdir)


_DRAWING_ONLY = {"q", "Q", "cm", "Do", "gs"}


def _single_page_image(path, index):
    import pikepdf
    try:
        with pikepdf.open(path) as pdf:
            page = pdf.pages[index]
            if int(page.obj.get("/Rotate", 0)) % 360:
                return None
            xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
            if len(xobjects) != 1:
                return None
            xobject = next(iter(xobjects.values()))
            if xobject.get("/Subtype") != "/Image" or xobject.get("/ImageMask", False):
                return None
            draws, matrix = 0, None
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op not in _DRAWING_ONLY:
                    return None
                if op == "cm":
                    matrix = [float(v) for v in operands]
                draws += op == "Do"
            box = [float(v) for v in page.mediabox]
            w_pt, h_pt = box[2] - box[0], box[3] - box[1]
            if draws != 1 or matrix is None or abs(matrix[1]) > 1e-6 or abs(matrix[2]) > 1e-6:
                return None
            a, d, e, f = matrix[0], matrix[3], matrix[4] - box[0], matrix[5] - box[1]
            if (abs(a - w_pt) > 0.01 * w_pt or abs(d - h_pt) > 0.01 * h_pt
                    or abs(e) > 0.01 * w_pt or abs(f) > 0.01 * h_pt):
                return None
            image = pikepdf.PdfImage(xobject).as_pil_image()
            if image.width * image.height > MAX_PIXELS:
                return None
            rgb = np.asarray(image.convert("RGB"))
            return rgb, image.width / (w_pt / 72.0)
    except Exception:   # noqa: BLE001 - any oddity: let poppler render the page
        return None


def _render(path, name, index, dpi, workdir):
    out = os.path.join(workdir, f"page-{index}")
    _run(["pdftoppm", "-r", str(dpi), "-f", str(index + 1), "-l", str(index + 1),
          "-singlefile", path, out], f"{name}: rendering page {index + 1}")
    with Image.open(out + ".ppm") as image:
        rgb = np.asarray(image.convert("RGB"))
    os.unlink(out + ".ppm")
    return rgb, float(dpi)


def _pdf_words(path, name):
    """Per page, [(word, (x0, y0, x1, y1) in points)] from pdftotext -bbox."""
    from lxml import etree
    xhtml = _run(["pdftotext", "-bbox", "-enc", "UTF-8", path, "-"], f"{name}: reading word boxes")
    root = etree.fromstring(xhtml, safe_parser())
    pages = []
    for page in root.iter("{*}page"):
        words = []
        for word in page.iter("{*}word"):
            text = nfc("".join(word.itertext())).strip()
            if text:
                box = tuple(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
                words.append((text, box))
        pages.append(words)
    return pages


# -- scan quality at the desk ------------------------------------------------------

A4_SHORT_INCHES = 210 / 25.4


def scan_quality(data, max_pages=50):
    """What a scan offers, per page, without recognising it: [{"page",
    "dpi", "colour"}] for raster pages (an image, or a scanner's PDF page
    that is one image); a PDF page drawn as text or vectors is not a scan
    and is left out. `dpi` is the density the file states, or when it states
    none (a phone photo) or less than the pixels give an A4 page, the
    density its pixels give an A4 page; None when unknown. `colour`: False
    for a grey or black-and-white page."""
    kind = sniff(data)
    if kind == "pdf":
        return _pdf_quality(data, max_pages)
    if kind is None:
        return []
    out = []
    try:
        image = _open_image(data, "scan")
        for frame in range(min(_frame_count(image), max_pages)):
            image.seek(frame)
            stated = image.info.get("dpi", (None, None))[0]
            try:
                stated = float(stated) if stated else None
            except (TypeError, ValueError):
                stated = None
            w, h = image.size
            if image.format == "JPEG" and image.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                w, h = h, w
            by_pixels = min(w, h) / A4_SHORT_INCHES
            dpi = max(stated or 0, by_pixels) if stated is None or stated < 200 else stated
            out.append({"page": frame + 1, "dpi": round(dpi), "colour": _image_in_colour(image)})
    except (OcrFailed, OSError, SyntaxError, ValueError, EOFError):
        return out
    return out


def _image_in_colour(image):
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return False
    if image.mode == "P":
        image = image.convert("RGB")
    # a colour scan of a black-and-white paper still has colour noise; a
    # grey scan saved as RGB has three equal channels everywhere
    pixels = np.asarray(image.convert("RGB"))[::7, ::7]
    return not bool((pixels[:, :, 0] == pixels[:, :, 1]).all() and (pixels[:, :, 1] == pixels[:, :, 2]).all())


def _pdf_quality(data, max_pages):
    import pikepdf
    out = []
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for index, page in enumerate(pdf.pages[:max_pages]):
                xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
                images = [x for x in xobjects.values() if x.get("/Subtype") == "/Image"]
                if len(images) != 1 or page.obj.get("/Resources", {}).get("/Font"):
                    continue             # text or vectors: not a scan
                image = images[0]
                w_pt, h_pt = _page_size(page)
                width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
                dpi = min(width, height) / (min(w_pt, h_pt) / 72.0) if w_pt and h_pt else None
                space = image.get("/ColorSpace")
                if isinstance(space, pikepdf.Array) and len(space) and space[0] == "/ICCBased":
                    colour = int(space[1].get("/N", 3)) >= 3
                else:
                    colour = space not in ("/DeviceGray", None) and not image.get("/ImageMask", False)
                if int(image.get("/BitsPerComponent", 8)) == 1:
                    colour = False
                out.append({"page": index + 1, "dpi": round(dpi) if dpi else None, "colour": bool(colour)})
    except (pikepdf.PdfError, ValueError, TypeError, KeyError):
        return out
    return out
