"""Assemble the searchable PDF: for each recognised page, the colour page
image (JPEG) drawn under an invisible text layer (tesseract's glyphless
font), and the kept text-layer pages of the input, in order.

Each recognised page has the scan's own size (100 % scale, RULES-VN): the
page is the scan's pixels over the scan's density, so an A4 scan at 300 dpi
is an A4 page (595 x 842 pt), deskewed inside that size, never grown.

The colour image is drawn over the whole page first (in its own q/Q), then
the text content follows on the same page: the layout OCRmyPDF makes. At
OCR time the text is tesseract's; once the officer has confirmed the text,
replace_text_layer() writes the confirmed words instead (before the first
signature: a signed PDF is never rewritten).

Metadata: the document info and the XMP agree (title, author, producer
"Kho", dates). No PDF/A conformance is claimed: no PDF/A validator
(veraPDF) can be installed from the package registries this project uses,
so the claim could not be checked.
"""
import io
from dataclasses import dataclass
from datetime import datetime, timezone

import pikepdf
from PIL import Image

JPEG_QUALITY = 80
PRODUCER = "Kho"
GLYPH_WIDTH = 0.5          # the glyphless font's advance (DW 500), in text-space units


@dataclass
class ScanPage:
    """One recognised page for the PDF: the JPEG of the colour page,
    tesseract's one-page text-only PDF of the same pixels, and the page's
    size in points (the scan's own size; None: the text PDF's)."""
    jpeg: bytes
    width: int                  # pixels of the JPEG
    height: int
    grey: bool
    text_pdf: bytes
    size_pt: tuple = None
    corrected: bool = False     # words changed after tesseract (ocr.formulae): its
                                # text layer is laid again from them


def scan_page(colour, dpi, text_pdf, quality=JPEG_QUALITY, size_pt=None):
    """A ScanPage from the colour page (HxWx3 RGB or HxW grey uint8 array)."""
    image = Image.fromarray(colour)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, optimize=True, dpi=(dpi, dpi))
    return ScanPage(buf.getvalue(), image.width, image.height, image.mode == "L", text_pdf, size_pt)


def merge_pages(parts, source_pdf=None, title="Kho OCR", author=None):
    """`parts`: per page, either a ScanPage or an int, the index of a page
    to copy from `source_pdf` (bytes). Returns the merged PDF bytes."""
    out = pikepdf.new()
    opened = []
    source = pikepdf.open(io.BytesIO(source_pdf)) if source_pdf is not None else None
    try:
        for part in parts:
            if isinstance(part, int):
                out.pages.append(source.pages[part])
            else:
                page_pdf = pikepdf.open(io.BytesIO(part.text_pdf))
                opened.append(page_pdf)
                if len(page_pdf.pages) != 1:
                    raise pikepdf.PdfError(f"tesseract wrote {len(page_pdf.pages)} pages for one")
                out.pages.append(page_pdf.pages[0])
                if part.size_pt:
                    _fit_page(out, out.pages[-1], part.size_pt)
                _put_image_under(out, out.pages[-1], part)
        set_metadata(out, title, author)
        return _save(out)
    finally:
        for page_pdf in opened:
            page_pdf.close()
        if source is not None:
            source.close()
        out.close()


def _save(pdf):
    buf = io.BytesIO()
    pdf.save(buf, min_version="1.7", fix_metadata_version=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buf.getvalue()


def _page_size(page):
    box = [float(v) for v in page.mediabox]
    return box, box[2] - box[0], box[3] - box[1]


def _fit_page(pdf, page, size_pt):
    """Give the page exactly `size_pt` (w, h), scaling its content to fit
    (tesseract sizes the page from a whole-number dpi)."""
    box, w, h = _page_size(page)
    width, height = size_pt
    if abs(width - w) < 0.005 and abs(height - h) < 0.005:
        return
    sx, sy = width / w, height / h
    scale = f"q {sx:.6f} 0 0 {sy:.6f} {-box[0] * sx:.4f} {-box[1] * sy:.4f} cm\n".encode()
    page.contents_add(pikepdf.Stream(pdf, scale), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"))
    page.MediaBox = pikepdf.Array([0, 0, round(width, 4), round(height, 4)])
    if "/CropBox" in page.obj:
        del page.obj["/CropBox"]


def _image_draw(page, name):
    box, w, h = _page_size(page)
    return f"q {w:.4f} 0 0 {h:.4f} {box[0]:.4f} {box[1]:.4f} cm {name} Do Q\n".encode()


def _put_image_under(pdf, page, part):
    """Draw the JPEG over the whole page before the page's own (text) content."""
    image = pikepdf.Stream(pdf, part.jpeg)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = part.width, part.height, 8
    image.ColorSpace = pikepdf.Name.DeviceGray if part.grey else pikepdf.Name.DeviceRGB
    image.Filter = pikepdf.Name.DCTDecode
    name = page.add_resource(image, pikepdf.Name.XObject, prefix="Scan")
    page.contents_add(pikepdf.Stream(pdf, _image_draw(page, name)), prepend=True)


def _pdf_date(now):
    return "D:" + now.strftime("%Y%m%d%H%M%S") + "Z"


def set_metadata(pdf, title, author=None, keep_created=False):
    """Title, author, producer (Kho) and dates, in the document info and the
    XMP alike; no PDF/A claim (an older file's pdfaid and output intent go)."""
    now = datetime.now(timezone.utc)
    info = pdf.docinfo
    for key in ("/Title", "/Author"):
        if key in info:
            del info[key]
    if title:
        info["/Title"] = title
    if author:
        info["/Author"] = author
    info["/Producer"] = PRODUCER
    info["/Creator"] = PRODUCER
    if not (keep_created and "/CreationDate" in info):
        info["/CreationDate"] = _pdf_date(now)
    info["/ModDate"] = _pdf_date(now)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        for key in ("pdfaid:part", "pdfaid:conformance", "dc:title", "dc:creator"):
            if key in meta:
                del meta[key]
        meta.load_from_docinfo(info)
    if "/OutputIntents" in pdf.Root:
        del pdf.Root["/OutputIntents"]


# -- the text layer ------------------------------------------------------------------

def text_layer(lines, px_size, pt_size, font_name="/f-0-0"):
    """Content stream bytes that lay `lines` invisibly on a page of `pt_size`
    (w, h points) whose image is `px_size` (w, h pixels). `lines`: list of
    lines, each a list of (word, (x0, y0, x1, y1)) in image pixels, top-left
    origin. Each word sits on its line's baseline (the median bottom of its
    boxes) at the line's median height, stretched (Tz) over its box; words
    are separated by a space, lines by their position."""
    sx, sy = pt_size[0] / px_size[0], pt_size[1] / px_size[1]
    out = [b"BT\n3 Tr\n"]
    for line in lines:
        line = [(w, b) for w, b in line if w and b[2] > b[0] and b[3] > b[1]]
        if not line:
            continue
        heights = sorted((b[3] - b[1]) * sy for _, b in line)
        bottoms = sorted(b[3] for _, b in line)
        size = max(1.0, heights[len(heights) // 2])
        base = pt_size[1] - bottoms[len(bottoms) // 2] * sy
        for n, (word, box) in enumerate(line):
            last = n == len(line) - 1
            text = word if last else word + " "
            units = len(text.encode("utf-16-be")) // 2
            width = (box[2] - box[0]) * sx
            if not last:
                gap = (line[n + 1][1][0] - box[2]) * sx
                width = width + gap if 0 < gap < 3 * size else width * units / max(1, units - 1)
            stretch = 100.0 * width / (units * GLYPH_WIDTH * size)
            code = text.encode("utf-16-be").hex()
            out.append(f"1 0 0 1 {box[0] * sx:.2f} {base:.2f} Tm {font_name} {size:.2f} Tf "
                       f"{stretch:.3f} Tz [<{code}>] TJ\n".encode())
    out.append(b"ET\n")
    return b"".join(out)


def _scan_image_name(page):
    """The name of the page's scan image (drawn by merge_pages), or None for
    a page kept from the input."""
    xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
    names = [k for k in xobjects.keys() if str(k).startswith("/Scan")]
    return names[0] if len(names) == 1 else None


def _glyphless_font(pdf):
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if str(font.get("/BaseFont", "")) == "/GlyphLessFont":
                return font
    return None


def replace_text_layer(pdf_bytes, pages, *, title=None, author=None):
    """The searchable PDF with each recognised page's text layer replaced by
    the given words. `pages`: per PDF page, None (left as it is) or
    (lines, (px_w, px_h)) with `lines` as text_layer() takes them. Pages kept
    from the input (their own text) are left as they are. The metadata is
    set as merge_pages sets it."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        font = _glyphless_font(pdf)
        for page, spec in zip(pdf.pages, pages):
            name = _scan_image_name(page) if spec is not None else None
            if name is None:
                continue
            lines, px_size = spec
            _, w, h = _page_size(page)
            content = _image_draw(page, name)
            if font is not None:
                content += text_layer(lines, px_size, (w, h), "/f-0-0")
                page.Resources.Font = pikepdf.Dictionary({"/f-0-0": font})
            elif "/Font" in page.Resources:
                del page.Resources["/Font"]
            page.Contents = pikepdf.Stream(pdf, content)
        set_metadata(pdf, title, author, keep_created=True)
        return _save(pdf)
