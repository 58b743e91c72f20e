"""Test helpers shared by the OCR tests (pytest only; scans.py is plain)."""
import shutil

import pytest

from ocr.tesseract import tesseract_available

needs_tesseract = pytest.mark.skipif(
    not tesseract_available() or shutil.which("pdftoppm") is None,
    reason="tesseract and poppler-utils are needed")
