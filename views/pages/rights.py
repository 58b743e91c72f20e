"""The person's rights on pages: "My data and rights" (download all my data
as a ZIP; my correction requests and their answers), a paper's corrections
(the owner flags wrong metadata with a note; staff who may change the paper
correct it with a reason, or refuse with one; the history is shown), and the
records manager's list of open correction requests with their deadlines.

    GET  /subjects/<id>/rights                               the owner
    POST /subjects/<id>/export                               the owner: the ZIP
    GET  /subjects/<id>/documents/<doc>/corrections          the owner; staff who may answer
    POST /subjects/<id>/documents/<doc>/corrections          the owner flags
    POST /subjects/<id>/documents/<doc>/correction-answer    staff who may answer
    GET  /corrections                                        records managers: the open requests"""
import datetime

from pyramid.httpexceptions import HTTPForbidden, HTTPFound
from pyramid.view import view_config

from repository import corrections
from repository import roles as R
from repository.calendar import form_dates
from repository.errors import Conflict, ValidationError
from repository.reading import record_metadata_read
from repository.resources import STATES as DOCUMENT_STATES
from repository.resources import Document, Root, Warehouse

from ..owners import export_response, may_see_corrections, owner_only
from . import _, errors_for, translate


@view_config(context=Warehouse, name="rights", permission=R.VIEW_WAREHOUSE, renderer="rights.jinja2",
             request_method="GET")
def rights_page(context, request):
    owner_only(request, context)
    papers = []
    for document in context.documents.in_use():
        papers.append({"document": document, "requests": corrections.requests_of(document)})
    return {"warehouse": context, "papers": papers, "STATES": corrections.STATES,
            "FIELD_LABELS": corrections.FIELD_LABELS}


@view_config(context=Warehouse, name="export", permission=R.VIEW_WAREHOUSE, request_method="POST")
def export_view(context, request):
    owner_only(request, context)
    return export_response(request, context)


def corrections_values(request, document, errors=None, form=None, answer_errors=None):
    user = request.user
    is_owner = bool(user and user.subject_id == document.owner_id)
    requests = corrections.requests_of(document)
    return {
        "document": document, "warehouse": document.__parent__.__parent__, "is_owner": is_owner,
        "requests": list(reversed(requests)), "history": list(reversed(corrections.history_of(document))),
        "open_request": next((r for r in requests if r.is_open), None),
        "can_answer": not is_owner and corrections.may_answer(request.kho_root, document, user),
        "fields": corrections.flaggable(), "FIELD_LABELS": corrections.FIELD_LABELS,
        "STATES": corrections.STATES, "errors": errors or {}, "answer_errors": answer_errors or {},
        "form": form or {}, "current": _current(document), "DATE_FIELDS": DATE_FIELDS,
        "show": lambda field, value: shown(request, field, value),
        "doctypes": request.kho_root.catalogues.doctypes, "STATES_DOC": DOCUMENT_STATES,
    }


def _current(document):
    from repository.operations import current_metadata
    return current_metadata(document)


DATE_FIELDS = ("issue_date", "valid_from", "valid_until")


def shown(request, field, value):
    """A metadata value (as the form and the history keep it: ISO dates,
    codes) as a person reads it: 02/03/2020, the state's name, the type's name."""
    import datetime

    from repository.resources import STATES
    if not value:
        return "—"
    if field in DATE_FIELDS:
        try:
            return f"{datetime.date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    if field == "state" and value in STATES:
        return translate(request, _(STATES[value]))
    if field == "type_code":
        doctype = request.kho_root.catalogues.doctypes.get(value)
        return f"{value} — {doctype.name}" if doctype is not None else value
    return value


@view_config(context=Document, name="corrections", permission=R.VIEW_WAREHOUSE, renderer="corrections.jinja2",
             request_method="GET")
def corrections_page(context, request):
    if not may_see_corrections(request, context):
        raise HTTPForbidden()
    record_metadata_read(context, request.user, context.owner_id, document=context.__name__,
                         detail={"seen": "corrections"})
    return corrections_values(request, context)


@view_config(context=Document, name="corrections", permission=R.VIEW_WAREHOUSE, renderer="corrections.jinja2",
             request_method="POST")
def flag_view(context, request):
    user = request.user
    if user is None or user.subject_id != context.owner_id:
        raise HTTPForbidden()
    fields = request.POST.getall("fields")
    proposed = {f: request.POST.get(f"proposed_{f}", "") for f in fields}
    note = request.POST.get("note", "")
    try:
        corrections.flag(request.kho_root, context, user, fields, note, proposed)
    except (ValidationError, Conflict) as exc:
        request.response.status = 400 if isinstance(exc, ValidationError) else 409
        errors = exc.errors if isinstance(exc, ValidationError) else {"request": str(exc)}
        return corrections_values(request, context, errors=errors_for(request, errors),
                                  form={"fields": fields, "note": note, "proposed": proposed})
    request.session.flash(translate(request, _(
        "Your request was sent. The records office answers within 72 hours.")))
    return HTTPFound(request.resource_url(context, "corrections"))


@view_config(context=Document, name="correction-answer", permission=R.VIEW_WAREHOUSE,
             renderer="corrections.jinja2", request_method="POST")
def answer_view(context, request):
    root, user = request.kho_root, request.user
    if user is not None and user.subject_id == context.owner_id or not corrections.may_answer(root, context, user):
        raise HTTPForbidden()
    request_id = request.POST.get("request", "")
    reason = request.POST.get("reason", "")
    bad_dates = {}
    try:
        if request.POST.get("decision") == "refuse":
            corrections.refuse(root, context, request_id, user, reason)
        else:
            typed = {f: request.POST.get(f"value_{f}") for f in corrections.flaggable()
                     if request.POST.get(f"value_{f}") is not None}
            typed, bad_dates = form_dates(typed, DATE_FIELDS)     # dd/mm/yyyy, or YYYY-MM-DD
            current = _current(context)
            changes = {f: v for f, v in typed.items() if v != current[f]}
            corrections.correct(root, context, request_id, user, changes, reason)
    except (ValidationError, Conflict) as exc:
        request.response.status = 400 if isinstance(exc, ValidationError) else 409
        errors = {**exc.errors, **bad_dates} if isinstance(exc, ValidationError) else {"request": str(exc)}
        return corrections_values(request, context, answer_errors=errors_for(request, errors),
                                  form=dict(request.POST))
    request.session.flash(translate(request, _("The answer was recorded.")))
    return HTTPFound(request.resource_url(context, "corrections"))


@view_config(context=Root, name="corrections", permission=R.LIST_SUBJECTS, renderer="corrections_queue.jinja2",
             request_method="GET")
def corrections_queue(context, request):
    now = datetime.datetime.now(datetime.timezone.utc)
    items = [{"document": d, "request": r, "overdue": r.overdue(now)}
             for d, r in corrections.open_requests(context)]
    for owner in sorted({item["document"].owner_id for item in items}):      # their papers' details seen
        record_metadata_read(context, request.user, owner, detail={"seen": "correction_requests"})
    return {"items": items, "FIELD_LABELS": corrections.FIELD_LABELS}
