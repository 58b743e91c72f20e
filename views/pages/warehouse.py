"""A warehouse's page, and the upload form that adds a paper to it."""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.errors import ValidationError
from repository.signatures import trust_roots
from repository.operations import add_document
from repository.resources import PROVENANCES, STATES, Warehouse

from ..uploads import max_upload_bytes, read_upload

METADATA_FIELDS = ("type_code", "name", "number", "issue_date", "issuer", "summary",
                   "valid_from", "valid_until", "validity_scope", "state", "provenance",
                   "dossier_code", "procedure_code")


@view_config(context=Warehouse, permission=R.VIEW_WAREHOUSE, renderer="warehouse.jinja2")
def warehouse_page(context, request):
    can_add = request.has_permission(R.ADD_DOCUMENT, context)
    return {"warehouse": context, "documents": context.documents.in_use(), "can_add": bool(can_add),
            "doctypes": request.kho_root.catalogues.doctypes}


def upload_form(request, values=None, errors=None):
    catalogues = request.kho_root.catalogues
    return {"warehouse": request.context, "values": values or {"state": "in_force", "provenance": "digitized"},
            "errors": errors or {}, "doctypes": list(catalogues.doctypes.values()),
            "procedures": list(catalogues.procedures.values()),
            "states": STATES, "provenances": PROVENANCES}


@view_config(context=Warehouse, name="upload", permission=R.ADD_DOCUMENT, renderer="upload.jinja2",
             request_method="GET")
def upload_get(context, request):
    return upload_form(request)


@view_config(context=Warehouse, name="upload", permission=R.ADD_DOCUMENT, renderer="upload.jinja2",
             request_method="POST")
def upload_post(context, request):
    values = {k: request.POST.get(k, "") for k in METADATA_FIELDS}
    try:
        data, filename = read_upload(request)
        document = add_document(request.kho_root, context, data, filename, values, request.user,
                                max_bytes=max_upload_bytes(request),
                                trust_roots=trust_roots(request.registry.settings))
    except ValidationError as exc:
        request.response.status = 400
        return upload_form(request, values, exc.errors)
    request.session.flash(f"Đã lưu giấy tờ {document.name}.")
    return HTTPFound(request.resource_url(context))
