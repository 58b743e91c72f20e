"""Test helpers shared by the OCR tests (pytest only; scans.py is plain)."""
import pytest

# tests/conftest.py skips these when tesseract or poppler-utils is missing,
# and `make test-fast` leaves them out (-m "not tesseract")
needs_tesseract = pytest.mark.tesseract
