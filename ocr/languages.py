"""Tesseract language lists: the default and the check (no heavy imports,
so that `kho ocr --help` and the package's import stay cheap)."""
import re

DEFAULT_LANGUAGES = "vie"
_LANGUAGES = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


def check_languages(languages):
    if not _LANGUAGES.match(languages or ""):
        raise ValueError(f"bad tesseract language list {languages!r} (e.g. 'vie' or 'vie+eng')")
    return languages
