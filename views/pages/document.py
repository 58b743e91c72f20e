"""A document's page: metadata for whoever may see the warehouse; previews and
download only for the owner or for staff who stated a purpose (logged)."""
import os

from pyramid.httpexceptions import HTTPBadRequest, HTTPFound, HTTPNotFound
from pyramid.response import FileResponse, Response
from pyramid.view import view_config

from repository import roles as R
from repository.catalogues import DocumentType
from repository.dossiers import open_dossiers_for
from repository.errors import Refused
from repository.ocr_jobs import job_of
from repository.reading import RECORDS_PURPOSES, authorize_read
from repository.resources import Document

from ..api.helpers import api_url
from ..previews import PreviewError, render_preview

SESSION_KEY = "purposes"


def stated_purpose(request, document):
    """The purpose this reader gave for this document earlier in the session."""
    if request.user is not None and request.user.subject_id == document.owner_id:
        return "owner"
    return request.session.get(SESSION_KEY, {}).get(request.resource_path(document))


def remember_purpose(request, document, purpose):
    purposes = dict(request.session.get(SESSION_KEY, {}))
    purposes[request.resource_path(document)] = purpose
    request.session[SESSION_KEY] = dict(list(purposes.items())[-50:])


@view_config(context=Document, permission=R.VIEW_WAREHOUSE, renderer="document.jinja2")
def document_page(context, request):
    doctype = request.kho_root.catalogues.doctypes.get(context.type_code)
    purpose = stated_purpose(request, context)
    query = request.params.get("q", "").strip()
    return {"document": context, "warehouse": context.__parent__.__parent__,
            "query": query, "highlights": highlights(context, query) if purpose else {},
            "preview_variant": "searchable" if "searchable" in context.derivatives else "original",
            "job": job_of(request.kho_root, context), "ocr_status_url": api_url(request, context, "ocr"),
            "can_add": bool(request.has_permission(R.ADD_DOCUMENT, context)),
            "doctype_name": doctype.name if isinstance(doctype, DocumentType) else context.type_code,
            "purpose": purpose, "purposes": purposes_for(request, context) if purpose is None else [],
            "can_read": bool(request.has_permission(R.READ_CONTENT, context)),
            "error": request.params.get("error")}


def purposes_for(request, document):
    """What this reader may pick as a purpose: the open dossiers of the owner
    that their unit handles; records managers' fixed list."""
    user = request.user
    choices = [(d.code, f"{d.code} — {procedure_name(request, d.procedure_code)}")
               for d in open_dossiers_for(request.kho_root, document.owner_id, user)]
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
    try:
        purpose = authorize_read(context, request.user, request.POST.get("purpose", ""))
    except Refused as exc:
        request.session.flash(str(exc), "error")
        return HTTPFound(request.resource_url(context))
    remember_purpose(request, context, purpose)
    return HTTPFound(request.resource_url(context))


@view_config(context=Document, name="preview", permission=R.READ_CONTENT)
def preview(context, request):
    if stated_purpose(request, context) is None:
        raise HTTPBadRequest("Cần nêu mục đích trước khi xem / state a purpose first")
    try:
        page = int(request.subpath[0]) if request.subpath else 1
        width = int(request.params.get("w", 300))
        variant = request.params.get("v", "original")
        path = render_preview(context, page, width, request.registry.settings["kho.cache_dir"], variant)
    except (ValueError, PreviewError):
        raise HTTPNotFound() from None
    response = FileResponse(path, request=request, content_type="image/png")
    response.cache_control = "private, max-age=3600"
    return response


@view_config(context=Document, name="download", permission=R.READ_CONTENT)
def download(context, request):
    variant = requested_variant(context, request)
    purpose = request.params.get("purpose") or stated_purpose(request, context)
    authorize_read(context, request.user, purpose)
    return content_response(context, request, variant)


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
