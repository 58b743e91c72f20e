"""`kho ocr PATH [--lang vie] [--format text|hocr|pdf] [-o OUT]`."""
import os
import sys
import tempfile

from .errors import OcrError
from .languages import DEFAULT_LANGUAGES


def register(subparsers):
    parser = subparsers.add_parser(
        "ocr", help="recognise a scan (PNG, JPEG, TIFF, PDF): text, hOCR or a searchable PDF")
    parser.add_argument("path", help="the scan to read")
    parser.add_argument("--lang", default=DEFAULT_LANGUAGES,
                        help=f"tesseract languages (default {DEFAULT_LANGUAGES}; e.g. vie+eng)")
    parser.add_argument("--format", choices=("text", "hocr", "pdf"), default="text",
                        help="what to write (default: text)")
    parser.add_argument("-o", "--output", help="write here instead of standard output")
    parser.add_argument("--workers", type=int, default=None,
                        help="tesseract processes in parallel (default: one per core)")
    parser.add_argument("--progress", action="store_true", help="show pages done on stderr")
    parser.set_defaults(func=run)


def run(args):
    # A single-image scan: tesseract is started first and loads its model
    # while numpy and OpenCV are imported and the page is cleaned.
    started = None
    searchable = args.format == "pdf"
    if _one_image(args.path) and not args.workers:
        from .tesseract import Tesseract
        try:
            started = Tesseract(args.lang, pdf=searchable, threads=None)
        except (OcrError, ValueError):
            started = None            # recognize() says what is wrong
    from .pipeline import recognize
    progress = None
    if args.progress:
        def progress(done, total):
            print(f"\rpage {done}/{total}", end="\n" if done == total else "",
                  file=sys.stderr, flush=True)
    try:
        # one page alone: tesseract gets as many threads as cores (see
        # ocr.tesseract); the PDF is made only when asked for
        result = recognize(args.path, languages=args.lang, progress=progress,
                           workers=args.workers, searchable=searchable,
                           tesseract_threads=None, started=started)
    except (OcrError, ValueError) as exc:
        print(f"kho ocr: {exc}", file=sys.stderr)
        return 1
    finally:
        if started is not None:
            started.close()       # (nothing left to do when the page used it)
    if args.format == "pdf":
        payload = result.searchable_pdf
    elif args.format == "hocr":
        payload = "\n".join(page.hocr for page in result.pages if page.hocr).encode("utf-8")
    else:
        payload = (result.text.rstrip("\n") + "\n").encode("utf-8")
    try:
        _write(payload, args.output)
    except OSError as exc:
        print(f"kho ocr: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def _one_image(path):
    """True for a PNG or JPEG file (one page; a phone's MPO may hold more,
    and then the early tesseract is simply stopped)."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")


def _write(payload, output):
    if not output or output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
        return
    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(prefix=".kho-ocr-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, 0o644)           # (mkstemp makes it readable by its owner only)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
