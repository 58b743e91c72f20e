"""Where the signing key lives: a PKCS#12 file, or a PKCS#11 token (USB token,
HSM; SoftHSM2 in development). Both give a pyhanko `Signer`."""
import os
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import KeyLoadError, TokenError

SOFTHSM_MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
)


def find_softhsm_module() -> str:
    """Path of the SoftHSM2 PKCS#11 module ($KHO_SOFTHSM_MODULE first)."""
    candidates = [os.environ.get("KHO_SOFTHSM_MODULE")] + list(SOFTHSM_MODULE_PATHS)
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    raise TokenError("SoftHSM2 module libsofthsm2.so not found (install softhsm2, "
                     "or set KHO_SOFTHSM_MODULE)")


def _as_asn1_cert(cert):
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def load_p12_signer(path, passphrase):
    """A signer for the key and certificate chain in a PKCS#12 file.

    `passphrase` is a str or bytes. KeyLoadError if the file is missing,
    not PKCS#12, or the passphrase is wrong.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyLoadError(f"cannot read key file {path}: {exc.strerror}") from None
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    try:
        bundle = pkcs12.load_pkcs12(data, passphrase or None)
    except ValueError:
        raise KeyLoadError(f"cannot open {path}: wrong passphrase or not a PKCS#12 file") from None
    if bundle.key is None or bundle.cert is None:
        raise KeyLoadError(f"{path} holds no private key with its certificate")
    key_der = bundle.key.private_bytes(serialization.Encoding.DER,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    chain = [_as_asn1_cert(c.certificate) for c in bundle.additional_certs]
    return SimpleSigner(
        signing_cert=_as_asn1_cert(bundle.cert.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def load_pkcs11_signer(module, token_label, key_label, pin, *, cert_label=None):
    """A signer whose key stays on a PKCS#11 token.

    The token session stays open while the signer is used; call
    `close_signer(signer)` when done. TokenError when the module, the token,
    the PIN or the key is wrong.
    """
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not module or not os.path.isfile(module):
        raise TokenError(f"PKCS#11 module not found: {module}")
    try:
        session = open_pkcs11_session(
            module, token_criteria=TokenCriteria(label=token_label), user_pin=pin)
    except pkcs11.exceptions.PinIncorrect:
        raise TokenError(f"wrong PIN for token {token_label!r}") from None
    except pkcs11.exceptions.PinLenRange:
        raise TokenError(f"wrong PIN for token {token_label!r} (bad length)") from None
    except Exception as exc:  # python-pkcs11 and the module raise many kinds
        raise TokenError(f"cannot open token {token_label!r} with {module}: "
                         f"{_one_line(exc)}") from None
    signer = PKCS11Signer(session, cert_label=cert_label or key_label, key_label=key_label,
                          other_certs_to_pull=None)
    try:
        signer.signing_cert  # load key and certificate now, to fail early
    except Exception as exc:
        session.close()
        raise TokenError(f"no usable key/certificate {key_label!r} on token "
                         f"{token_label!r}: {_one_line(exc)}") from None
    return signer


def close_signer(signer) -> None:
    """Release what a signer holds (the token session); harmless for a PKCS#12 signer."""
    session = getattr(signer, "pkcs11_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:
            pass


def signer_common_name(signer) -> str:
    """The CN of the signer's certificate (the name shown on the stamp)."""
    subject = signer.signing_cert.subject.native
    return subject.get("common_name") or signer.signing_cert.subject.human_friendly


def _one_line(exc) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())
