"""A browser session's readings of papers, shared by the pages and the API:
the purpose a reader opened a paper's content with (kept in the session for
OPENING_SECONDS), the refusal of a purpose in a GET's address, and a paper's
file as a response. The rules are told in views/pages/document.py."""
import os
import time

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response

from repository.errors import Refused, ValidationError
from repository.reading import OWNER, authorize_read, purpose_refusal

SESSION_KEY = "readings"       # "owner/doc" (or "owner" for a warehouse) → [purpose or None, since]

OPENING_SECONDS = 3600


MAX_READINGS = 12              # the session is small: the latest few papers only

NO_PURPOSE_IN_ADDRESS = ("Mục đích được nêu bằng nút «Mở nội dung» (POST), không đặt trên địa chỉ / "
                         "a purpose is stated with the Open form (POST), not in the address")

OPEN_FIRST = ("Hãy mở nội dung giấy tờ với một mục đích trước / "
              "open the paper's content with a purpose first")


def is_owner(request, document):
    user = request.user
    return bool(user is not None and user.subject_id and user.subject_id == document.owner_id)


def reading_key(document):
    return f"{document.owner_id}/{document.__name__}"


def _readings(request):
    return dict(request.session.get(SESSION_KEY, {}))


def _fresh(entry):
    return entry is not None and time.time() - entry[1] < OPENING_SECONDS


def _save(request, readings):
    request.session[SESSION_KEY] = dict(
        sorted(readings.items(), key=lambda item: item[1][1])[-MAX_READINGS:])


def opened(request, document):
    """The purpose this reader opened the paper's content with in this
    session (still fresh), or None."""
    entry = _readings(request).get(reading_key(document))
    return entry[0] if _fresh(entry) and entry[0] else None


def stated_purpose(request, document):
    """The purpose the pages read this paper under: "owner" for the owner,
    else what the reader opened it with (None: not opened)."""
    return OWNER if is_owner(request, document) else opened(request, document)


def remember_purpose(request, document, purpose):
    """The opening of a paper's content (after its read was logged)."""
    readings = _readings(request)
    readings[reading_key(document)] = [purpose, time.time()]
    _save(request, readings)


def forget_purpose(request, document):
    readings = _readings(request)
    if readings.pop(reading_key(document), None) is not None:
        _save(request, readings)


def first_seen(request, key):
    """Whether key (a paper or a warehouse) was not seen, nor opened, in this
    session lately; it is marked seen from now."""
    readings = _readings(request)
    if _fresh(readings.get(key)):
        return False
    readings[key] = [None, time.time()]
    _save(request, readings)
    return True


def no_purpose_in_address(request):
    """A browser session states a purpose by POST only (see the module's docstring)."""
    if "purpose" in request.GET and not request.via_token:
        raise ValidationError({"purpose": NO_PURPOSE_IN_ADDRESS})


def owner_opening(request, document, via):
    """The owner's viewing: one `read_content` entry (purpose "owner") per
    OPENING_SECONDS; the page images of it are not logged one by one."""
    if opened(request, document) is None:
        authorize_read(document, request.user, OWNER, via=via)
        remember_purpose(request, document, OWNER)


def session_purpose(request, document):
    """The purpose of a read by a browser session: "owner", or the opening's
    (checked again: a dossier may have closed, a scan been confirmed).
    Refused (403) when there is none; nothing is logged for it here."""
    if is_owner(request, document):
        return OWNER
    purpose = opened(request, document)
    if purpose is None:
        raise Refused(OPEN_FIRST, code="purpose_required")
    refusal = purpose_refusal(document, request.user, purpose)
    if refusal is not None:
        raise Refused(refusal, code="purpose_refused")
    return purpose


def requested_variant(document, request):
    """`?v=signed|searchable` picks a derived PDF; the default is the original."""
    variant = request.params.get("v", "original")
    if variant != "original" and variant not in document.derivatives:
        raise HTTPNotFound()
    return variant


def content_response(document, request, variant="original"):
    if variant == "original":
        blob, content_type, filename = document.original, document.content_type, document.filename
    else:
        blob, content_type = document.derivatives[variant], "application/pdf"
        filename = f"{document.filename.rsplit('.', 1)[0]}-{variant}.pdf"
    blob_file = blob.open("r")
    size = os.fstat(blob_file.fileno()).st_size
    response = Response(content_type=content_type, app_iter=_chunks(blob_file), content_length=size)
    response.content_disposition = _disposition(filename)
    response.cache_control = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _chunks(f, size=64 * 1024):
    try:
        while chunk := f.read(size):
            yield chunk
    finally:
        f.close()


def _disposition(filename):
    from urllib.parse import quote
    ascii_name = filename.encode("ascii", "ignore").decode() or "document"
    ascii_name = ascii_name.replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
