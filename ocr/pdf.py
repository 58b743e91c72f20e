"""Assemble the searchable PDF: for each recognised page, the colour page
image (JPEG) drawn under tesseract's text-only page (its invisible text and
glyphless font), and the kept text-layer pages of the input, in order,
marked as PDF/A-2b (XMP identification and an sRGB output intent).

The colour image is drawn over the whole page first (in its own q/Q), then
tesseract's text content follows unchanged on the same page: the layout
OCRmyPDF makes, with the text appended as content rather than a Form XObject
because the page is new and nothing else is on it.

What is achieved: PDF 1.7 header, XMP metadata with pdfaid part 2 /
conformance B matching the document info, an embedded sRGB ICC output intent,
tesseract's embedded glyphless font. Not verified with a PDF/A validator; a
kept input page may itself break PDF/A rules (transparency, unembedded
fonts), so the claim is only made when every page came from tesseract.
"""
import io
from dataclasses import dataclass
from datetime import datetime, timezone

import pikepdf
from PIL import Image, ImageCms

JPEG_QUALITY = 80


@dataclass
class ScanPage:
    """One recognised page for the PDF: the JPEG of the colour page and
    tesseract's one-page text-only PDF of the same size."""
    jpeg: bytes
    width: int                  # pixels of the JPEG
    height: int
    grey: bool
    text_pdf: bytes


def scan_page(colour, dpi, text_pdf, quality=JPEG_QUALITY):
    """A ScanPage from the colour page (HxWx3 RGB or HxW grey uint8 array)."""
    image = Image.fromarray(colour)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, optimize=True, dpi=(dpi, dpi))
    return ScanPage(buf.getvalue(), image.width, image.height, image.mode == "L", text_pdf)

_ICC = None


def _srgb_profile():
    global _ICC
    if _ICC is None:
        _ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _ICC


def merge_pages(parts, source_pdf=None, title="Kho OCR"):
    """`parts`: per page, either a ScanPage or an int, the index of a page
    to copy from `source_pdf` (bytes). Returns the merged PDF bytes."""
    out = pikepdf.new()
    opened = []
    source = pikepdf.open(io.BytesIO(source_pdf)) if source_pdf is not None else None
    all_ocr = True
    try:
        for part in parts:
            if isinstance(part, int):
                out.pages.append(source.pages[part])
                all_ocr = False
            else:
                page_pdf = pikepdf.open(io.BytesIO(part.text_pdf))
                opened.append(page_pdf)
                if len(page_pdf.pages) != 1:
                    raise pikepdf.PdfError(f"tesseract wrote {len(page_pdf.pages)} pages for one")
                out.pages.append(page_pdf.pages[0])
                _put_image_under(out, out.pages[-1], part)
        if all_ocr:
            _mark_pdfa(out, title)
        buf = io.BytesIO()
        out.save(buf, min_version="1.7", fix_metadata_version=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buf.getvalue()
    finally:
        for page_pdf in opened:
            page_pdf.close()
        if source is not None:
            source.close()
        out.close()


def _put_image_under(pdf, page, part):
    """Draw the JPEG over the whole page before the page's own (text) content."""
    image = pikepdf.Stream(pdf, part.jpeg)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = part.width, part.height, 8
    image.ColorSpace = pikepdf.Name.DeviceGray if part.grey else pikepdf.Name.DeviceRGB
    image.Filter = pikepdf.Name.DCTDecode
    name = page.add_resource(image, pikepdf.Name.XObject, prefix="Scan")
    box = [float(v) for v in page.mediabox]
    w, h = box[2] - box[0], box[3] - box[1]
    draw = f"q {w:.4f} 0 0 {h:.4f} {box[0]:.4f} {box[1]:.4f} cm {name} Do Q\n".encode()
    page.contents_add(pikepdf.Stream(pdf, draw), prepend=True)


def _mark_pdfa(pdf, title):
    now = datetime.now(timezone.utc)
    pdf.docinfo["/Title"] = title
    pdf.docinfo["/Producer"] = "Kho OCR (tesseract, pikepdf)"
    stamp = "D:" + now.strftime("%Y%m%d%H%M%S") + "Z"
    pdf.docinfo["/CreationDate"] = stamp
    pdf.docinfo["/ModDate"] = stamp
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta.load_from_docinfo(pdf.docinfo)
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
    icc = pikepdf.Stream(pdf, _srgb_profile())
    icc["/N"] = 3
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier="sRGB IEC61966-2.1", Info="sRGB IEC61966-2.1",
        DestOutputProfile=icc)
    pdf.Root.OutputIntents = pikepdf.Array([intent])
