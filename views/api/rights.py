"""The person's rights over JSON.

    POST /api/v1/subjects/{id}/export                                the owner: "all my data" (application/zip)
    GET  /api/v1/subjects/{id}/documents/{doc}/corrections           the owner; staff who may answer
    POST /api/v1/subjects/{id}/documents/{doc}/corrections           the owner flags: {fields, note, proposed}
    POST /api/v1/subjects/{id}/documents/{doc}/correction-answer     staff: {request, decision, changes, reason}
    GET  /api/v1/corrections                                         records managers: the open requests
"""
import datetime

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from repository import corrections
from repository import roles as R
from repository.errors import ValidationError
from repository.reading import record_metadata_read
from repository.resources import Document, Root, Warehouse

from ..pages.mine import owner_only
from ..pages.rights import export_response, may_see_corrections
from .helpers import csrf_unless_token, json_body


@view_config(route_name="api", context=Warehouse, name="export", request_method="POST",
             permission=R.VIEW_WAREHOUSE, require_csrf=False, decorator=csrf_unless_token)
def export_api(context, request):
    owner_only(request, context)
    return export_response(request, context)


def corrections_json(document):
    return {"document": document.__name__, "owner_id": document.owner_id,
            "requests": [r.as_dict() for r in corrections.requests_of(document)],
            "history": [dict(h, time=h["time"].isoformat()) for h in corrections.history_of(document)]}


@view_config(route_name="api", context=Document, name="corrections", request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def list_corrections(context, request):
    if not may_see_corrections(request, context):
        raise HTTPForbidden()
    record_metadata_read(context, request.user, context.owner_id, document=context.__name__,
                         detail={"seen": "corrections", "via": "api"})
    return corrections_json(context)


@view_config(route_name="api", context=Document, name="corrections", request_method="POST",
             permission=R.VIEW_WAREHOUSE, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def flag_api(context, request):
    user = request.user
    if user is None or user.subject_id != context.owner_id:
        raise HTTPForbidden()
    body = json_body(request)
    proposed = body.get("proposed") or {}
    if not isinstance(proposed, dict):
        raise ValidationError({"proposed": "Cần một đối tượng / an object is expected"})
    made = corrections.flag(request.kho_root, context, user, body.get("fields") or [], body.get("note"), proposed)
    request.response.status = 201
    return made.as_dict()


@view_config(route_name="api", context=Document, name="correction-answer", request_method="POST",
             permission=R.VIEW_WAREHOUSE, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def answer_api(context, request):
    root, user = request.kho_root, request.user
    if user is not None and user.subject_id == context.owner_id or not corrections.may_answer(root, context, user):
        raise HTTPForbidden()
    body = json_body(request)
    request_id = body.get("request")
    if not isinstance(request_id, str):
        raise ValidationError({"request": "Cần mã đề nghị / the request's id is required"})
    decision = body.get("decision")
    if decision == "refuse":
        made = corrections.refuse(root, context, request_id, user, body.get("reason"))
    elif decision == "correct":
        changes = body.get("changes")
        if not isinstance(changes, dict):
            raise ValidationError({"changes": "Cần một đối tượng / an object is expected"})
        made = corrections.correct(root, context, request_id, user, changes, body.get("reason"))
    else:
        raise ValidationError({"decision": "correct hoặc refuse / correct or refuse"})
    return made.as_dict()


@view_config(route_name="api", context=Root, name="corrections", request_method="GET",
             permission=R.LIST_SUBJECTS, renderer="json")
def corrections_queue_api(context, request):
    now = datetime.datetime.now(datetime.timezone.utc)
    items = []
    for document, made in corrections.open_requests(context):
        items.append(dict(made.as_dict(), paper_name=document.name, overdue=made.overdue(now)))
    for owner in sorted({i["owner_id"] for i in items}):
        record_metadata_read(context, request.user, owner, detail={"seen": "correction_requests", "via": "api"})
    return {"items": items, "total": len(items)}
