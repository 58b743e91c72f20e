"""recognize(): pages in parallel, one tesseract process per worker."""
import concurrent.futures
import os
import tempfile

import cv2
import pikepdf

from .errors import OcrFailed
from .hocr import build_hocr, parse_hocr
from .languages import DEFAULT_LANGUAGES
from .inputs import ImagePage, open_pages, read_source
from .pdf import merge_pages, scan_page
from .preprocess import prepare_page
from .result import OcrResult, Page
from .tesseract import check_languages, recognise_image


def default_workers():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def recognize(source, *, languages=DEFAULT_LANGUAGES, progress=None, workers=None,
              review_threshold=70.0, title=None, author=None):
    """Recognise a scan (path, bytes or binary file; PNG/JPEG/TIFF/PDF).
    `title` and `author` go into the searchable PDF's metadata (the title
    defaults to the file's name)."""
    check_languages(languages)
    data, name = read_source(source)
    with tempfile.TemporaryDirectory(prefix="kho-ocr-") as workdir:
        pages = open_pages(data, name, workdir)
        total = len(pages)
        results = [None] * total
        if progress:
            progress(0, total)
        to_ocr = [p for p in pages if isinstance(p, ImagePage)]
        done = 0
        for page in pages:
            if not isinstance(page, ImagePage):
                results[page.index] = (_text_page(page, review_threshold), page.index)
                done += 1
                if progress:
                    progress(done, total)
        n = min(workers or default_workers(), max(1, len(to_ocr)))
        with concurrent.futures.ThreadPoolExecutor(n, thread_name_prefix="kho-ocr") as pool:
            futures = {pool.submit(_ocr_page, page, languages, review_threshold): page
                       for page in to_ocr}
            try:
                for future in concurrent.futures.as_completed(futures):
                    results[futures[future].index] = future.result()
                    done += 1
                    if progress:
                        progress(done, total)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        parts = [part for _, part in results]
        # the source PDF is opened only to copy pages that kept their own text
        source_pdf = data if any(isinstance(part, int) for part in parts) else None
        try:
            pdf = merge_pages(parts, source_pdf, title=title or name, author=author)
        except pikepdf.PdfError as exc:
            raise OcrFailed(f"{name}: cannot assemble the searchable PDF ({exc})") from None
    return OcrResult([page for page, _ in results], pdf)


def _ocr_page(page, languages, review_threshold):
    pixels, dpi = page.load()
    try:
        prepared = prepare_page(pixels, dpi)
    except (cv2.error, ValueError, MemoryError) as exc:
        raise OcrFailed(f"page {page.index + 1}: cannot clean the image ({exc})") from None
    try:
        hocr, text_pdf = recognise_image(prepared.image, prepared.dpi, languages)
    except OcrFailed as exc:
        raise OcrFailed(f"page {page.index + 1}: {exc}") from None
    _, words, text = parse_hocr(hocr)
    h, w = prepared.image.shape
    # the page keeps the scan's size: pixels over the scan's own density
    # (the rounded dpi tesseract was given could move the page by a point)
    density = dpi * prepared.scale if dpi and not prepared.dewarped else prepared.dpi
    part = scan_page(prepared.colour, prepared.dpi, text_pdf,
                     size_pt=(w * 72.0 / density, h * 72.0 / density))
    mean = sum(x.confidence for x in words) / len(words) if words else 0.0
    result = Page(index=page.index, width=w, height=h, dpi=prepared.dpi, words=words,
                  text=text, hocr=hocr, mean_confidence=mean,
                  needs_review=mean < review_threshold,
                  quarter_turns=prepared.quarter_turns, skew_degrees=prepared.skew_degrees,
                  dewarped=prepared.dewarped)
    return result, part


def _text_page(page, review_threshold):
    return Page(index=page.index, width=page.width, height=page.height, dpi=page.dpi,
                words=page.words, text=page.text, mean_confidence=100.0,
                hocr=build_hocr(page.width, page.height, page.words, page.index + 1),
                needs_review=False, source="text-layer")
