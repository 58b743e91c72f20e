"""Kho's signing library: PAdES signatures over pyhanko, and their checking.

Why a library of its own: a paper's legal value rests on its signatures, so
signing and verifying are done in one place, the same way for the web app,
the `kho` command and the tests, without Pyramid or ZODB.

Public interface (everything else is internal):

    init_dev_pki(dir, *, force=False, crl_url=None) -> DevPki
        a development PKI (RSA-2048): root.pem, agency/officer/postal .p12,
        TSA key and certificate, passphrase.txt. Marked NOT FOR PRODUCTION.
    load_p12_signer(path, passphrase) -> signer
    load_pkcs11_signer(module, token_label, key_label, pin) -> signer
    close_signer(signer)                    release a token session
    sign_pdf(pdf_bytes, signer, profile, *, name=None, tsa_url=None,
             ltv=False, trust_roots=(), copy_kind=None, agency=None) -> bytes
        profile: 'digitized' (top-left, name + time), 'copy' (top-right, no
        image, kind of copy + agency + ISO time +07:00, 10 pt Times-metric),
        'result' (red seal over the blue signature). PAdES B-B; B-T with a
        TSA; B-LT with ltv=True where revocation data is reachable.
    verify_pdf(pdf_bytes, trust_roots=(), *, allow_fetching=False)
        -> VerificationReport (.ok, .signatures, .to_dict(), .render_text());
        every sentence also as {"id", "params"} (MESSAGES, message_text) so
        that an application translates it; verdict_of(report) -> 'genuine' |
        'changed' | 'untrusted' | 'unsigned'.
    normalize_pdf(pdf_bytes) -> bytes       rewrite an unsigned scanner PDF
    has_signatures(pdf_bytes) -> bool
    DevTsaServer(pki_dir)                   loopback RFC 3161 TSA (+ CRL) for
                                            development and tests
    init_softhsm_token(dir, p12, passphrase, ...) -> SoftHsmToken
    prepare_signature(pdf_bytes, certificate, chain=(), profile, *, tsa_url=…)
        -> PreparedSignature (.to_be_signed, .digest, to_dict/from_dict)
    finish_signature(prepared, signature_value, *, tsa_url=None) -> bytes
        signing in two steps, the key elsewhere (split.py); SignatureMismatch
        when the value is not the certificate's key's over those bytes
    SignAgent(signer, origin, port=…)       the desk's agent (`kho sign-agent`,
                                            agent.py): loopback, one origin
    CscService(url, credential_id, access_token=None)
    csc_sign_pdf(pdf, service, *, pin, otp, …, accept=None) -> bytes
                                            remote signing (CSC API v1, csc.py)
    load_certificate / certificate_fingerprint / certificate_summary
    SigningError and its subclasses (errors.py): every failure meant for a
    person, with a one-line message.
"""
from .errors import (KeyLoadError, LtvNotReachableError, NotAPdfError,
                     PkiError, PkiExistsError, ProfileError, SigningError,
                     TimestampError, TokenError)
# The parts are imported when first asked for (PEP 562): pyhanko, aiohttp and
# fontTools take a second to import, and `kho --help` or `kho ocr` need none.
_LAZY = {
    "SignAgent": ("agent", "SignAgent"),
    "certificate_fingerprint": ("certs", "fingerprint"),
    "load_certificate": ("certs", "load_certificate"),
    "certificate_summary": ("certs", "summary"),
    "CscService": ("csc", "CscService"), "RemoteSigningError": ("csc", "RemoteSigningError"),
    "csc_certificate": ("csc", "csc_certificate"), "csc_sign_pdf": ("csc", "csc_sign_pdf"),
    "has_signatures": ("normalize", "has_signatures"), "normalize_pdf": ("normalize", "normalize_pdf"),
    "DevPki": ("pki", "DevPki"), "init_dev_pki": ("pki", "init_dev_pki"),
    "sign_pdf": ("sign", "sign_pdf"),
    "close_signer": ("signers", "close_signer"), "find_softhsm_module": ("signers", "find_softhsm_module"),
    "load_p12_signer": ("signers", "load_p12_signer"), "load_pkcs11_signer": ("signers", "load_pkcs11_signer"),
    "SoftHsmToken": ("softhsm", "SoftHsmToken"), "init_softhsm_token": ("softhsm", "init_softhsm_token"),
    "PreparedSignature": ("split", "PreparedSignature"), "SignatureMismatch": ("split", "SignatureMismatch"),
    "finish_signature": ("split", "finish_signature"), "prepare_signature": ("split", "prepare_signature"),
    "DevTsaServer": ("tsa", "DevTsaServer"),
    "MESSAGES": ("verify", "MESSAGES"), "SignatureReport": ("verify", "SignatureReport"),
    "VerificationReport": ("verify", "VerificationReport"), "message_text": ("verify", "message_text"),
    "verdict_of": ("verify", "verdict_of"), "verify_pdf": ("verify", "verify_pdf"),
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "init_dev_pki", "DevPki", "load_p12_signer", "load_pkcs11_signer", "close_signer",
    "find_softhsm_module", "sign_pdf", "verify_pdf", "verdict_of", "MESSAGES", "message_text",
    "VerificationReport", "SignatureReport",
    "normalize_pdf", "has_signatures", "DevTsaServer", "init_softhsm_token", "SoftHsmToken",
    "SigningError", "NotAPdfError", "PkiError", "PkiExistsError", "KeyLoadError",
    "TokenError", "TimestampError", "LtvNotReachableError", "ProfileError",
    "prepare_signature", "finish_signature", "PreparedSignature", "SignatureMismatch",
    "SignAgent", "CscService", "RemoteSigningError", "csc_certificate", "csc_sign_pdf",
    "load_certificate", "certificate_fingerprint", "certificate_summary",
]
