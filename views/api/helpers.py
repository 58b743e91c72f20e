"""What every API view shares: CSRF for cookie sessions, JSON bodies, serialisers."""
import functools
import json

from pyramid.csrf import check_csrf_token

from repository.errors import ValidationError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_unless_token(view):
    """A browser session must send X-CSRF-Token on writes; a bearer token need not."""
    @functools.wraps(view)
    def wrapper(context, request):
        if request.method not in SAFE_METHODS and not request.via_token:
            check_csrf_token(request, token="csrf_token", header="X-CSRF-Token")
        return view(context, request)
    return wrapper


def json_body(request):
    if not request.content_type == "application/json":
        raise ValidationError({"body": "Cần Content-Type application/json / JSON body expected"})
    try:
        body = request.json_body
    except (ValueError, json.JSONDecodeError):
        raise ValidationError({"body": "JSON không hợp lệ / malformed JSON"}) from None
    if not isinstance(body, dict):
        raise ValidationError({"body": "Cần một đối tượng JSON / a JSON object is expected"})
    return body


def api_url(request, resource, *elements):
    """The API address of a resource (the same tree, under /api/v1)."""
    from . import API_PREFIX
    return request.application_url + API_PREFIX + request.resource_path(resource, *elements)


def iso(value):
    return value.isoformat() if value else None


def document_json(document, request):
    return {
        "id": document.__name__,
        "owner_id": document.owner_id,
        "type_code": document.type_code,
        "name": document.name,
        "number": document.number,
        "issue_date": iso(document.issue_date),
        "issuer": document.issuer,
        "summary": document.summary,
        "valid_from": iso(document.valid_from),
        "valid_until": iso(document.valid_until),
        "validity_scope": document.validity_scope,
        "state": document.state,
        "effective_state": document.effective_state(),
        "provenance": document.provenance,
        "dossier_code": document.dossier_code,
        "procedure_code": document.procedure_code,
        "extraction": document.extraction,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "pages": document.pages,
        "signatures": document.signature_report,
        "signed_by": document.signed_by,
        "deleted": iso(document.deleted),
        "review_state": document.review_state,
        "created": iso(document.created),
        "created_by": document.created_by,
        "links": {
            "self": api_url(request, document),
            "content": api_url(request, document, "content"),
        },
    }


def warehouse_json(warehouse, request):
    return {
        "subject_id": warehouse.subject_id,
        "kind": warehouse.kind,
        "name": warehouse.name,
        "birth_date": iso(warehouse.birth_date),
        "sex": warehouse.sex,
        "documents": len(warehouse.documents),
        "created": iso(warehouse.created),
        "links": {
            "self": api_url(request, warehouse),
            "documents": api_url(request, warehouse.documents),
        },
    }
