"""Certificates as the rest of Kho sees them: loaded from any form, named,
fingerprinted, and a raw signature value checked against one."""
import hashlib

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as c_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .errors import SigningError


def load_certificate(value) -> asn1_x509.Certificate:
    """An asn1crypto certificate from DER or PEM bytes, or a certificate object."""
    if isinstance(value, asn1_x509.Certificate):
        return value
    if hasattr(value, "public_bytes") and hasattr(value, "subject"):
        from cryptography.hazmat.primitives.serialization import Encoding
        return asn1_x509.Certificate.load(value.public_bytes(Encoding.DER))
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    data = bytes(value)
    try:
        if asn1_pem.detect(data):
            _, _, data = asn1_pem.unarmor(data)
        cert = asn1_x509.Certificate.load(data)
        cert.native  # parse fully now
    except (ValueError, TypeError, KeyError, OverflowError):
        raise SigningError("not an X.509 certificate (PEM or DER)") from None
    return cert


def fingerprint(value) -> str:
    """SHA-256 of the certificate's DER, lower-case hex."""
    return hashlib.sha256(load_certificate(value).dump()).hexdigest()


def summary(value) -> dict:
    """What a person needs to recognise a certificate."""
    cert = load_certificate(value)
    subject = cert.subject.native
    return {"subject": subject.get("common_name") or cert.subject.human_friendly,
            "organisation": subject.get("organization_name"),
            "issuer": cert.issuer.native.get("common_name") or cert.issuer.human_friendly,
            "serial": format(cert.serial_number, "x"),
            "not_before": cert["tbs_certificate"]["validity"]["not_before"].native.isoformat(),
            "not_after": cert["tbs_certificate"]["validity"]["not_after"].native.isoformat(),
            "fingerprint": hashlib.sha256(cert.dump()).hexdigest()}


def signature_matches(certificate, data: bytes, signature: bytes) -> bool:
    """Whether `signature` is the certificate key's SHA-256 signature over
    `data` (RSA PKCS#1 v1.5 or ECDSA)."""
    cert = c_x509.load_der_x509_certificate(load_certificate(certificate).dump())
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(bytes(signature), bytes(data), padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(bytes(signature), bytes(data), ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
