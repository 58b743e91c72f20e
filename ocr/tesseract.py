"""One tesseract run per page giving both hOCR and a one-page PDF whose
invisible text layer lies over the very image that was recognised.

Tesseract is called as a subprocess (not through pytesseract) so that each
call gets OMP_THREAD_LIMIT=1 in its own environment, a timeout and its
stderr: parallelism comes from running one tesseract per core.
"""
import os
import re
import shutil
import subprocess
import tempfile

from PIL import Image

from .errors import OcrFailed

TESSERACT = os.environ.get("KHO_TESSERACT", "tesseract")
_LANGUAGES = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


def check_languages(languages):
    if not _LANGUAGES.match(languages or ""):
        raise ValueError(f"bad tesseract language list {languages!r} (e.g. 'vie' or 'vie+eng')")
    return languages


def tesseract_available():
    return shutil.which(TESSERACT) is not None


def recognise_image(binary, dpi, languages, timeout=300):
    """Run tesseract on a binary page (uint8 array, 0 ink / 255 paper).

    Returns (hocr_text, pdf_bytes)."""
    check_languages(languages)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    with tempfile.TemporaryDirectory(prefix="kho-ocr-") as tmp:
        source = os.path.join(tmp, "page.png")
        base = os.path.join(tmp, "out")
        Image.fromarray(binary).convert("1", dither=Image.Dither.NONE).save(source, dpi=(dpi, dpi))
        command = [TESSERACT, source, base, "-l", languages, "--dpi", str(dpi), "--psm", "3",
                   "-c", "tessedit_create_hocr=1", "-c", "tessedit_create_pdf=1"]
        try:
            done = subprocess.run(command, capture_output=True, env=env, timeout=timeout)
        except FileNotFoundError:
            raise OcrFailed(f"tesseract is not installed (looked for {TESSERACT!r})") from None
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"tesseract took longer than {timeout} s on one page") from None
        try:
            with open(base + ".hocr", "rb") as f:
                hocr = f.read().decode("utf-8")
            with open(base + ".pdf", "rb") as f:
                pdf = f.read()
        except OSError:
            hocr, pdf = "", b""
        if done.returncode != 0 or not hocr or not pdf:
            message = _last_error(done.stderr) or f"exit code {done.returncode}"
            raise OcrFailed(f"tesseract failed: {message}")
        return hocr, pdf


def _last_error(stderr):
    lines = [l.strip() for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
    errors = [l for l in lines if "rror" in l or "ailed" in l]
    return (errors or lines or [""])[0]
