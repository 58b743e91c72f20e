"""`kho ocr`: output formats, exit codes, one-line errors, no half-written files."""
import os
import subprocess
import sys
from pathlib import Path

import pikepdf

from tests.ocr import scans
from tests.ocr.support import needs_tesseract

RUN = ("import argparse, sys\n"
       "from ocr import cli\n"
       "p = argparse.ArgumentParser(prog='kho')\n"
       "cli.register(p.add_subparsers())\n"
       "a = p.parse_args(sys.argv[1:])\n"
       "sys.exit(a.func(a))\n")


ROOT = Path(__file__).resolve().parents[2]


def kho_ocr(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, "-c", RUN, "ocr", *map(str, args)],
                          capture_output=True, cwd=cwd, env=env, timeout=300)


def short_scan(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(scans.image_bytes(scans.degraded("clean", lines=scans.PAPER_LINES[:5])))
    return path


@needs_tesseract
def test_text_to_stdout_and_pdf_to_file(tmp_path):
    path = short_scan(tmp_path)
    done = kho_ocr(path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert scans.cer(scans.ground_truth(scans.PAPER_LINES[:5]), text) <= 0.02
    out = tmp_path / "out.pdf"
    done = kho_ocr(path, "--format", "pdf", "-o", out, "--lang", "vie+eng", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1


@needs_tesseract
def test_hocr_and_pdf_to_stdout(tmp_path):
    path = short_scan(tmp_path)
    done = kho_ocr(path, "--format", "hocr", cwd=tmp_path)
    assert done.returncode == 0 and b"ocrx_word" in done.stdout
    done = kho_ocr(path, "--format", "pdf", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith(b"%PDF-")


def test_bad_inputs_exit_non_zero_with_one_line(tmp_path):
    truncated = tmp_path / "broken.png"
    data = scans.image_bytes(scans.render_page(dpi=100))
    truncated.write_bytes(data[: len(data) // 3])
    fake = tmp_path / "letter.pdf"
    fake.write_text("Kính gửi: Uỷ ban nhân dân xã\n")
    for path in (truncated, fake, tmp_path / "missing.jpg"):
        out = tmp_path / "out.txt"
        done = kho_ocr(path, "-o", out, cwd=tmp_path)
        assert done.returncode != 0
        lines = done.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("kho ocr: "), done.stderr
        assert "Traceback" not in done.stderr.decode()
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kho-ocr-")] == []
