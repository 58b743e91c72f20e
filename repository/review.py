"""The officer's review of OCR: correct the text and the suggested metadata,
then confirm. Text or data changed by hand is recorded as manual extraction,
as RULES-VN asks ("whether the data came from OCR or by hand")."""
import unicodedata

from . import audit
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


def confirm_review(root, document, actor, page_texts, raw_metadata):
    """Apply the reviewed text and metadata; ValidationError leaves all as it was."""
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
    page_texts = [unicodedata.normalize("NFC", t.replace("\r\n", "\n")) for t in page_texts]
    text_changed = any(_squash(new) != _squash(old["text"]) for new, old in zip(page_texts, pages))
    suggested = {k: v["value"] for k, v in document.ocr.suggestions.items()}
    data_keyed = any(str(merged.get(k) or "") != str(v or "") for k, v in suggested.items()
                     if k in EDITABLE)
    for field in EDITABLE:
        setattr(document, field, metadata[field])
    if text_changed:
        for page, text in zip(pages, page_texts):
            page["text"] = text
        pages._p_changed = True        # the page dicts are plain: mark their list
        document.ocr.text = "\f".join(page_texts)
    document.extraction = "manual" if (text_changed or data_keyed) else "ocr"
    write_confirmed_text(root, document)
    document.review_state = "confirmed"
    document.reviewed_by = actor.username
    touched(root, document)
    audit.record(document, actor, "confirm_review", subject=document.owner_id,
                 document=document.__name__,
                 detail={"text_changed": text_changed, "extraction": document.extraction})
    return document


def confirm_and_sign(root, document, actor, page_texts, raw_metadata, settings):
    """Confirm the review, then sign the desk's digitized copy (the searchable
    PDF, or the scan itself) with the reviewer's key. Returns the reason it
    was not signed (no key configured for the account), or None."""
    from .ocr_jobs import SEARCHABLE
    from .signatures import SignerNotConfigured, sign_digitized
    confirm_review(root, document, actor, page_texts, raw_metadata)
    if document.provenance != "digitized" or document.signature_report:
        return None
    source = document.derivatives.get(SEARCHABLE) or (
        document.original if document.content_type == "application/pdf" else None)
    if source is None:
        return None
    with source.open("r") as f:
        data = f.read()
    try:
        sign_digitized(document, data, settings, actor)
    except SignerNotConfigured as exc:
        return str(exc)
    return None


def pdf_title(document):
    """The PDF's title: the paper's name and its number ("Giấy khai sinh số 123/QĐ-UBND")."""
    name = (document.name or "").strip()
    number = (document.number or "").strip()
    return f"{name} số {number}" if name and number else (name or number or document.filename)


def desk_of(root, username):
    """The desk (unit) an account works at, by name, for the PDF's author."""
    user = root.accounts.users.get(username) if username else None
    code = getattr(user, "desk", None)
    if not code:
        return "Kho"
    desk = root.catalogues.desks.get(code)
    return getattr(desk, "name", None) or code


def write_confirmed_text(root, document):
    """Put the confirmed text into the searchable PDF (its invisible layer,
    on the recognised words' places) and its title and author, before any
    signature: a signed PDF is never rewritten. Pages that kept their own
    text layer are left as they are."""
    import ocr
    from ZODB.blob import Blob
    from .ocr_jobs import SEARCHABLE
    from .signatures import SIGNED
    blob = document.derivatives.get(SEARCHABLE)
    if blob is None or SIGNED in document.derivatives or document.signature_report:
        return False
    specs = []
    for page in document.ocr.pages:
        if page.get("source", "ocr") != "ocr":
            specs.append(None)
            continue
        size = (page["width"], page["height"])
        specs.append((ocr.place_words(page["text"], page["words"], size), size))
    with blob.open("r") as f:
        data = f.read()
    try:
        rewritten = ocr.replace_text_layer(data, specs, title=pdf_title(document),
                                           author=desk_of(root, document.created_by))
    except Exception:       # noqa: BLE001 - a PDF pikepdf cannot rewrite keeps its OCR layer
        import logging
        logging.getLogger(__name__).exception("cannot write the confirmed text into %s", document.__name__)
        return False
    new_blob = Blob()
    with new_blob.open("w") as out:
        out.write(rewritten)
    document.derivatives[SEARCHABLE] = new_blob
    return True


def _squash(text):
    return " ".join(text.split())
