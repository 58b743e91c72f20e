"""Kho's OCR: a desk scan or a phone photo in, searchable Vietnamese text and
a searchable PDF out.

Why a library of its own: the web app, the background workers and the `kho`
command all need the same recognition, and none of them should know how
tesseract, OpenCV or poppler are driven. It knows nothing of Pyramid or ZODB.

Public interface:

    recognize(source, *, languages="vie", progress=None, workers=None,
              review_threshold=70.0, title=None, author=None,
              searchable=True, tesseract_threads=1) -> OcrResult
        source: a path, bytes or binary file of a PNG, JPEG, TIFF (multi-page)
        or PDF. Image pages are straightened, cleaned and recognised by
        tesseract (one process per worker, pages in parallel); PDF pages
        with a real text layer keep their text. progress(done, total) is
        called as pages finish. searchable=False: no PDF is made
        (.searchable_pdf is None), for text only. tesseract_threads: the
        OpenMP threads of a page recognised alone (None: tesseract's own
        default); pages side by side get one each.
    OcrResult: .text (NFC, pages separated by "\\f"), .pages (list of Page),
        .searchable_pdf (bytes; page N has the scan's own size and shows
        the colour scan, JPEG q80, turned, deskewed inside that size and
        flattened onto exactly the pixels page N's word boxes refer to,
        under tesseract's invisible text; title/author from recognize()'s
        title= and author=, producer Kho, XMP agreeing; no PDF/A claim),
        .mean_confidence, .needs_review
    Page: .index .width .height .dpi .words (Word: text, bbox, confidence)
        .text .hocr .mean_confidence .needs_review .source ...
    suggest_metadata(text, doc_types=()) -> Suggestions
        proposals for the officer (paper type, number and symbol, issue
        date, issuer, personal id), each with the span of text it came from.
    place_words(text, words, page_size) -> lines of (word, bbox)
        the confirmed text of a page laid on its recognised words' boxes.
    replace_text_layer(pdf, pages, title=, author=) -> bytes
        the searchable PDF with the confirmed text as its invisible layer.
    Errors: OcrError > UnsupportedInput, CorruptInput, OcrFailed.

Tesseract (the command pytesseract names) runs one process per core, each
limited to one OpenMP thread in its own environment; os.environ is never
changed (see tesseract.py). `kho ocr PAGE` skips the PDF unless asked for
it and lets a page alone use tesseract's own threads.

The default language is "vie" alone: on Vietnamese papers "vie+eng" was both
slower (about 1.6x) and less accurate (English wins on words whose marks are
faint: "dan" for "dân"); pass languages="vie+eng" where English text is
expected.
"""
from .errors import CorruptInput, OcrError, OcrFailed, UnsupportedInput
from .languages import DEFAULT_LANGUAGES
from .result import OcrResult, Page, Word

# OpenCV, numpy, pikepdf and lxml are imported when first needed (PEP 562):
# `import ocr` alone, `kho --help` and `kho ocr --help` stay fast.
_LAZY = {
    "place_words": "hocr", "replace_text_layer": "pdf", "recognize": "pipeline",
    "Suggestion": "suggest", "Suggestions": "suggest", "suggest_metadata": "suggest",
}
_MODULES = ("cli", "hocr", "inputs", "pdf", "pipeline", "preprocess", "suggest", "tesseract")


def __getattr__(name):
    import importlib
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))


__all__ = [
    "recognize", "suggest_metadata", "OcrResult", "Page", "Word", "Suggestion",
    "Suggestions", "OcrError", "UnsupportedInput", "CorruptInput", "OcrFailed",
    "DEFAULT_LANGUAGES", "place_words", "replace_text_layer",
]
