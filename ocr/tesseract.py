"""One tesseract run per page, through pytesseract, giving both the hOCR and
a one-page text-only PDF (tesseract's invisible text layer without the
image; pdf.py puts the colour page under it).

Parallelism comes from running one tesseract per core, so each tesseract
must use one thread: pytesseract starts tesseract with this process's
environment (it cannot take an environment per call), so importing this
module sets OMP_THREAD_LIMIT=1 in os.environ unless it is already set (an
explicit setting is respected). It is set once, at import, not around each
call: changing os.environ while other threads start processes would race,
and a lock held for a whole run would serialise the pages. Other OpenMP code
started later in this process sees the limit too.

pytesseract's run_and_get_multiple_output() takes no `config` (no --dpi,
--psm or -c textonly_pdf=1) and saves the image without its dpi, so the
lower-level run_tesseract() is used: the "hocr" and "pdf" config files ask
for both outputs from the one run.
"""
import os
import shutil
import tempfile

import pytesseract
from PIL import Image
from pytesseract import TesseractError, TesseractNotFoundError

from .errors import OcrFailed
from .languages import check_languages

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

TESSERACT = os.environ.get("KHO_TESSERACT", "tesseract")
if "KHO_TESSERACT" in os.environ:
    pytesseract.pytesseract.tesseract_cmd = TESSERACT
_MAX_MESSAGE = 300


def tesseract_available():
    return shutil.which(TESSERACT) is not None


def recognise_image(binary, dpi, languages, timeout=300):
    """Run tesseract on a binary page (uint8 array, 0 ink / 255 paper).

    Returns (hocr_text, text_only_pdf_bytes): the PDF page is the image's
    size at `dpi` and holds only the invisible text."""
    check_languages(languages)
    with tempfile.TemporaryDirectory(prefix="kho-ocr-") as tmp:
        source = os.path.join(tmp, "page.png")
        base = os.path.join(tmp, "out")
        Image.fromarray(binary).convert("1", dither=Image.Dither.NONE).save(source, dpi=(dpi, dpi))
        try:
            pytesseract.pytesseract.run_tesseract(
                source, base, extension="hocr pdf", lang=languages,
                config=f"--dpi {int(dpi)} --psm 3 -c textonly_pdf=1", timeout=timeout)
        except TesseractNotFoundError:
            raise OcrFailed(f"tesseract is not installed (looked for "
                            f"{pytesseract.pytesseract.tesseract_cmd!r})") from None
        except TesseractError as exc:
            message = _message(exc.message) or f"exit code {exc.status}"
            raise OcrFailed(f"tesseract failed: {message}") from None
        except RuntimeError as exc:     # pytesseract's way of saying "timed out"
            if "timeout" not in str(exc):
                raise
            raise OcrFailed(f"tesseract took longer than {timeout} s on one page") from None
        try:
            with open(base + ".hocr", "rb") as f:
                hocr = f.read().decode("utf-8")
            with open(base + ".pdf", "rb") as f:
                pdf = f.read()
        except OSError:
            hocr, pdf = "", b""
        if not hocr or not pdf:
            raise OcrFailed("tesseract failed: it wrote no hOCR or no PDF")
        return hocr, pdf


def _message(stderr):
    """pytesseract joins tesseract's stderr lines with spaces: keep it short."""
    text = " ".join(str(stderr or "").split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 1] + "…"
