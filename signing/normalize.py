"""Imperfect scanner PDFs: check that bytes are a PDF, tell whether they are
already signed, and rewrite an unsigned one cleanly (new xref table, right
offsets and generation numbers) before its first signature.

A PDF that already carries a signature is never rewritten: later signatures
are incremental updates, or the earlier ones would break.
"""
import io
import re

import pikepdf

from .errors import NotAPdfError, SigningError

_SIG_MARKERS = (re.compile(rb"/ByteRange\s*\["), re.compile(rb"/Type\s*/Sig\b"),
                re.compile(rb"/Type\s*/DocTimeStamp\b"))


def ensure_pdf(data: bytes) -> None:
    """NotAPdfError unless `data` looks like a PDF (header in the first KiB)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise NotAPdfError("expected the bytes of a PDF file")
    if b"%PDF-" not in bytes(data[:1024]):
        raise NotAPdfError("not a PDF file (no %PDF- header)")


def has_signatures(data: bytes) -> bool:
    """True when the PDF holds a signature or document timestamp.

    Looks both at the parsed AcroForm (signature fields with a value) and at
    the raw bytes (a /ByteRange or /Type /Sig object anywhere), so a signature
    hidden by a damaged xref is still noticed.
    """
    ensure_pdf(data)
    raw = bytes(data)
    if any(marker.search(raw) for marker in _SIG_MARKERS):
        return True
    try:
        with pikepdf.open(io.BytesIO(raw)) as pdf:
            acroform = pdf.Root.get("/AcroForm")
            fields = list(acroform.get("/Fields", [])) if acroform is not None else []
            return any(f.get("/FT") == "/Sig" and "/V" in f for f in fields)
    except pikepdf.PdfError:
        return False


def normalize_pdf(data: bytes) -> bytes:
    """Rewrite an unsigned PDF (repairing its xref, offsets, generations).

    SigningError if the PDF is already signed (rewriting would break its
    signatures); NotAPdfError if it cannot be read even with repair.
    """
    ensure_pdf(data)
    if has_signatures(data):
        raise SigningError("this PDF is already signed: it may only be extended by "
                           "incremental updates, never rewritten")
    try:
        with pikepdf.open(io.BytesIO(bytes(data))) as pdf:
            if len(pdf.pages) == 0:
                raise NotAPdfError("the PDF has no pages")
            out = io.BytesIO()
            # keep PDF >= 1.4 (Circular 01/2023), plain xref table, no object streams:
            # what every verifier and incremental writer reads
            pdf.save(out, min_version="1.4", object_stream_mode=pikepdf.ObjectStreamMode.disable,
                     fix_metadata_version=True, deterministic_id=False)
            return out.getvalue()
    except pikepdf.PasswordError:
        raise NotAPdfError("the PDF is encrypted with a password") from None
    except pikepdf.PdfError as exc:
        raise NotAPdfError(f"the PDF cannot be read: {' '.join(str(exc).split())}") from None
