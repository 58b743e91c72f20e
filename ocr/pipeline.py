"""recognize(): pages in parallel, one tesseract process per worker.

One page (`kho ocr PAGE`) costs little more than tesseract alone: nothing
heavy is imported that the page does not need (pikepdf only for a PDF in
or out), the page is cleaned in one pass at full size, tesseract runs once
(as from the shell: its own threads) and, with `searchable=False`, writes
no PDF and none is assembled."""
import concurrent.futures
import dataclasses
import os
import tempfile

from .errors import OcrFailed
from .hocr import build_hocr, parse_hocr
from .inputs import ImagePage, open_pages, read_source
from .languages import DEFAULT_LANGUAGES, check_languages
from .result import OcrResult, Page


def default_workers():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def recognize(source, *, languages=DEFAULT_LANGUAGES, progress=None, workers=None,
              review_threshold=70.0, title=None, author=None, searchable=True,
              tesseract_threads=1, started=None):
    """Recognise a scan (path, bytes or binary file; PNG/JPEG/TIFF/PDF).
    `title` and `author` go into the searchable PDF's metadata (the title
    defaults to the file's name); with `searchable=False` no PDF is made
    (the result's searchable_pdf is None). `tesseract_threads`: OpenMP
    threads of a tesseract recognising a page alone (None: tesseract's own
    default, as from the shell); pages recognised side by side always get
    one each. `started`: a tesseract.Tesseract already started for a scan
    of one page (it loads its model meanwhile); closed when not used."""
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
        threads = 1 if n > 1 else tesseract_threads
        if started is not None and len(to_ocr) != 1:
            started.close()
            started = None
        if len(to_ocr) == 1:
            page = to_ocr[0]
            results[page.index] = _ocr_page(page, languages, review_threshold, searchable, threads,
                                            started)
            started = None
            to_ocr = []
            done += 1
            if progress:
                progress(done, total)
        with concurrent.futures.ThreadPoolExecutor(n, thread_name_prefix="kho-ocr") as pool:
            futures = {pool.submit(_ocr_page, page, languages, review_threshold, searchable,
                                   threads): page
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
        pdf = None
        if searchable:
            import pikepdf

            from .pdf import merge_pages
            parts = [part for _, part in results]
            # the source PDF is opened only to copy pages that kept their own text
            source_pdf = data if any(isinstance(part, int) for part in parts) else None
            try:
                pdf = merge_pages(parts, source_pdf, title=title or name, author=author)
                if any(getattr(part, "corrected", False) for part in parts):
                    pdf = _corrected_text_layers(pdf, results, title or name, author)
            except pikepdf.PdfError as exc:
                raise OcrFailed(f"{name}: cannot assemble the searchable PDF ({exc})") from None
    return OcrResult([page for page, _ in results], pdf)


def _ocr_page(page, languages, review_threshold, searchable=True, threads=1, started=None):
    import cv2

    from .preprocess import PSM, prepare_page
    from .tesseract import Tesseract
    try:
        pixels, dpi = page.load()
        try:
            prepared = prepare_page(pixels, dpi, colour=searchable)
        except (cv2.error, ValueError, MemoryError) as exc:
            raise OcrFailed(f"page {page.index + 1}: cannot clean the image ({exc})") from None
    except BaseException:
        if started is not None:
            started.close()
        raise
    if prepared.dotted:
        from .languages import for_hard_print
        languages = for_hard_print(languages)
    if started is not None and (started.pdf != searchable or prepared.psm != PSM
                                or started.languages != languages):
        started.close()
        started = None
    from .columns import find_split, moved_back, stacked
    h, w = prepared.image.shape
    split = find_split(prepared.image, prepared.dpi)
    image, move = prepared.image, None
    if split is not None:
        cut, bottom = split
        image, move = stacked(prepared.image, cut, prepared.dpi, bottom)
    try:
        tesseract = started or Tesseract(languages, pdf=searchable, threads=threads, psm=prepared.psm)
        hocr, text_pdf = tesseract.recognise(image, prepared.dpi)
    except OcrFailed as exc:
        raise OcrFailed(f"page {page.index + 1}: {exc}") from None
    _, words, text = parse_hocr(hocr)
    if move:           # boxes back on the page
        words = moved_back(words, move)
    words, text, dropped = _without_specks(words, text, prepared.dpi)
    words, text, corrected = _with_formulae(words, text)
    corrected = corrected or dropped or bool(move)
    if corrected:      # the hOCR and the text layer are made again from the words
        hocr = build_hocr(w, h, words, page.index + 1, system="kho: tesseract, corrected")
    part = None
    if searchable:
        from .pdf import scan_page

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
    if part is not None and corrected:
        part = dataclasses.replace(part, corrected=True)
    return result, part


def _corrected_text_layers(pdf, results, title, author):
    """The searchable PDF whose pages with corrected words carry those words
    (tesseract's own text-only page has what it read)."""
    from .hocr import place_words
    from .pdf import replace_text_layer
    specs = [(place_words(page.text, page.words), (page.width, page.height))
             if getattr(part, "corrected", False) else None
             for page, part in results]
    return replace_text_layer(pdf, specs, title=title, author=author)


SPECK_INCHES = 0.02      # a "word" of punctuation no wider nor taller than this is a speck


def _without_specks(words, text, dpi):
    """(words, text, whether any went) without the "words" tesseract made of
    a speck of toner: no letter or digit, a box of a few pixels ("|" from a
    2 x 2 dot at the end of a line). Word n stays the text's word n."""
    side = SPECK_INCHES * (dpi or 300)
    specks = {n for n, w in enumerate(words)
              if not any(c.isalnum() for c in w.text)
              and w.bbox[2] - w.bbox[0] <= side and w.bbox[3] - w.bbox[1] <= side}
    if not specks:
        return words, text, False
    lines, n = [], 0
    for line in text.split("\n"):
        kept = []
        for token in line.split():
            if n not in specks:
                kept.append(token)
            n += 1
        lines.append(" ".join(kept))
    return [w for n, w in enumerate(words) if n not in specks], "\n".join(lines), True


def _with_formulae(words, text):
    """(words, text, whether any changed) with the formulae's marks put
    back (ocr.formulae); a changed word keeps its box and confidence."""
    from .formulae import correct_text
    text, changed = correct_text(text)
    if changed:
        tokens = text.split()
        words = list(words)
        for n in changed:
            words[n] = dataclasses.replace(words[n], text=tokens[n])
    return words, text, bool(changed)


def _text_page(page, review_threshold):
    return Page(index=page.index, width=page.width, height=page.height, dpi=page.dpi,
                words=page.words, text=page.text, mean_confidence=100.0,
                hocr=build_hocr(page.width, page.height, page.words, page.index + 1),
                needs_review=False, source="text-layer")
