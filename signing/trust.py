"""Trust anchors: certificates given as files (PEM, possibly several, or DER),
bytes, or certificate objects, turned into asn1crypto certificates."""
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

from .errors import SigningError


def load_trust_roots(roots) -> list:
    """asn1crypto certificates from paths / bytes / asn1crypto or cryptography certs."""
    result = []
    for root in roots or ():
        if isinstance(root, asn1_x509.Certificate):
            result.append(root)
        elif hasattr(root, "public_bytes") and hasattr(root, "subject"):  # cryptography
            from cryptography.hazmat.primitives.serialization import Encoding
            result.append(asn1_x509.Certificate.load(root.public_bytes(Encoding.DER)))
        elif isinstance(root, (bytes, bytearray)):
            result.extend(_parse(bytes(root), "given bytes"))
        else:
            try:
                data = Path(root).read_bytes()
            except OSError as exc:
                raise SigningError(f"cannot read trust anchor {root}: {exc.strerror}") from None
            result.extend(_parse(data, str(root)))
    return result


def _parse(data: bytes, where: str) -> list:
    try:
        if asn1_pem.detect(data):
            certs = [asn1_x509.Certificate.load(der)
                     for kind, _, der in asn1_pem.unarmor(data, multiple=True)
                     if kind == "CERTIFICATE"]
        else:
            certs = [asn1_x509.Certificate.load(data)]
        for cert in certs:
            cert.native  # parse now
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{where} is not a certificate: {exc}") from None
    if not certs:
        raise SigningError(f"{where} holds no certificate")
    return certs
