import shutil

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
    reason="tesseract and poppler-utils are needed")
