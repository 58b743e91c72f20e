"""Assemble the searchable PDF: tesseract's one-page PDFs (image + invisible
text) and the kept text-layer pages of the input, in order, marked as
PDF/A-2b (XMP identification and an sRGB output intent).

What is achieved: PDF 1.7 header, XMP metadata with pdfaid part 2 /
conformance B matching the document info, an embedded sRGB ICC output intent,
tesseract's embedded glyphless font. Not verified with a PDF/A validator; a
kept input page may itself break PDF/A rules (transparency, unembedded
fonts), so the claim is only made when every page came from tesseract.
"""
import io
from datetime import datetime, timezone

import pikepdf
from PIL import ImageCms

_ICC = None


def _srgb_profile():
    global _ICC
    if _ICC is None:
        _ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _ICC


def merge_pages(parts, source_pdf=None, title="Kho OCR"):
    """`parts`: per page, either PDF bytes (one page) or an int, the index of
    a page to copy from `source_pdf` (bytes). Returns the merged PDF bytes."""
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
                page_pdf = pikepdf.open(io.BytesIO(part))
                opened.append(page_pdf)
                out.pages.extend(page_pdf.pages)
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
