"""Results, copies, verification and the citizen's own lists over JSON.

    GET  /api/v1/verify/{code}                          public: genuine? in force? the printed fields
    POST /api/v1/dossiers/{code}/result                 the agency's processor issues the result
                                                        (JSON {"decision"} or multipart with a PDF "file")
    POST /api/v1/subjects/{id}/documents/{doc}/copies   an electronic copy (sao y)
    GET  /api/v1/subjects/{id}/documents/{doc}/copies   the copies (owner)
    GET  /api/v1/subjects/{id}/documents/{doc}/copies/{n}   a copy's signed PDF (owner)
    GET  /api/v1/subjects/{id}/papers                   My papers (owner)
    GET  /api/v1/subjects/{id}/dossiers                 My dossiers (owner)
"""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from repository import roles as R
from repository import verification
from repository.consents import public_url
from repository.dossiers import Dossier
from repository.resources import Document, Warehouse
from repository.results import issue_copy, issue_result

from ..messages import domain_message
from ..owners import copy_response, dossiers_of, owner_only, papers_of
from ..verifying import verify_lookup
from ..uploads import read_upload
from .helpers import api_url, csrf_unless_token, document_json, dossier_summary_json, iso, json_body


@view_config(route_name="api_verify_code", renderer="json", request_method="GET")
def verify_code_api(request):
    status, found, wait = verify_lookup(request)
    request.response.status = status
    if status == 429:
        return {"error": "too_many_requests", "retry_after": wait,
                "message": domain_message("Thử lại sau / try again later", request.locale_name)}
    if found is None:
        return {"error": "not_found", "message": domain_message("Không tìm thấy / not found", request.locale_name)}
    return {"genuine": True, "kind": found["kind"], "kind_label": found["kind_label"],
            "status": found["status"], "status_label": verification.STATUSES[found["status"]],
            "in_force": found["status"] == "in_force",
            "fields": {key: value for key, _label, value in found["fields"]},
            "labels": {key: label for key, label, _value in found["fields"]}}


def verify_url(request, code):
    return public_url(request.registry.settings) + "/verify/" + code


@view_config(route_name="api", context=Dossier, name="result", request_method="POST",
             permission=R.RESOLVE_DOSSIER, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def issue_result_api(context, request):
    upload, decision = None, ""
    if (request.content_type or "").startswith("multipart/"):
        upload, _name = read_upload(request)
        decision = request.POST.get("decision", "")
    elif request.body:
        body = json_body(request)
        decision = body.get("decision") or ""
        if not isinstance(decision, str):
            from repository.errors import ValidationError
            raise ValidationError({"decision": "Cần một chuỗi / a string is expected"})
    document = issue_result(request.kho_root, context, request.user, request.registry.settings,
                            upload=upload, decision_text=decision)
    request.response.status = 201
    return dict(document_json(document, request), verify_url=verify_url(request, document.result_code))


def _live(document):
    if document.deleted:
        raise HTTPNotFound()


def copy_json(record, request, document, number):
    return {"code": record.code, "number": number, "issued": iso(record.issued), "issued_by": record.issued_by,
            "status": verification.status_of(request.kho_root, record), "sha256": getattr(record, "sha256", None),
            "verify_url": verify_url(request, record.code),
            "links": {"content": api_url(request, document, "copies", str(number))}}


@view_config(route_name="api", context=Document, name="copies", request_method="POST",
             permission=R.VIEW_WAREHOUSE, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def create_copy(context, request):
    _live(context)
    if request.subpath:
        raise HTTPNotFound()
    record = issue_copy(request.kho_root, context, request.user, request.registry.settings)
    request.response.status = 201
    number = len(verification.copies_of(request.kho_root, context.owner_id, context.__name__))
    return copy_json(record, request, context, number)


@view_config(route_name="api", context=Document, name="copies", request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def list_copies(context, request):
    _live(context)
    if request.user is None or request.user.subject_id != context.owner_id:
        raise HTTPForbidden()
    if request.subpath:
        if len(request.subpath) != 1:
            raise HTTPNotFound()
        return copy_response(request, context, request.subpath[0])
    copies = verification.copies_of(request.kho_root, context.owner_id, context.__name__)
    return {"items": [copy_json(r, request, context, i) for i, r in enumerate(copies, 1)], "total": len(copies)}


@view_config(route_name="api", context=Warehouse, name="papers", request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def my_papers_api(context, request):
    owner_only(request, context)
    items = []
    for p in papers_of(request.kho_root, context):
        document = p["document"]
        items.append(dict(document_json(document, request), validity=p["status"],
                          validity_label=verification.STATUSES[p["status"]], valid_until_effective=iso(p["ends"]),
                          signed=p["signed"], signers=p["signatures"], reusable=not p["reuse"],
                          reuse_reasons=p["reuse"],
                          verify_url=verify_url(request, p["result_code"]) if p["result_code"] else None,
                          copies=[{"number": c["number"], "issued": iso(c["issued"]), "status": c["status"],
                                   "verify_url": verify_url(request, c["code"])} for c in p["copies"]]))
    return {"items": items, "total": len(items)}


@view_config(route_name="api", context=Warehouse, name="dossiers", request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def my_dossiers_api(context, request):
    owner_only(request, context)
    from repository.dossiers import ACTIONS
    items = []
    for item in dossiers_of(request.kho_root, context.subject_id):
        dossier, result = item["dossier"], item["result"]
        data = dossier_summary_json(dossier, request)
        data.update({
            "late": item["late"], "reason": dossier.reason, "resolved": iso(dossier.resolved),
            "timeline": [{"time": iso(e["time"]), "actor": e["actor"], "actor_name": e["who"][0],
                          "action": e["action"], "action_label": ACTIONS.get(e["action"], e["action"])}
                         for e in item["timeline"]],
            "receipt": api_url(request, dossier, "receipt"),
            "result": None if result is None else {
                "document": result.__name__, "name": result.name, "type_code": result.type_code,
                "issued": iso(getattr(dossier, "result_issued", None)),
                "verify_url": verify_url(request, result.result_code) if getattr(result, "result_code", None)
                else None,
                "links": {"self": api_url(request, result), "content": api_url(request, result, "content")}},
        })
        items.append(data)
    return {"items": items, "total": len(items)}


# --- the OpenAPI description of these routes, kept beside them -----------------------

def _describe():
    from .openapi import DOCUMENT_ID, DOSSIER_CODE, PDF, SPEC, SUBJECT_ID, _errors, _json, _ref
    obj = {"type": "object"}
    listing = _json(_ref("List"))
    code = {"name": "code", "in": "path", "required": True,
            "schema": {"type": "string", "maxLength": 200},
            "description": "the code of a printed paper's QR code (24 URL-safe characters)"}
    limited = {"description": "Too many checks from this address: try again after Retry-After seconds",
               "headers": {"Retry-After": {"schema": {"type": "integer"}}},
               "content": {"application/json": {"schema": _ref("Error")}}}
    verified = {"type": "object", "required": ["genuine", "kind", "status", "in_force", "fields"],
                "properties": {"genuine": {"type": "boolean"},
                               "kind": {"enum": list(verification.KINDS)}, "kind_label": {"type": "string"},
                               "status": {"enum": list(verification.STATUSES)},
                               "status_label": {"type": "string"}, "in_force": {"type": "boolean"},
                               "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                               "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}
    SPEC["paths"].update({
        "/verify/{code}": {"parameters": [code], "get": {
            "summary": "Whether a printed paper (receipt, result, copy) is genuine and in force, and the "
                       "fields it printed (anyone; an unknown, altered or malformed code: 404)",
            "security": [], "responses": {"200": _json(verified), "404": _errors("404")["404"],
                                          "429": limited}}},
        "/dossiers/{code}/result": {"parameters": [DOSSIER_CODE], "post": {
            "summary": "Issue the approved dossier's result (the competent agency's processor): made from "
                       "the procedure's template, or the PDF uploaded; signed with the agency's seal and "
                       "filed in the owner's warehouse",
            "requestBody": {"required": False, "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "decision": {"type": "string", "maxLength": 5000}}}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"contentMediaType": "application/pdf"}, "decision": {"type": "string"}}}}}},
            "responses": {"201": _json(obj, "The result paper, with verify_url"),
                          **_errors("400", "401", "403", "404", "409")}}},
        "/subjects/{subject_id}/documents/{document_id}/copies": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The paper's electronic copies (the owner)",
                    "responses": {"200": listing, **_errors("401", "403", "404")}},
            "post": {"summary": "An electronic copy (sao y) signed by the agency: the owner, or a desk "
                                "handling an open dossier of theirs",
                     "responses": {"201": _json(obj), **_errors("400", "401", "403", "404", "409")}}},
        "/subjects/{subject_id}/documents/{document_id}/copies/{number}": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID,
                           {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"summary": "A copy's signed PDF (the owner)",
                    "responses": {"200": PDF, **_errors("401", "403", "404")}}},
        "/subjects/{subject_id}/papers": {"parameters": [SUBJECT_ID], "get": {
            "summary": "My papers: each paper, its validity, provenance, signatures, copies (the owner)",
            "responses": {"200": listing, **_errors("401", "403", "404")}}},
        "/subjects/{subject_id}/dossiers": {"parameters": [SUBJECT_ID], "get": {
            "summary": "My dossiers: states, due dates, timelines, receipts and results (the owner)",
            "responses": {"200": listing, **_errors("401", "403", "404")}}},
    })


_describe()
