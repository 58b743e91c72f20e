"""One tesseract run per page, giving the hOCR and, when a searchable PDF is
wanted, a one-page text-only PDF (tesseract's invisible text layer without
the image; pdf.py puts the colour page under it) from the same run.

Threads: tesseract's OpenMP threads help one page a little and hurt when
several tesseracts run side by side (they spin waiting for each other). So
each run gets its own environment: `threads=1` (pages recognised in
parallel) sets OMP_THREAD_LIMIT=1 for that tesseract only; `threads=None`
(one page at a time, as `kho ocr PAGE`) leaves tesseract as it would run
from the shell, like raw `tesseract PAGE -`. An OMP_THREAD_LIMIT set by the
user is always respected. This module never changes os.environ.

The command is pytesseract's (`pytesseract.pytesseract.tesseract_cmd`, or
$KHO_TESSERACT), but the process is started here: pytesseract hands every
tesseract this process's whole environment and cannot take one per call,
and its run_and_get_multiple_output() takes no config (--dpi, --psm,
-c textonly_pdf=1). pytesseract is not imported here: when something else
imported it and named the command, that command is used.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from .errors import OcrFailed
from .languages import check_languages

_MAX_MESSAGE = 300
# page segmentation: 3 = automatic layout (columns, blocks), tesseract's default
PSM = 3


def tesseract_command():
    """$KHO_TESSERACT, else the command pytesseract was told to use when
    something imported it and set it, else "tesseract" (pytesseract's own
    default, without importing it: `kho ocr` starts faster)."""
    command = os.environ.get("KHO_TESSERACT")
    if command:
        return command
    pytesseract = sys.modules.get("pytesseract")
    if pytesseract is not None:
        return pytesseract.pytesseract.tesseract_cmd
    return "tesseract"


def tesseract_available():
    return shutil.which(tesseract_command()) is not None


def _environment(threads):
    env = dict(os.environ)
    if threads and "OMP_THREAD_LIMIT" not in env:
        env["OMP_THREAD_LIMIT"] = str(int(threads))
    return env


def recognise_image(binary, dpi, languages, timeout=300, *, pdf=True, threads=1, psm=PSM):
    """Run tesseract on a binary page (uint8 array, 0 ink / 255 paper).

    Returns (hocr_text, text_only_pdf_bytes or None without `pdf`): the PDF
    page is the image's size at `dpi` and holds only the invisible text."""
    from PIL import Image
    check_languages(languages)
    command = tesseract_command()
    with tempfile.TemporaryDirectory(prefix="kho-ocr-") as tmp:
        source = os.path.join(tmp, "page.png")
        base = os.path.join(tmp, "out")
        Image.fromarray(binary).convert("1", dither=Image.Dither.NONE).save(
            source, dpi=(dpi, dpi), compress_level=1)
        args = [command, source, base, "-l", languages, "--dpi", str(int(dpi)),
                "--psm", str(int(psm))]
        if pdf:
            args += ["-c", "textonly_pdf=1", "hocr", "pdf"]
        else:
            args += ["hocr"]
        try:
            done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout, env=_environment(threads))
        except FileNotFoundError:
            raise OcrFailed(f"tesseract is not installed (looked for {command!r})") from None
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"tesseract took longer than {timeout} s on one page") from None
        if done.returncode:
            message = _message(done.stderr.decode("utf-8", "replace")) or f"exit code {done.returncode}"
            raise OcrFailed(f"tesseract failed: {message}")
        try:
            with open(base + ".hocr", "rb") as f:
                hocr = f.read().decode("utf-8")
            text_pdf = None
            if pdf:
                with open(base + ".pdf", "rb") as f:
                    text_pdf = f.read()
        except OSError:
            hocr, text_pdf = "", b""
        if not hocr or (pdf and not text_pdf):
            raise OcrFailed("tesseract failed: it wrote no hOCR or no PDF")
        return hocr, text_pdf


def _message(stderr):
    """tesseract's stderr on one short line (without its progress chatter)."""
    lines = [line for line in str(stderr or "").splitlines()
             if line.strip() and not line.startswith(("Tesseract Open Source", "Estimating resolution"))]
    text = " ".join(" ".join(lines).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 1] + "…"
