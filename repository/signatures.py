"""Signatures on papers: check what arrives, sign what the desk digitized.

A PDF that arrives signed is kept byte for byte and its report stored beside
it; a scan the desk digitized is signed once, after review, and any later
signature is an incremental update (the signing library guarantees it)."""
import datetime
import shlex

from . import audit
from .blobs import blob_of
from .errors import Conflict, Refused, ValidationError

SIGNED = "signed"          # the derivative name of a desk-signed searchable PDF


class SignerNotConfigured(LookupError):
    """No signing key is configured for an account; str() is the message."""


def trust_roots(settings):
    """Trust anchors (PEM paths) from `kho.trust_roots` (whitespace-separated)."""
    from pyramid.settings import aslist
    return aslist(settings.get("kho.trust_roots") or "")


def signer_spec(settings, username):
    """`kho.signer.<username>`: 'p12 FILE PASSPHRASE_FILE',
    'pkcs11 MODULE TOKEN_LABEL KEY_LABEL PIN_FILE' (a token or HSM on the
    server) or 'csc URL CREDENTIAL_ID [ACCESS_TOKEN_FILE]' (remote signing)."""
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
    if kind == "csc":
        raise SignerNotConfigured(
            f"Tài khoản {username} ký qua dịch vụ ký số từ xa: cần mã PIN/OTP / "
            f"{username} signs through a remote service: a PIN/OTP is needed")
    raise SignerNotConfigured(f"kho.signer.{username}: unknown kind {kind!r} (p12, pkcs11 or csc)")


def _root_of(obj):
    while getattr(obj, "__parent__", None) is not None:
        obj = obj.__parent__
    return obj


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


def server_signer(root, settings, actor):
    """The key the server holds for actor, checked before anything is signed
    or confirmed: SignerNotConfigured (no key), CertificateRefused (its
    certificate is not the one registered for the account)."""
    import signing
    signer = load_signer(settings, actor.username)
    try:
        check_certificate(root, actor.username, signer.signing_cert, required=False)
    except CertificateRefused:
        who = signing.certificate_summary(signer.signing_cert)["subject"]
        signing.close_signer(signer)
        raise CertificateRefused(
            f"Khoá ký trên máy chủ cho tài khoản {actor.username} mang chứng thư số của «{who}», không "
            f"phải chứng thư số đã đăng ký của tài khoản {actor.username}: không ký, kết quả số hoá "
            f"chưa được xác nhận / the server's key for {actor.username} is not the registered "
            f"certificate's: refused, nothing confirmed") from None
    except Exception:
        signing.close_signer(signer)
        raise
    return signer


def sign_digitized(document, pdf_bytes, settings, actor, signer=None):
    """Sign a reviewed scan with actor's key (profile `digitized`) and keep it.
    `signer`: one server_signer gave (the caller closes it); else the
    account's key is loaded and checked here (SignerNotConfigured when
    refused). Returns the signed bytes; the original upload is left untouched."""
    import signing
    own = signer is None
    if own:
        try:
            signer = server_signer(_root_of(document), settings, actor)
        except CertificateRefused as exc:
            raise SignerNotConfigured(str(exc)) from None
    try:
        signed = signing.sign_pdf(pdf_bytes, signer, "digitized",
                                  tsa_url=settings.get("kho.tsa_url") or None)
    finally:
        if own:
            signing.close_signer(signer)
    _keep_signed(document, signed, settings, actor, "server key")
    return signed


# ---------------------------------------------------------------------------
# Signing where the key is: the officer's certificate registered per account,
# the desk's USB token through the agent (split signing), a remote CSC
# service, or a key the server holds (above). Every path refuses a
# certificate that is not the signed-in account's.

DESK_SIGNING_MINUTES = 15
DEFAULT_AGENT_URL = "http://127.0.0.1:7391"


class CertificateRefused(Refused):
    """The certificate that would sign is not the account's (403)."""

    def __init__(self, message):
        super().__init__(message, code="certificate_refused")


def _registry(root, create=False):
    """username → tuple of certificate records; made at the first registration."""
    registry = getattr(root, "signing_certificates", None)
    if registry is None and create:
        from BTrees.OOBTree import OOBTree
        registry = root.signing_certificates = OOBTree()
    return registry


def certificates_of(root, username):
    """The certificates registered for an account: dicts without the DER."""
    registry = _registry(root)
    records = registry.get(username, ()) if registry is not None else ()
    return [{k: v for k, v in r.items() if k != "der"} for r in records]


def register_certificate(root, username, data, actor):
    """Register a signing certificate (PEM or DER bytes) for an account."""
    import signing
    if username not in root.accounts.users:
        raise ValidationError({"username": f"Không có tài khoản {username} / no account {username}"})
    try:
        cert = signing.load_certificate(data)
    except signing.SigningError:
        raise ValidationError({"certificate": "Không phải chứng thư số X.509 (PEM hoặc DER) / "
                                              "not an X.509 certificate (PEM or DER)"}) from None
    record = dict(signing.certificate_summary(cert), der=cert.dump(),
                  added=datetime.datetime.now(datetime.timezone.utc).isoformat(),
                  added_by=actor.username if actor else "system")
    registry = _registry(root, create=True)
    records = registry.get(username, ())
    if any(r["fingerprint"] == record["fingerprint"] for r in records):
        raise Conflict("Chứng thư số này đã được đăng ký cho tài khoản / already registered")
    registry[username] = records + (record,)
    audit.record(root, actor, "register_certificate",
                 detail={"username": username, "fingerprint": record["fingerprint"],
                         "subject": record["subject"]})
    return {k: v for k, v in record.items() if k != "der"}


def remove_certificate(root, username, fingerprint, actor):
    registry = _registry(root)
    records = registry.get(username, ()) if registry is not None else ()
    kept = tuple(r for r in records if r["fingerprint"] != (fingerprint or "").lower())
    if len(kept) == len(records):
        raise ValidationError({"fingerprint": "Không có chứng thư số này / no such certificate"})
    registry[username] = kept
    audit.record(root, actor, "remove_certificate",
                 detail={"username": username, "fingerprint": fingerprint})


def check_certificate(root, username, certificate, *, required=True):
    """Refuse (CertificateRefused) a certificate not registered for the
    account. With required=False an account that has none registered passes
    (a server key the administrator configured for it)."""
    import signing
    registry = _registry(root)
    records = registry.get(username, ()) if registry is not None else ()
    try:
        cert = signing.load_certificate(certificate)
    except signing.SigningError:
        raise ValidationError({"certificate": "Không phải chứng thư số X.509 / "
                                              "not an X.509 certificate"}) from None
    if not records:
        if not required:
            return
        raise CertificateRefused(
            f"Tài khoản {username} chưa đăng ký chứng thư số nên không ký được; quản trị viên đăng ký "
            f"bằng lệnh «kho user-cert add {username} TỆP» / no signing certificate is registered "
            f"for {username}; an administrator registers one with `kho user-cert add`")
    if signing.certificate_fingerprint(cert) not in {r["fingerprint"] for r in records}:
        who = signing.certificate_summary(cert)["subject"]
        raise CertificateRefused(
            f"Chứng thư số trên thiết bị ký là của «{who}», không phải chứng thư số đã đăng ký của "
            f"tài khoản {username}: không ký / the certificate on the signing device is not "
            f"the one registered for {username}: refused")


def signing_mode(settings, username):
    """'remote' (kho.signer.<username> = csc …), 'server' (a p12 or PKCS#11
    key on the server) or 'desk' (the officer's token through the agent)."""
    spec = settings.get(f"kho.signer.{username}")
    if not spec:
        return "desk"
    kind = shlex.split(spec)[0]
    return "remote" if kind == "csc" else "server"


def signing_options(settings, root, user):
    """What the review page needs to offer the right way to sign."""
    return {"mode": signing_mode(settings, user.username),
            "agent_url": settings.get("kho.sign_agent_url") or DEFAULT_AGENT_URL,
            "registered": bool(certificates_of(root, user.username))}


def _signable(document):
    if document.provenance != "digitized":
        raise Conflict("Chỉ ký bản do bộ phận số hoá / only a digitized paper is signed here")
    if document.signature_report:
        raise Conflict("Giấy tờ đã được ký / the paper is already signed")


def _source_pdf(document):
    """The PDF of a paper whose review is already confirmed (its searchable
    copy carries the confirmed text), as it is."""
    from .ocr_jobs import SEARCHABLE
    _signable(document)
    source = document.derivatives.get(SEARCHABLE) or (
        document.original if document.content_type == "application/pdf" else None)
    if source is None:
        raise Conflict("Chưa có bản PDF để ký / no PDF to sign yet")
    with source.open("r") as f:
        return f.read()


def _reviewed_pdf(root, document, review):
    """(bytes to sign, confirmed PDF or None) for a checked review not yet applied."""
    from .review import to_sign
    _signable(document)
    data, confirmed = to_sign(root, document, review)
    if data is None:
        raise Conflict("Chưa có bản PDF để ký / no PDF to sign yet")
    return data, confirmed



def _paper_label(document, review=None):
    name = review.metadata.get("name") if review is not None else document.name
    return name or document.type_code or document.__name__


def prepare_desk_signature(root, document, actor, certificate, settings, chain=(), review=None):
    """Step 1 at the desk: check the token's certificate is the actor's
    (refused before anything else), check the officer's review
    (`review` = (page texts, metadata) as the review form sends them; needed
    unless the paper's review is already confirmed), and prepare the copy
    that carries the reviewed text and title for the token. The review is
    applied only when the signed copy comes back (confirm_with_desk_signature):
    until then the paper is as it was. One pending signature per paper, for
    DESK_SIGNING_MINUTES. Returns what the page hands to the agent."""
    import base64
    import secrets
    import signing
    from .review import read_review
    check_certificate(root, actor.username, certificate)
    try:
        chain = [signing.load_certificate(c) for c in chain]
    except signing.SigningError:
        raise ValidationError({"chain": "Không phải chứng thư số X.509 / not an X.509 certificate"}) from None
    checked, stored, confirmed = None, None, None
    if document.review_state == "confirmed":
        data = _source_pdf(document)
    elif review is None:
        raise ValidationError({"review": "Gửi kèm nội dung soát xét để ký bản đã xác nhận / "
                                         "send the review with the signing request"})
    else:
        page_texts, raw_metadata = review
        checked = read_review(root, document, page_texts, raw_metadata)
        stored = {"page_texts": list(checked.page_texts),
                  "metadata": {k: str(v) for k, v in dict(raw_metadata).items()}}
        data, confirmed = _reviewed_pdf(root, document, checked)
    try:
        prepared = signing.prepare_signature(data, certificate, chain, "digitized",
                                             tsa_url=settings.get("kho.tsa_url") or None)
    except signing.SigningError as exc:
        raise Conflict(f"Không chuẩn bị được chữ ký: {exc} / the signature cannot be prepared: {exc}") from None
    state = prepared.to_dict()
    del state["pdf"]
    now = datetime.datetime.now(datetime.timezone.utc)
    session = {"id": secrets.token_urlsafe(12), "username": actor.username, "state": state,
               "created": now.isoformat(),
               "expires": (now + datetime.timedelta(minutes=DESK_SIGNING_MINUTES)).isoformat(),
               "prepared": blob_of(prepared.pdf), "signed": None, "review": stored,
               "confirmed": blob_of(confirmed) if confirmed is not None else None}
    document.desk_signing = session
    document._p_changed = True
    digest = signing.split.message_digest(prepared.to_be_signed).hex()
    audit.record(document, actor, "prepare_desk_signature", subject=document.owner_id,
                 document=document.__name__,
                 detail={"certificate": signing.certificate_fingerprint(certificate), "digest": digest,
                         "review": stored is not None})
    return {"id": session["id"], "to_be_signed": base64.b64encode(prepared.to_be_signed).decode("ascii"),
            "digest": digest, "paper": _paper_label(document, checked), "owner": document.owner_id,
            "certificate": signing.certificate_summary(certificate), "expires": session["expires"]}


def _pending(document, actor, session_id):
    session = getattr(document, "desk_signing", None)
    if (session is None or session["id"] != session_id or session["username"] != actor.username):
        raise Conflict("Không có phiên ký này, hãy ký lại / no such signing session: sign again")
    if session["expires"] < datetime.datetime.now(datetime.timezone.utc).isoformat():
        raise Conflict("Phiên ký đã hết hạn, hãy ký lại / the signing session expired: sign again")
    return session


def finish_desk_signature(root, document, actor, session_id, signature_value, settings):
    """Step 3: embed the token's signature value; the signed copy waits on the
    session until the review form comes with it (confirm_with_desk_signature)."""
    import base64
    import signing
    session = _pending(document, actor, session_id)
    if session["prepared"] is None:
        raise Conflict("Phiên ký này đã xong / this signing session is finished")
    with session["prepared"].open("r") as f:
        pdf = f.read()
    prepared = signing.PreparedSignature.from_dict(dict(session["state"], pdf=base64.b64encode(pdf)))
    check_certificate(root, actor.username, prepared.certificate)
    try:
        signed = signing.finish_signature(prepared, signature_value,
                                          tsa_url=settings.get("kho.tsa_url") or None)
    except signing.SignatureMismatch:
        raise CertificateRefused("Chữ ký không khớp với chứng thư số đã đăng ký: không nhận / "
                                 "the signature does not match the registered certificate: refused") from None
    except signing.SigningError as exc:
        raise Conflict(f"Không gắn được chữ ký vào giấy tờ / the signature could not be embedded: {exc}") from None
    session = dict(session, signed=blob_of(signed), prepared=None)
    document.desk_signing = session
    audit.record(document, actor, "finish_desk_signature", subject=document.owner_id,
                 document=document.__name__, detail={"session": session_id})
    return {"id": session_id, "signed": True}


def confirm_with_desk_signature(root, document, actor, settings, session_id, page_texts=None,
                                raw_metadata=None):
    """Step 4: the review prepared with the signature is confirmed (its
    confirmed PDF becomes the searchable copy) and the copy the token signed
    becomes the paper's signed copy, together. The review form sent now must
    be the one that was signed (else: sign again)."""
    from .review import apply_review, read_review
    session = getattr(document, "desk_signing", None)
    if (session is None or session.get("signed") is None or session["username"] != actor.username
            or session["id"] != session_id):
        raise ValidationError({"signing": "Chưa có chữ ký từ thiết bị ký tại bàn / "
                                          "no signature from the desk's token yet"})
    stored = session.get("review")
    if document.signature_report:
        raise ValidationError({"signing": "Giấy tờ đã được ký / the paper is already signed"})
    if document.review_state == "confirmed" and stored is not None:
        # prepared with a review that was then confirmed another way: not the copy confirmed
        raise ValidationError({"signing": "Kết quả soát xét đã được xác nhận sau khi chuẩn bị ký, hãy ký lại / "
                                          "the review was confirmed after this signature was prepared: sign again"})
    if document.review_state != "confirmed":
        if stored is None:
            raise ValidationError({"signing": "Bản đã ký không mang nội dung soát xét, hãy ký lại / "
                                              "the signed copy does not carry the review: sign again"})
        review = read_review(root, document, stored["page_texts"], stored["metadata"])
        if page_texts is not None and read_review(root, document, page_texts, raw_metadata) != review:
            raise ValidationError({"signing": "Nội dung soát xét đã đổi sau khi ký, hãy ký lại / "
                                              "the review changed after signing: sign again"})
        confirmed = None
        if session.get("confirmed") is not None:
            with session["confirmed"].open("r") as f:
                confirmed = f.read()
        apply_review(root, document, actor, review, confirmed)
    with session["signed"].open("r") as f:
        signed = f.read()
    _keep_signed(document, signed, settings, actor, "desk token")
    document.desk_signing = None
    return signed


def _keep_signed(document, signed, settings, actor, via):
    document.derivatives[SIGNED] = blob_of(signed)
    document.signature_report = check_signatures(signed, trust_roots(settings))
    document.signed_by = actor.username
    audit.record(document, actor, "sign_digitized", subject=document.owner_id,
                 document=document.__name__,
                 detail={"ok": bool(document.signature_report and document.signature_report["ok"]),
                         "via": via})


def csc_service(settings, username):
    """kho.signer.<username> = 'csc URL CREDENTIAL_ID [ACCESS_TOKEN_FILE]'."""
    import signing
    kind, *args = signer_spec(settings, username)
    if kind != "csc" or len(args) not in (2, 3):
        raise SignerNotConfigured(f"kho.signer.{username}: not 'csc URL CREDENTIAL_ID [TOKEN_FILE]'")
    token = None
    if len(args) == 3:
        with open(args[2], encoding="utf-8") as f:
            token = f.read().strip()
    return signing.CscService(args[0], args[1], token)


class SigningFailed(ValidationError):
    """The remote service (or the token) did not sign. `code` is stable (the
    page says it in the reader's language); `detail` is the service's own
    words, if any, shown apart."""

    def __init__(self, code, detail=None):
        super().__init__({"signing": "Không ký được / signing failed" + (f" ({code})" if code else "")})
        self.code, self.detail = code, detail


def sign_remote(root, actor, settings, pin, otp, data):
    """`data` signed by the account's CSC service, authorized by the
    officer's PIN/OTP (passed through, never stored). The credential's
    certificate is checked before anything is signed. Returns the signed
    bytes; nothing is kept here."""
    import signing
    service = csc_service(settings, actor.username)

    def accept(der):
        check_certificate(root, actor.username, der)
    try:
        return signing.csc_sign_pdf(data, service, pin=pin, otp=otp, accept=accept,
                                    tsa_url=settings.get("kho.tsa_url") or None)
    except CertificateRefused as exc:
        raise ValidationError({"signing": str(exc)}) from None
    except signing.TimestampError as exc:
        raise SigningFailed("timestamp", str(exc)) from None
    except signing.RemoteSigningError as exc:
        raise SigningFailed(exc.code, exc.detail) from None
    except signing.SigningError as exc:
        raise SigningFailed("failed", str(exc)) from None


def confirm_and_sign_with(root, document, actor, page_texts, raw_metadata, settings, form):
    """Confirm the review and sign the way the account signs, the copy
    signed always carrying the confirmed text: the desk's token (form
    'signed_at_desk': the session the agent signed, prepared with this
    review), a remote service (form 'csc_pin'/'csc_otp'), else
    repository.review.confirm_and_sign (a server key). A certificate that
    is not the account's, a review that does not validate, a signature that
    fails: nothing is confirmed (ValidationError). Returns the reason it was
    not signed (no key at all), or None."""
    from .review import apply_review, confirm_and_sign, read_review
    mode = signing_mode(settings, actor.username)
    if form.get("signed_at_desk"):
        confirm_with_desk_signature(root, document, actor, settings, form.get("signed_at_desk"),
                                    page_texts, raw_metadata)
        return None
    if mode == "remote" and document.provenance == "digitized" and not document.signature_report:
        pin, otp = form.get("csc_pin", ""), form.get("csc_otp", "")
        if not (pin or otp):
            raise ValidationError({"signing": "Nhập mã PIN và mã OTP của dịch vụ ký số từ xa / "
                                              "enter the PIN and OTP of the remote signing service"})
        review = read_review(root, document, page_texts, raw_metadata)
        data, confirmed = _reviewed_pdf(root, document, review)
        signed = sign_remote(root, actor, settings, pin, otp, data)
        apply_review(root, document, actor, review, confirmed)
        _keep_signed(document, signed, settings, actor, "remote CSC")
        return None
    return confirm_and_sign(root, document, actor, page_texts, raw_metadata, settings)
