"""Signing in two steps, for a key that is somewhere else (the officer's USB
token at the desk, a remote signing service): pyhanko's interrupted signing.

1. prepare_signature(pdf, certificate): the PDF gets its signature field, the
   profile's stamp and a reserved place for the signature; the CMS signed
   attributes (which hold the document's digest and the certificate) are
   made. `PreparedSignature.to_be_signed` are the bytes the key signs, as
   they are (a PKCS#11 token hashes them with CKM_SHA256_RSA_PKCS);
   `.digest` is their SHA-256, for a remote service that signs a hash.
2. The key signs, elsewhere.
3. finish_signature(prepared, signature_value): the value is checked against
   the certificate, the CMS is built (with a signature timestamp when a TSA
   is given: PAdES B-T) and embedded; the PDF is returned.

A PreparedSignature is plain data (to_dict/from_dict) so that the two steps
may run in different processes or requests.
"""
import asyncio
import base64
import hashlib
import io
from dataclasses import dataclass, field

from asn1crypto import cms
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers import ExternalSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .asyncsafe import callable_anywhere
from .certs import load_certificate, signature_matches
from .errors import SigningError, TimestampError
from .sign import build_pdf_signer
from .tsa import UrlTimeStamper

MD = "sha256"
PLACEHOLDER = 512          # bytes kept for the signature value (RSA up to 4096 bits)


class SignatureMismatch(SigningError):
    """The signature value was not made by the certificate's key over these bytes."""


@dataclass(frozen=True)
class PreparedSignature:
    pdf: bytes                  # the PDF with the place for the signature reserved
    document_digest: bytes      # SHA-256 over the /ByteRange
    region_start: int
    region_end: int
    signed_attrs: bytes         # DER of the CMS signed attributes: what the key signs
    certificate: bytes          # DER of the signer's certificate
    chain: tuple = field(default_factory=tuple)   # DER of the other certificates
    field_name: str = ""

    @property
    def to_be_signed(self) -> bytes:
        return self.signed_attrs

    @property
    def digest(self) -> bytes:
        """SHA-256 of the signed attributes: what a hash-signing service signs."""
        return hashlib.sha256(self.signed_attrs).digest()

    def to_dict(self) -> dict:
        b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
        return {"pdf": b64(self.pdf), "document_digest": b64(self.document_digest),
                "region_start": self.region_start, "region_end": self.region_end,
                "signed_attrs": b64(self.signed_attrs), "certificate": b64(self.certificate),
                "chain": [b64(c) for c in self.chain], "field_name": self.field_name}

    @classmethod
    def from_dict(cls, data) -> "PreparedSignature":
        d = base64.b64decode
        return cls(pdf=d(data["pdf"]), document_digest=d(data["document_digest"]),
                   region_start=int(data["region_start"]), region_end=int(data["region_end"]),
                   signed_attrs=d(data["signed_attrs"]), certificate=d(data["certificate"]),
                   chain=tuple(d(c) for c in data.get("chain", ())),
                   field_name=data.get("field_name", ""))


def _timestamper(tsa_url, timestamper):
    if tsa_url and timestamper is None:
        return UrlTimeStamper(tsa_url)
    return timestamper


@callable_anywhere
def prepare_signature(pdf_bytes, certificate, chain=(), profile="digitized", *, name=None,
                      tsa_url=None, timestamper=None, copy_kind=None, agency=None,
                      field_name=None, location=None) -> PreparedSignature:
    """Step 1: the PDF ready for a signature by `certificate` (DER/PEM bytes,
    asn1crypto or cryptography certificate), with the profile's stamp.
    With a TSA, room is kept for the timestamp that finish_signature adds."""
    cert = load_certificate(certificate)
    others = [load_certificate(c) for c in chain]
    timestamper = _timestamper(tsa_url, timestamper)
    ext = ExternalSigner(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(others),
                         signature_value=PLACEHOLDER)
    writer, pdf_signer = build_pdf_signer(
        pdf_bytes, ext, profile, name=name, timestamper=timestamper, copy_kind=copy_kind,
        agency=agency, field_name=field_name, location=location)

    async def run():
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(writer)
        attrs = await ext.signed_attrs(digest.document_digest, MD, use_pades=True)
        return digest, attrs, output

    try:
        digest, attrs, output = asyncio.run(run())
    except (TimestampRequestError, TimestampError) as exc:
        raise TimestampError(_one_line(exc)) from None
    except PyhankoSigningError as exc:
        raise SigningError(f"preparing the signature failed: {_one_line(exc)}") from None
    output.seek(0)
    return PreparedSignature(
        pdf=output.read(), document_digest=digest.document_digest,
        region_start=digest.reserved_region_start, region_end=digest.reserved_region_end,
        signed_attrs=attrs.dump(), certificate=cert.dump(), chain=tuple(c.dump() for c in others),
        field_name=pdf_signer.signature_meta.field_name)


@callable_anywhere
def finish_signature(prepared: PreparedSignature, signature_value: bytes, *, tsa_url=None,
                     timestamper=None) -> bytes:
    """Step 3: embed `signature_value` (the raw signature over
    prepared.to_be_signed) and return the signed PDF. SignatureMismatch when
    the value is not the certificate's key's signature over those bytes."""
    if not signature_matches(prepared.certificate, prepared.signed_attrs, signature_value):
        raise SignatureMismatch(
            "the signature value does not match the certificate: the key that signed is "
            "not the certificate's, or other bytes were signed")
    cert = load_certificate(prepared.certificate)
    others = [load_certificate(c) for c in prepared.chain]
    timestamper = _timestamper(tsa_url, timestamper)
    ext = ExternalSigner(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(others),
                         signature_value=bytes(signature_value))
    attrs = cms.CMSAttributes.load(prepared.signed_attrs)
    out = io.BytesIO(prepared.pdf)

    async def run():
        content = await ext.async_sign_prescribed_attributes(MD, signed_attrs=attrs,
                                                             timestamper=timestamper)
        digest = PreparedByteRangeDigest(document_digest=prepared.document_digest,
                                         reserved_region_start=prepared.region_start,
                                         reserved_region_end=prepared.region_end)
        await PdfTBSDocument.async_finish_signing(out, digest, content)

    try:
        asyncio.run(run())
    except (TimestampRequestError, TimestampError) as exc:
        raise TimestampError(_one_line(exc)) from None
    except PyhankoSigningError as exc:
        raise SigningError(f"finishing the signature failed: {_one_line(exc)}") from None
    return out.getvalue()


def message_digest(signed_attrs: bytes) -> bytes:
    """The document digest named in CMS signed attributes (what a signer is
    shown); SigningError when the bytes are not CMS signed attributes of a
    PDF signature."""
    try:
        attrs = cms.CMSAttributes.load(bytes(signed_attrs))
        values = {a["type"].native: a["values"] for a in attrs}
        digest = values["message_digest"][0].native
        content_type = values["content_type"][0].native
    except (ValueError, KeyError, IndexError, TypeError):
        raise SigningError("not the signed attributes of a PDF signature") from None
    if content_type != "data" or not isinstance(digest, bytes) or len(digest) != 32:
        raise SigningError("not the signed attributes of a PDF signature")
    return digest


def _one_line(exc) -> str:
    return " ".join((str(exc) or type(exc).__name__).split())
