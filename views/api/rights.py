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

from ..owners import export_response, may_see_corrections, owner_only
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


# --- the OpenAPI description of these routes, kept beside them -----------------------

def _describe():
    from .openapi import DOCUMENT_ID, SPEC, SUBJECT_ID, _errors, _json
    text = {"type": "string"}
    when = {"type": ["string", "null"], "format": "date-time"}
    request_schema = {"type": "object", "required": ["id", "owner_id", "document", "fields", "note", "asked",
                                                     "deadline", "status"],
                      "properties": {"id": text, "owner_id": text, "document": text,
                                     "fields": {"type": "array", "items": text}, "note": text,
                                     "proposed": {"type": "object", "additionalProperties": text},
                                     "asked": {"type": "string", "format": "date-time"}, "asked_by": text,
                                     "deadline": {"type": "string", "format": "date-time"},
                                     "status": {"enum": list(corrections.STATES)}, "answered": when,
                                     "answered_by": {"type": ["string", "null"]}, "reason": text,
                                     "changes": {"type": "object"}}}
    fields = {"enum": list(corrections.flaggable())}
    body = lambda schema: {"required": True, "content": {"application/json": {"schema": schema}}}  # noqa: E731
    SPEC["components"]["schemas"]["CorrectionRequest"] = request_schema
    ref = {"$ref": "#/components/schemas/CorrectionRequest"}
    SPEC["paths"].update({
        "/subjects/{subject_id}/export": {"parameters": [SUBJECT_ID], "post": {
            "summary": "All my data (the owner): a ZIP of the papers, their metadata as JSON, consents and "
                       "receipts, dossiers, the access log and the correction requests, with a manifest",
            "responses": {"200": {"description": "the ZIP", "content": {"application/zip": {
                "schema": {"type": "string", "format": "binary"}}}},
                **_errors("400", "401", "403", "404")}}},
        "/subjects/{subject_id}/documents/{document_id}/corrections": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The paper's correction requests and the history of its changes (the owner; "
                               "staff who may correct it)",
                    "responses": {"200": _json({"type": "object", "required": ["requests", "history"],
                                                "properties": {"requests": {"type": "array", "items": ref},
                                                               "history": {"type": "array"}}}),
                                  **_errors("401", "403", "404")}},
            "post": {"summary": "The owner flags wrong metadata with a note (answered within 72 hours)",
                     "requestBody": body({"type": "object", "required": ["fields", "note"], "properties": {
                         "fields": {"type": "array", "minItems": 1, "uniqueItems": True, "items": fields},
                         "note": {"type": "string", "minLength": 1, "maxLength": corrections.MAX_NOTE},
                         "proposed": {"type": "object", "additionalProperties": {
                             "type": "string", "maxLength": corrections.MAX_VALUE}}}}),
                     "responses": {"201": _json(ref), **_errors("400", "401", "403", "404", "409")}}},
        "/subjects/{subject_id}/documents/{document_id}/correction-answer": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "post": {"summary": "Staff who may change the paper (a signed or used one: records managers) "
                                "correct it with a reason, or refuse with one",
                     "requestBody": body({"type": "object", "required": ["request", "decision", "reason"],
                                          "properties": {
                                              "request": text, "decision": {"enum": ["correct", "refuse"]},
                                              "changes": {"type": "object", "additionalProperties": {
                                                  "type": ["string", "null"]}},
                                              "reason": {"type": "string", "minLength": 1,
                                                         "maxLength": corrections.MAX_NOTE}}}),
                     "responses": {"200": _json(ref), **_errors("400", "401", "403", "404", "409")}}},
        "/corrections": {"get": {
            "summary": "The open correction requests, nearest deadline first (records managers)",
            "responses": {"200": _json({"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": ref}, "total": {"type": "integer"}}}),
                **_errors("401", "403")}}},
    })


_describe()
