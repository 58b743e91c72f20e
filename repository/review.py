"""The officer's review of OCR: correct the text and the suggested metadata,
then confirm. Text or data changed by hand is recorded as manual extraction,
as RULES-VN asks ("whether the data came from OCR or by hand").

The copy the digitizer signs carries the confirmed text and title: every
signing path (server key here, the desk's token and a remote service in
repository.signatures) checks the review (read_review), builds the confirmed
PDF (confirmed_pdf), signs those bytes, and only then confirms
(apply_review) — in one transaction, so a review that fails validation or a
signature that fails leaves the paper as it was."""
import unicodedata
from dataclasses import dataclass

from . import audit
from .blobs import blob_of
from .errors import ValidationError
from .operations import EDITABLE, FIXED_AFTER_UPLOAD, clean_metadata, current_metadata
from .indexing import touched


def proposed_metadata(document):
    """Current metadata, with OCR suggestions filling the fields still empty."""
    values = current_metadata(document)
    suggestions = document.ocr.suggestions if document.ocr is not None else {}
    for field in ("type_code", "number", "issue_date", "issuer"):
        if field in suggestions and not values.get(field):
            values[field] = suggestions[field]["value"]
    return values


@dataclass(frozen=True)
class Review:
    """A checked review, not yet applied: the pages' texts (NFC) and the
    cleaned metadata, and what they change."""
    page_texts: tuple
    metadata: dict
    text_changed: bool
    extraction: str


def read_review(root, document, page_texts, raw_metadata):
    """Check the officer's review; ValidationError, and nothing touched, when it is wrong."""
    if document.ocr is None:
        raise ValidationError({"review": "Giấy tờ chưa được nhận dạng OCR / not recognised yet"})
    if document.review_state == "confirmed":
        raise ValidationError({"review": "Đã xác nhận trước đó / already confirmed"})
    pages = document.ocr.pages
    if len(page_texts) != len(pages):
        raise ValidationError({"text": f"Cần nội dung của {len(pages)} trang / text for {len(pages)} pages"})
    merged = dict(current_metadata(document), **{k: v for k, v in raw_metadata.items()
                                                  if k in EDITABLE and k not in FIXED_AFTER_UPLOAD})
    metadata = clean_metadata(merged, root.catalogues)
    page_texts = tuple(unicodedata.normalize("NFC", str(t).replace("\r\n", "\n")) for t in page_texts)
    text_changed = any(_squash(new) != _squash(old["text"]) for new, old in zip(page_texts, pages))
    suggested = {k: v["value"] for k, v in document.ocr.suggestions.items()}
    data_keyed = any(str(merged.get(k) or "") != str(v or "") for k, v in suggested.items()
                     if k in EDITABLE)
    return Review(page_texts, metadata, text_changed,
                  "manual" if (text_changed or data_keyed) else "ocr")


def confirmed_pdf(root, document, review):
    """The searchable PDF with the review's text in its invisible layer (on
    the recognised words' places) and the reviewed name and number as its
    title, or None (no searchable PDF, already signed, or a PDF pikepdf
    cannot rewrite: it keeps its OCR layer). Nothing is written."""
    import ocr
    from .ocr_jobs import SEARCHABLE
    from .signatures import SIGNED
    blob = document.derivatives.get(SEARCHABLE)
    if blob is None or SIGNED in document.derivatives or document.signature_report:
        return None
    specs = []
    for page, text in zip(document.ocr.pages, review.page_texts):
        if page.get("source", "ocr") != "ocr":
            specs.append(None)
            continue
        size = (page["width"], page["height"])
        specs.append((ocr.place_words(text, page["words"], size), size))
    with blob.open("r") as f:
        data = f.read()
    try:
        return ocr.replace_text_layer(data, specs, title=_title(review.metadata.get("name"),
                                                                review.metadata.get("number"),
                                                                document.filename),
                                      author=desk_of(root, document.created_by))
    except Exception:       # noqa: BLE001 - a PDF pikepdf cannot rewrite keeps its OCR layer
        import logging
        logging.getLogger(__name__).exception("cannot write the confirmed text into %s", document.__name__)
        return None


def apply_review(root, document, actor, review, pdf=None):
    """Write a checked review onto the paper (and `pdf`, the confirmed PDF,
    as its searchable copy), index it, audit it."""
    from .ocr_jobs import SEARCHABLE
    for field in EDITABLE:
        setattr(document, field, review.metadata[field])
    if review.text_changed:
        pages = document.ocr.pages
        for page, text in zip(pages, review.page_texts):
            page["text"] = text
        pages._p_changed = True        # the page dicts are plain: mark their list
        document.ocr.text = "\f".join(review.page_texts)
    document.extraction = review.extraction
    if pdf is not None:
        document.derivatives[SEARCHABLE] = blob_of(pdf)
    document.review_state = "confirmed"
    document.reviewed_by = actor.username
    document.desk_signing = None        # a desk signature prepared before this confirmation is void
    touched(root, document)
    audit.record(document, actor, "confirm_review", subject=document.owner_id,
                 document=document.__name__,
                 detail={"text_changed": review.text_changed, "extraction": review.extraction})
    return document


def confirm_review(root, document, actor, page_texts, raw_metadata):
    """Apply the reviewed text and metadata (and write them into the
    searchable PDF); ValidationError leaves all as it was."""
    review = read_review(root, document, page_texts, raw_metadata)
    return apply_review(root, document, actor, review, confirmed_pdf(root, document, review))


def to_sign(root, document, review):
    """The bytes the digitizer signs for this review: the confirmed PDF, or
    (no searchable PDF to rewrite) the searchable PDF or the scan's own PDF;
    None when there is no PDF. Also returns the confirmed PDF (or None)."""
    from .ocr_jobs import SEARCHABLE
    pdf = confirmed_pdf(root, document, review)
    if pdf is not None:
        return pdf, pdf
    source = document.derivatives.get(SEARCHABLE) or (
        document.original if document.content_type == "application/pdf" else None)
    if source is None:
        return None, None
    with source.open("r") as f:
        return f.read(), None


def confirm_and_sign(root, document, actor, page_texts, raw_metadata, settings):
    """Confirm the review and sign the desk's digitized copy — the confirmed
    PDF — with the key the server holds for the reviewer. A key whose
    certificate is not the account's is refused (ValidationError on
    'signing') before anything is confirmed; with no key configured the
    review is confirmed unsigned and the reason returned, else None."""
    import signing

    from .signatures import CertificateRefused, SignerNotConfigured, SigningFailed, sign_digitized, server_signer
    review = read_review(root, document, page_texts, raw_metadata)
    if document.provenance != "digitized" or document.signature_report:
        apply_review(root, document, actor, review, confirmed_pdf(root, document, review))
        return None
    try:
        signer = server_signer(root, settings, actor)
    except CertificateRefused as exc:
        raise ValidationError({"signing": str(exc)}) from None
    except SignerNotConfigured as exc:
        apply_review(root, document, actor, review, confirmed_pdf(root, document, review))
        return str(exc)
    try:
        data, pdf = to_sign(root, document, review)
        apply_review(root, document, actor, review, pdf)
        if data is not None:
            sign_digitized(document, data, settings, actor, signer=signer)
    except signing.TimestampError as exc:
        raise SigningFailed("timestamp", str(exc)) from None
    except signing.SigningError as exc:
        raise SigningFailed("failed", str(exc)) from None
    finally:
        signing.close_signer(signer)
    return None


def pdf_title(document):
    """The PDF's title: the paper's name and its number ("Giấy khai sinh số 123/QĐ-UBND")."""
    return _title(document.name, document.number, document.filename)


def _title(name, number, filename):
    name = (name or "").strip()
    number = (number or "").strip()
    return f"{name} số {number}" if name and number else (name or number or filename)


def desk_of(root, username):
    """The desk (unit) an account works at, by name, for the PDF's author."""
    user = root.accounts.users.get(username) if username else None
    code = getattr(user, "desk", None)
    if not code:
        return "Kho"
    desk = root.catalogues.desks.get(code)
    return getattr(desk, "name", None) or code



def _squash(text):
    return " ".join(text.split())
