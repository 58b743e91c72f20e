"""The exceptions the OCR library raises; each message is readable as is."""


class OcrError(Exception):
    """Base class: anything the OCR library refuses or cannot do."""


class UnsupportedInput(OcrError):
    """The input is not a PNG, JPEG, TIFF or PDF (or is too large to process)."""


class CorruptInput(OcrError):
    """The input claims a supported format but cannot be decoded."""


class OcrFailed(OcrError):
    """Tesseract (or a poppler tool) failed on an input that decoded fine."""
