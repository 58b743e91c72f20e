"""A warehouse's page (its papers, and whether each can be reused now), and the
upload form that adds a paper to it for one of the owner's open dossiers."""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.calendar import form_dates, now_vn
from repository.dossiers import open_dossiers_for
from repository.errors import ValidationError
from repository.intake import quality_rules, record_scan_quality, scan_warnings
from repository.operations import DATE_FIELDS, add_document
from repository.reception import why_not_reusable
from repository.resources import PROVENANCES, STATES, Warehouse
from repository.signatures import trust_roots

from ..uploads import METADATA_FIELDS, max_upload_bytes, read_upload
from . import _, domain_message, errors_for, paper_progress, translate
from .document import log_warehouse_view


@view_config(context=Warehouse, permission=R.VIEW_WAREHOUSE, renderer="warehouse.jinja2")
def warehouse_page(context, request):
    can_add = request.has_permission(R.ADD_DOCUMENT, context)
    documents = context.documents.in_use()
    log_warehouse_view(request, context, documents)       # staff: a read of the owner's metadata
    today = now_vn().date()
    return {"warehouse": context, "documents": documents, "can_add": bool(can_add),
            "doctypes": request.kho_root.catalogues.doctypes,
            "reuse": {d.__name__: why_not_reusable(request.kho_root, context, d, today) for d in documents},
            "progress": {d.__name__: paper_progress(request.kho_root, d) for d in documents},
            "is_owner": bool(request.user and request.user.subject_id == context.subject_id)}


def upload_form(request, values=None, errors=None, quality_warnings=()):
    root = request.kho_root
    catalogues = root.catalogues
    dossiers = open_dossiers_for(root, request.context.subject_id, request.user)
    return {"warehouse": request.context, "values": values or {"state": "in_force", "provenance": "digitized"},
            "errors": errors or {}, "doctypes": list(catalogues.doctypes.values()),
            "dossiers": dossiers,
            "procedure_names": {d.procedure_code: getattr(catalogues.procedures.get(d.procedure_code), "name", "")
                                for d in dossiers},
            "states": STATES, "provenances": PROVENANCES, "quality_warnings": list(quality_warnings),
            "min_dpi": quality_rules(request.registry.settings)[0]}


@view_config(context=Warehouse, name="upload", permission=R.ADD_DOCUMENT, renderer="upload.jinja2",
             request_method="GET")
def upload_get(context, request):
    """The form; ?dossier_code= and ?type_code= preselect (from a dossier's missing component)."""
    values = {"state": "in_force", "provenance": "digitized",
              "dossier_code": request.params.get("dossier_code", ""),
              "type_code": request.params.get("type_code", "")}
    return upload_form(request, values)


@view_config(context=Warehouse, name="upload", permission=R.ADD_DOCUMENT, renderer="upload.jinja2",
             request_method="POST")
def upload_post(context, request):
    values = {k: request.POST.get(k, "") for k in METADATA_FIELDS}
    dated, bad_dates = form_dates(values, DATE_FIELDS)        # dd/mm/yyyy as typed, or YYYY-MM-DD
    settings = request.registry.settings
    try:
        data, filename = read_upload(request)
        document = add_document(request.kho_root, context, data, filename, dated, request.user,
                                max_bytes=max_upload_bytes(request),
                                trust_roots=trust_roots(settings))
        if values.get("provenance") == "digitized" and not document.signature_report:
            # a desk scan (not a signed electronic paper): colour, at least 200 dpi
            quality = scan_warnings(data, settings)
            if quality[1] and quality_rules(settings)[2]:
                raise ValidationError({"file": " ".join(quality[1])})
            if quality[1] and not request.POST.get("accept_quality"):
                request.tm.doom()                   # nothing is kept until the officer accepts
                request.response.status = 400
                return upload_form(request, values, {}, quality_warnings=[
                    domain_message(w, request.locale_name) for w in quality[1]])
            record_scan_quality(document, quality[0], quality[1], request.user)
    except ValidationError as exc:
        request.tm.doom()
        request.response.status = 400
        return upload_form(request, values, errors_for(request, {**exc.errors, **bad_dates}))
    request.session.flash(translate(request, _("Saved the paper ${name}.", mapping={"name": document.name})))
    return HTTPFound(request.resource_url(document))       # the paper's page: its OCR, then its review
