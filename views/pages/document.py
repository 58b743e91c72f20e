"""A document's page: metadata for whoever may see the warehouse; previews and
download only for the owner, or for staff who opened the paper's content
with a purpose.

How reads are stated and logged (repository.reading has the rules):

- Staff open a paper's content with a POST to …/open (CSRF token, a purpose
  picked from the list: an open dossier of the owner that their unit
  handles, their own digitizing while the scan is unconfirmed, a records
  purpose). That POST is the read: it writes one `read_content` entry (or
  the refusal) and the session remembers the opening for OPENING_SECONDS.
- Page images (…/preview/N) and the review page are served under the
  opening, re-checking its purpose, and write nothing, not even to the
  session (which lives in the database): one viewing is one entry however
  many images it shows.
- Downloads (…/download) and, for a browser session, the API's GET …/content
  and …/text use the opening too and write one entry each (the file leaves).
- A purpose is never taken from the address of a GET in a browser session:
  `?purpose=` there is refused (400), so a link from another site cannot
  state a purpose or log a read in the reader's name. Bearer-token clients
  of the API, which no other site can make a browser send, state it with
  `?purpose=` (views/api).
- The owner reads their own papers without a purpose: their viewing of the
  page (or their first page image) writes one `read_content` entry, purpose
  "owner", per OPENING_SECONDS; each download writes one.
- Staff seeing a paper's or a warehouse's metadata (this page, the warehouse
  page) write one `read_metadata` entry per paper per OPENING_SECONDS
  (purpose "metadata"), none while the paper is open for content.
- A deleted paper is not found for everyone but records managers (gone_papers)."""

from pyramid.events import ContextFound, subscriber
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import FileResponse
from pyramid.view import view_config

from repository import roles as R
from repository.catalogues import DocumentType
from repository.dossiers import open_dossiers_for
from repository.errors import Refused
from repository.ocr_jobs import job_of
from repository.reading import (DIGITIZING, METADATA, RECORDS_PURPOSES, authorize_read,
                                is_gone, purpose_refusal, record_metadata_read, review_purpose,
                                review_refusal)
from repository.resources import Document

from ..addresses import api_url
from ..previews import PreviewError, render_preview
from ..readings import (content_response, first_seen, forget_purpose, is_owner, no_purpose_in_address, owner_opening,
                        reading_key, remember_purpose, requested_variant, session_purpose, stated_purpose)
from . import _, translate


@subscriber(ContextFound)
def gone_papers(event):
    """A deleted paper is not found, by any route of the pages or the API,
    for everyone but records managers (repository.reading.is_gone)."""
    request = event.request
    if isinstance(request.context, Document) and is_gone(request.context, request.user):
        raise HTTPNotFound()


def log_metadata_view(request, document):
    """Staff seeing this paper's metadata: logged once per paper per
    OPENING_SECONDS, and not while it is open for content (the opening was)."""
    if not is_owner(request, document) and first_seen(request, reading_key(document)):
        record_metadata_read(document, request.user, document.owner_id, document=document.__name__,
                             purpose=METADATA, detail={"via": "page"})


@view_config(context=Document, permission=R.VIEW_WAREHOUSE, renderer="document.jinja2")
def document_page(context, request):
    doctype = request.kho_root.catalogues.doctypes.get(context.type_code)
    if is_owner(request, context):
        owner_opening(request, context, "page")
    else:
        log_metadata_view(request, context)
    purpose = stated_purpose(request, context)
    if purpose is not None and not is_owner(request, context) and \
            purpose_refusal(context, request.user, purpose) is not None:
        forget_purpose(request, context)          # the dossier closed, the scan was confirmed…
        purpose = None
    query = request.params.get("q", "").strip()
    can_add = bool(request.has_permission(R.ADD_DOCUMENT, context))
    return {"document": context, "warehouse": context.__parent__.__parent__,
            "query": query, "highlights": highlights(context, query) if purpose else {},
            "preview_variant": "searchable" if "searchable" in context.derivatives else "original",
            "job": job_of(request.kho_root, context), "ocr_status_url": api_url(request, context, "ocr"),
            "can_add": can_add, "review": review_action(request, context, purpose) if can_add else None,
            "doctype_name": doctype.name if isinstance(doctype, DocumentType) else context.type_code,
            "purpose": purpose, "purposes": purposes_for(request, context) if purpose is None else [],
            "can_read": bool(request.has_permission(R.READ_CONTENT, context)),
            "error": request.params.get("error")}


def review_action(request, document, purpose):
    """How the page offers the OCR review: "link" when the paper is open
    under a purpose that allows it, else the purpose a POST to …/open would
    state for it (the digitizing, or the dossier), else None."""
    if document.ocr is None or document.review_state == "confirmed":
        return None
    if purpose and review_refusal(document, request.user, purpose) is None:
        return {"link": True}
    candidate = review_purpose(document, request.user)
    return {"link": False, "purpose": candidate} if candidate else None


def purposes_for(request, document):
    """What this reader may pick as a purpose: the open dossiers of the owner
    that their unit handles; their own digitizing of a scan not yet
    confirmed; records managers' fixed list."""
    user = request.user
    choices = [(d.code, f"{d.code} — {procedure_name(request, d.procedure_code)}")
               for d in open_dossiers_for(request.kho_root, document.owner_id, user)]
    if purpose_refusal(document, user, DIGITIZING) is None:
        choices.append((DIGITIZING, translate(request, _("Digitizing: reviewing my own scan"))))
    if R.RECORDS in user.roles:
        choices += list(RECORDS_PURPOSES.items())
    return choices


def procedure_name(request, code):
    procedure = request.kho_root.catalogues.procedures.get(code)
    return procedure.name if procedure is not None else code


def highlights(document, query):
    """{page number: [(left, top, width, height) in %]} of the OCR words that
    match the query, to draw over the page images."""
    if not query or document.ocr is None:
        return {}
    import search
    from search.querylang import parse_query
    try:
        query = parse_query(query)
    except search.QuerySyntaxError:
        return {}
    boxes = {}
    for page in document.ocr.pages:
        matched = search.match_words(query, [w[0] for w in page["words"]])
        if matched:
            width, height = page["width"], page["height"]
            boxes[page["index"] + 1] = [
                (100 * w[1] / width, 100 * w[2] / height, 100 * (w[3] - w[1]) / width,
                 100 * (w[4] - w[2]) / height)
                for w in (page["words"][i] for i in matched)]
    return boxes


@view_config(context=Document, name="open", permission=R.READ_CONTENT, request_method="POST")
def open_with_purpose(context, request):
    """State a purpose and open the content (the read is logged here, once);
    `next=review` goes on to the OCR review."""
    target = request.resource_url(context)
    try:
        purpose = authorize_read(context, request.user, request.POST.get("purpose", ""), via="open")
    except Refused as exc:
        request.session.flash(str(exc), "error")
        return HTTPFound(target)
    remember_purpose(request, context, purpose)
    if request.POST.get("next") == "review":
        target = request.resource_url(context, "review")
    return HTTPFound(target)


@view_config(context=Document, name="preview", permission=R.READ_CONTENT)
def preview(context, request):
    """A page image, under the reading's opening: not logged one by one (the
    owner's first image of a viewing opens it, and that is logged)."""
    no_purpose_in_address(request)
    if is_owner(request, context):
        owner_opening(request, context, "page")
    else:
        session_purpose(request, context)
    try:
        page = int(request.subpath[0]) if request.subpath else 1
        width = int(request.params.get("w", 300))
        variant = request.params.get("v", "original")
        path = render_preview(context, page, width, request.registry.settings["kho.cache_dir"], variant)
    except (ValueError, PreviewError):
        raise HTTPNotFound() from None
    response = FileResponse(path, request=request, content_type="image/png")
    response.cache_control = "private, no-store"
    return response


@view_config(context=Document, name="download", permission=R.READ_CONTENT)
def download(context, request):
    """The file, under the opening's purpose (or the owner's): one entry each."""
    no_purpose_in_address(request)
    variant = requested_variant(context, request)
    authorize_read(context, request.user, session_purpose(request, context), via="download")
    return content_response(context, request, variant)


def log_warehouse_view(request, warehouse, documents):
    """Staff seeing a warehouse's page (the owner's profile and list of
    papers): one `read_metadata` entry per warehouse per OPENING_SECONDS."""
    user = request.user
    if user is not None and user.subject_id != warehouse.subject_id and first_seen(request, warehouse.subject_id):
        record_metadata_read(warehouse, user, warehouse.subject_id, purpose=METADATA,
                             detail={"via": "warehouse", "papers": [d.__name__ for d in documents]})
