"""Signatures on papers: check what arrives, sign what the desk digitized.

A PDF that arrives signed is kept byte for byte and its report stored beside
it; a scan the desk digitized is signed once, after review, and any later
signature is an incremental update (the signing library guarantees it)."""
import datetime
import shlex

from . import audit

SIGNED = "signed"          # the derivative name of a desk-signed searchable PDF


class SignerNotConfigured(LookupError):
    """No signing key is configured for an account; str() is the message."""


def trust_roots(settings):
    """Trust anchors (PEM paths) from `kho.trust_roots` (whitespace-separated)."""
    return (settings.get("kho.trust_roots") or "").split()


def signer_spec(settings, username):
    """`kho.signer.<username>`: 'p12 FILE PASSPHRASE_FILE' or
    'pkcs11 MODULE TOKEN_LABEL KEY_LABEL PIN_FILE'."""
    spec = settings.get(f"kho.signer.{username}")
    if not spec:
        raise SignerNotConfigured(
            f"Chưa cấu hình khoá ký cho tài khoản {username} (kho.signer.{username}) / "
            f"no signing key is configured for {username}")
    return shlex.split(spec)


def load_signer(settings, username):
    """The signer for an account, from its ini entry."""
    import signing
    kind, *args = signer_spec(settings, username)
    if kind == "p12":
        path, passphrase_file = args
        with open(passphrase_file, encoding="utf-8") as f:
            return signing.load_p12_signer(path, f.read().strip())
    if kind == "pkcs11":
        module, token_label, key_label, pin_file = args
        with open(pin_file, encoding="utf-8") as f:
            return signing.load_pkcs11_signer(module, token_label, key_label, f.read().strip())
    raise SignerNotConfigured(f"kho.signer.{username}: unknown kind {kind!r} (p12 or pkcs11)")


def check_signatures(data, roots):
    """The verification report (a dict) of a PDF's signatures, or None when unsigned."""
    import signing
    if not data.startswith(b"%PDF-"):
        return None
    try:
        if not signing.has_signatures(data):
            return None
        report = signing.verify_pdf(data, roots)
    except Exception as exc:    # a PDF pyHanko cannot read is kept, with the reason shown
        return {"ok": False, "problems": [f"Không đọc được chữ ký / signatures unreadable: {exc}"],
                "signatures": []}
    result = report.to_dict()
    result["checked"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    return result


AGENCY_SIGNER = "agency"      # the ini entry kho.signer.agency: the agency's own key


def agency_name(settings):
    return settings.get("kho.agency_name") or "Uỷ ban nhân dân tỉnh Lào Cai"


def sign_as_agency(pdf_bytes, settings, kind):
    """Sign a paper the system prints (a receipt) with the agency key: the
    `copy` profile, top-right of page 1, the kind of paper, the agency, the time."""
    import signing
    signer = load_signer(settings, AGENCY_SIGNER)
    try:
        return signing.sign_pdf(pdf_bytes, signer, "copy", copy_kind=kind, agency=agency_name(settings),
                                tsa_url=settings.get("kho.tsa_url") or None)
    finally:
        signing.close_signer(signer)


def sign_digitized(document, pdf_bytes, settings, actor):
    """Sign a reviewed scan with actor's key (profile `digitized`) and keep it.

    Returns the signed bytes; the original upload is left untouched."""
    import signing
    from ZODB.blob import Blob
    signer = load_signer(settings, actor.username)
    try:
        signed = signing.sign_pdf(pdf_bytes, signer, "digitized",
                                  tsa_url=settings.get("kho.tsa_url") or None)
    finally:
        signing.close_signer(signer)
    blob = Blob()
    with blob.open("w") as out:
        out.write(signed)
    document.derivatives[SIGNED] = blob
    document.signature_report = check_signatures(signed, trust_roots(settings))
    document.signed_by = actor.username
    audit.record(document, actor, "sign_digitized", subject=document.owner_id,
                 document=document.__name__,
                 detail={"ok": bool(document.signature_report and document.signature_report["ok"])})
    return signed
