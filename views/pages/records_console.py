"""The records console's metadata search and audit trail viewer, on pages.

    GET  /records/search          metadata across every warehouse (records managers), no content:
                                  repository.records_search; content stays behind /search with a
                                  records purpose
    GET  /records/audit           the status of `kho audit verify` (kept, with its time) and the
                                  entries newest first (records managers, auditors)
    POST /records/audit/verify    verify the whole trail now (CSRF), back to /records/audit

The audit routes have a context of their own (AuditTrail below): its ACL
gives READ_AUDIT to the auditor and the records manager, the two roles
that read the trail."""
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from pyramid_zodbconn import get_connection

from repository import audit_view, records_search
from repository import roles as R
from repository.errors import ValidationError
from repository.reading import RECORDS_PURPOSES
from repository.retention import STATUS_LABELS

from ..audit_status import max_age, status_view
from ..searching import search_index
from . import errors_for


# --- the metadata search ------------------------------------------------------------------

def _link(request, route, name, value):
    """The same search or view with one parameter changed (the next page)."""
    params = [(k, v) for k, v in request.params.items() if k != name and v]
    return request.route_url(route) + "?" + urlencode(params + [(name, value)])


@view_config(route_name="records_search", permission=R.MANAGE_RECORDS, renderer="records_search.jinja2",
             request_method="GET")
def search_page(request):
    params = {k: request.params.get(k, "") for k in records_search.FILTERS}
    values = {"params": params, "result": None, "errors": {}, "VALIDITY": records_search.VALIDITY,
              "RETENTION": records_search.RETENTION, "STATUS_LABELS": STATUS_LABELS,
              "RECORDS_PURPOSES": RECORDS_PURPOSES, "doctypes": sorted(request.kho_root.catalogues.doctypes.items())}
    if request.params.get("go") != "1":
        return values                   # the form alone: a search is asked for, not implied
    try:
        filters, page, pagelen = records_search.parse_request(request.params)
        result = records_search.search_metadata(request.kho_root, search_index(request), request.user, filters,
                                                page=page, pagelen=pagelen)
    except ValidationError as exc:
        request.response.status = 400
        values["errors"] = errors_for(request, exc.errors)
        return values
    values["result"] = result
    values["previous"] = _link(request, "records_search", "page", result["page"] - 1) if result["page"] > 1 else None
    values["next"] = _link(request, "records_search", "page", result["page"] + 1) if result["page"] < result["pagecount"] else None
    return values


# --- the audit trail viewer -----------------------------------------------------------------

@view_config(route_name="records_audit", permission=R.READ_AUDIT, renderer="records_audit.jinja2",
             request_method="GET")
def audit_page(request):
    params = {k: request.params.get(k, "") for k in ("actor", "owner", "action", "since", "until")}
    values = {"params": params, "errors": {}, "items": [], "next": None, "status": status_view(request),
              "max_age_minutes": round(max_age(request) / 60)}
    try:
        filters, limit = audit_view.parse_request(request.params)
    except ValidationError as exc:
        request.response.status = 400
        values["errors"] = errors_for(request, exc.errors)
        return values
    if values["status"]["ok"] is None:
        return values
    found = audit_view.trail_entries(get_connection(request), filters, limit=limit)
    audit_view.log_trail_read(request.kho_root, request.user, filters, found["items"])
    values.update(items=found["items"], scanned=found["scanned"],
                  next=_link(request, "records_audit", "before", found["next_before"]) if found["next_before"] else None)
    return values


@view_config(route_name="records_audit_verify", permission=R.READ_AUDIT, request_method="POST")
def audit_verify(request):
    verification = audit_view.trail_status(get_connection(request), force=True, by=request.user.username)[0]
    audit_view.log_verification(request.kho_root, request.user, verification)
    status = status_view(request)            # the verification just kept
    request.session.flash(status["text"], "" if status["ok"] else "error")
    return HTTPFound(request.route_url("records_audit"))
