"""Adding a PAdES signature to a PDF.

B-B always (subfilter ETSI.CAdES.detached); B-T when a TSA is given; B-LT
when also asked for and revocation information is reachable. An unsigned PDF
is normalised (rewritten cleanly) first; a signed one only ever gets an
incremental update.
"""
import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext

from .asyncsafe import callable_anywhere
from .appearances import field_box, get_profile
from .errors import (LtvNotReachableError, NotAPdfError, SigningError,
                     TimestampError)
from .normalize import ensure_pdf, has_signatures, normalize_pdf
from .signers import signer_common_name
from .trust import load_trust_roots
from .tsa import UrlTimeStamper


@callable_anywhere
def sign_pdf(pdf_bytes: bytes, signer, profile="digitized", *, name=None, tsa_url=None,
             timestamper=None, ltv=False, trust_roots=(), copy_kind=None, agency=None,
             field_name=None, location=None) -> bytes:
    """Sign `pdf_bytes` and return the signed PDF.

    signer: from load_p12_signer / load_pkcs11_signer.
    profile: 'digitized' | 'copy' | 'result' or a profile object (appearances.py).
    name: the name shown on the stamp (default: the certificate's CN).
    tsa_url or timestamper: add an RFC 3161 signature timestamp (PAdES B-T).
    ltv: embed certificates and revocation data (PAdES B-LT); needs a TSA and
        trust_roots, and a certificate that names a CRL or OCSP location.
    copy_kind, agency: the copy profile's text (e.g. 'SAO Y', agency name).
    """
    if tsa_url and timestamper is None:
        timestamper = UrlTimeStamper(tsa_url)
    writer, pdf_signer = build_pdf_signer(
        pdf_bytes, signer, profile, name=name, timestamper=timestamper, ltv=ltv,
        trust_roots=trust_roots, copy_kind=copy_kind, agency=agency, field_name=field_name,
        location=location)
    try:
        out = pdf_signer.sign_pdf(writer)
    except (TimestampRequestError, TimestampError) as exc:
        raise TimestampError(_one_line(exc)) from None
    except PyhankoSigningError as exc:
        raise SigningError(f"signing failed: {_one_line(exc)}") from None
    except PdfReadError as exc:
        raise NotAPdfError(f"the PDF cannot be signed: {_one_line(exc)}") from None
    return out.getvalue()


def build_pdf_signer(pdf_bytes, signer, profile="digitized", *, name=None, timestamper=None,
                     ltv=False, trust_roots=(), copy_kind=None, agency=None, field_name=None,
                     location=None):
    """(writer, pdf_signer): the PDF opened for an incremental update and a
    pyhanko PdfSigner with the profile's stamp, ready to sign at once
    (sign_pdf) or in two steps (signing.split)."""
    ensure_pdf(pdf_bytes)
    pdf_bytes = bytes(pdf_bytes)
    if not has_signatures(pdf_bytes):
        pdf_bytes = normalize_pdf(pdf_bytes)
    profile = get_profile(profile)
    cert_name = signer_common_name(signer)
    name = name or cert_name

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        first = _first_page(writer)
        mediabox = _inherited(first, "/MediaBox")
        rotation = int(_inherited(first, "/Rotate") or 0) % 360
        existing = _existing_field_names(writer)
    except (PdfReadError, KeyError, TypeError, ValueError) as exc:
        raise NotAPdfError(f"the PDF cannot be read for signing: {_one_line(exc)}") from None
    if mediabox is None:
        raise NotAPdfError("page 1 has no MediaBox")

    appearance = profile.appearance(name, rotation=rotation, copy_kind=copy_kind,
                                    agency=agency or (cert_name if profile.name != "digitized" else None))
    box = field_box(mediabox, rotation, appearance.corner, appearance.width,
                    appearance.height, appearance.margin)
    field_name = field_name or _new_field_name(profile.name, existing)

    validation_context = None
    if ltv:
        validation_context = _ltv_context(signer, timestamper, trust_roots)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        name=name,
        reason=appearance.reason,
        location=location,
        embed_validation_info=bool(ltv),
        validation_context=validation_context,
        use_pades_lta=False,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper, stamp_style=appearance.style,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=0, box=box))
    return writer, pdf_signer


def _ltv_context(signer, timestamper, trust_roots):
    if timestamper is None:
        raise LtvNotReachableError("PAdES B-LT needs a signature timestamp first: give a TSA URL")
    roots = load_trust_roots(trust_roots)
    if not roots:
        raise LtvNotReachableError("PAdES B-LT needs the trust anchors (--trust) to build the chain")
    cert = signer.signing_cert
    has_crl = cert.crl_distribution_points_value is not None
    has_ocsp = bool(cert.ocsp_urls)
    if not (has_crl or has_ocsp):
        raise LtvNotReachableError(
            "PAdES B-LT not reachable: the signer's certificate names no CRL or OCSP "
            "location, so there is no revocation information to embed")
    return ValidationContext(trust_roots=roots, allow_fetching=True, revocation_mode="hard-fail")


def _first_page(writer):
    pages = writer.root["/Pages"]
    node = pages
    while node.get("/Type") != "/Page" and "/Kids" in node:
        node = node["/Kids"][0].get_object()
    return node


def _inherited(page, key):
    node = page
    while node is not None:
        if key in node:
            return node[key]
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _existing_field_names(writer):
    acroform = writer.root.get("/AcroForm")
    names = set()
    if acroform is None:
        return names
    for ref in acroform.get_object().get("/Fields", []):
        try:
            names.add(str(ref.get_object().get("/T")))
        except Exception:
            continue
    return names


def _new_field_name(profile_name, existing):
    n = 1
    while f"Kho_{profile_name}_{n}" in existing:
        n += 1
    return f"Kho_{profile_name}_{n}"


def _one_line(exc) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())
