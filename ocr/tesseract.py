"""One tesseract run per page, giving the hOCR and, when a searchable PDF is
wanted, a one-page text-only PDF (tesseract's invisible text layer without
the image; pdf.py puts the colour page under it) from the same run.

Threads: tesseract's OpenMP threads help one page a little and hurt when
several tesseracts run side by side (they spin waiting for each other). So
each run gets its own environment: `threads=1` (pages recognised in
parallel) sets OMP_THREAD_LIMIT=1 for that tesseract only; `threads=None`
(one page at a time, as `kho ocr PAGE`) lets tesseract use the cores this
process may run on (thread_limit()): its LSTM asks OpenMP for 4 threads
whatever the machine, and on 2 cores those 4 spin for each other, so raw
`tesseract PAGE -` took 2.4-2.9 s of wall time on a page that takes
0.5-0.7 s limited to 2 threads or 1 (measured idle, bench/ocr.py). When
other work fills every core (machine_busy()) it gets one thread. An
OMP_THREAD_LIMIT set by the user is always respected. This module never
changes os.environ.

The command is pytesseract's (`pytesseract.pytesseract.tesseract_cmd`, or
$KHO_TESSERACT), but the process is started here: pytesseract hands every
tesseract this process's whole environment and cannot take one per call,
and its run_and_get_multiple_output() takes no config (--dpi, --psm,
-c textonly_pdf=1). pytesseract is not imported here: when something else
imported it and named the command, that command is used.
"""
import io
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
    if "OMP_THREAD_LIMIT" in env:
        return env
    if threads is None:
        threads = 1 if machine_busy() else thread_limit()
    if threads:
        env["OMP_THREAD_LIMIT"] = str(int(threads))
    return env


def thread_limit():
    """The cores this process may run on (tesseract never needs more threads
    than that; see the module docstring)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def machine_busy():
    """True when other work already fills every core (the last minute's load
    average is at least the cores this process may use). A page alone then
    runs tesseract on one thread: its second OpenMP thread finds no idle core
    and spins waiting for the first, which doubled both the CPU and the wall
    time of one page on a 2-core machine with a load of 6."""
    try:
        load = os.getloadavg()[0]
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return False
    return load >= cores


def recognise_image(binary, dpi, languages, timeout=300, *, pdf=True, threads=1, psm=PSM):
    """Run tesseract on a binary page (uint8 array, 0 ink / 255 paper).

    Returns (hocr_text, text_only_pdf_bytes or None without `pdf`): the PDF
    page is the image's size at `dpi` and holds only the invisible text."""
    return Tesseract(languages, pdf=pdf, threads=threads, psm=psm, timeout=timeout).recognise(binary, dpi)


class Tesseract:
    """One tesseract, started before its page is ready: it loads its model
    while the page is opened and cleaned, then reads the page from its
    standard input (`kho ocr PAGE` starts it before importing numpy)."""

    def __init__(self, languages, *, pdf=True, threads=1, psm=PSM, timeout=300):
        check_languages(languages)
        self.command, self.pdf, self.timeout = tesseract_command(), pdf, timeout
        self.languages = languages
        self.tmp = tempfile.mkdtemp(prefix="kho-ocr-")
        self.base = os.path.join(self.tmp, "out")
        # the resolution is the PNG's own (written with the page's dpi)
        args = [self.command, "stdin", self.base, "-l", languages, "--psm", str(int(psm))]
        args += ["-c", "textonly_pdf=1", "hocr", "pdf"] if pdf else ["hocr"]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=_environment(threads))
        except FileNotFoundError:
            self.close()
            raise OcrFailed(f"tesseract is not installed (looked for {self.command!r})") from None

    def recognise(self, binary, dpi):
        """(hocr, text-only PDF or None) of the binary page at `dpi`."""
        from PIL import Image
        try:
            buf = io.BytesIO()
            Image.fromarray(binary).convert("1", dither=Image.Dither.NONE).save(
                buf, "PNG", dpi=(dpi, dpi), compress_level=1)
            try:
                _, stderr = self.process.communicate(buf.getvalue(), timeout=self.timeout)
            except subprocess.TimeoutExpired:
                raise OcrFailed(f"tesseract took longer than {self.timeout} s on one page") from None
            if self.process.returncode:
                message = (_message(stderr.decode("utf-8", "replace"))
                           or f"exit code {self.process.returncode}")
                raise OcrFailed(f"tesseract failed: {message}")
            try:
                with open(self.base + ".hocr", "rb") as f:
                    hocr = f.read().decode("utf-8")
                text_pdf = None
                if self.pdf:
                    with open(self.base + ".pdf", "rb") as f:
                        text_pdf = f.read()
            except OSError:
                hocr, text_pdf = "", b""
            if not hocr or (self.pdf and not text_pdf):
                raise OcrFailed("tesseract failed: it wrote no hOCR or no PDF")
            return hocr, text_pdf
        finally:
            self.close()

    def close(self):
        """Stop tesseract if it still runs (a page that was not needed) and
        remove its files."""
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.communicate()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _message(stderr):
    """tesseract's stderr on one short line (without its progress chatter)."""
    lines = [line for line in str(stderr or "").splitlines()
             if line.strip() and not line.startswith(("Tesseract Open Source", "Estimating resolution"))]
    text = " ".join(" ".join(lines).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE - 1] + "…"
