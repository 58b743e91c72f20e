"""Test helpers shared by the OCR tests (pytest only; scans.py is plain)."""
import shutil

import pytest

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
    reason="tesseract and poppler-utils are needed")
