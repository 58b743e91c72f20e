"""Warehouses and their documents over JSON.

Reads of content (GET …/content, and …/text in views/api/ocr.py) state
their purpose thus: a bearer-token client sends `?purpose=` with each GET
(no other site can make a browser send the token), and each GET writes one
audit entry; a browser session (the cookie) may not put a purpose in the
address (400): it reads under what the page's POST …/open opened
(views/pages/document.py). Metadata reads by staff (a warehouse, its list of
papers, a paper) write a `read_metadata` entry under the owner each time;
the records manager's list of warehouses writes one per warehouse listed.
Deleted papers are not found (404) but by records managers, who list them
with `?deleted=true` and restore them; counts and totals are of the papers
in use, as the lists are."""
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from repository import roles as R
from repository.errors import ValidationError
from repository.intake import LowScanQuality, check_scan_quality
from repository.signatures import trust_roots
from repository.reading import authorize_read, record_metadata_read
from repository.operations import (add_document, create_warehouse, delete_document,
                                   restore_document, update_metadata)
from repository.resources import Document, Documents, Subjects, Warehouse

from ..errors import json_error
from ..messages import domain_message
from ..readings import content_response, no_purpose_in_address, requested_variant, session_purpose
from ..uploads import METADATA_FIELDS
from ..uploads import max_upload_bytes, read_upload
from .helpers import csrf_unless_token, document_json, json_body, warehouse_json


@view_config(route_name="api", context=Subjects, request_method="GET",
             permission=R.LIST_SUBJECTS, renderer="json")
def list_subjects(context, request):
    try:
        limit = min(max(int(request.params.get("limit", 50)), 1), 500)
    except ValueError:
        raise ValidationError({"limit": "limit là số nguyên / an integer"}) from None
    after = request.params.get("after") or None
    keys = list(context.keys(min=after))
    if after and keys and keys[0] == after:
        keys = keys[1:]
    page = keys[:limit]
    for key in page:
        record_metadata_read(context[key], request.user, key, detail={"via": "api_list"})
    return {"items": [warehouse_json(context[k], request) for k in page], "total": len(context),
            "next": page[-1] if len(keys) > limit else None}


@view_config(route_name="api", context=Subjects, request_method="POST",
             permission=R.CREATE_SUBJECT, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def create_subject(context, request):
    body = json_body(request)
    warehouse = create_warehouse(
        request.kho_root, str(body.get("subject_id", "")), str(body.get("name", "")), request.user,
        birth_date=body.get("birth_date") or None, sex=body.get("sex") or None)
    request.response.status = 201
    return warehouse_json(warehouse, request)


@view_config(route_name="api", context=Warehouse, request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def get_warehouse(context, request):
    record_metadata_read(context, request.user, context.subject_id, detail={"via": "api"})
    return warehouse_json(context, request)


@view_config(route_name="api", context=Documents, request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def list_documents(context, request):
    """The papers in use; `?deleted=true`: the deleted ones (records managers)."""
    deleted = request.params.get("deleted", "").lower() in ("true", "1", "yes")
    if deleted and not request.has_permission(R.DELETE_DOCUMENT, context):
        raise HTTPForbidden()
    documents = context.deleted() if deleted else context.in_use()
    owner = context.__parent__.subject_id
    record_metadata_read(context, request.user, owner,
                         detail={"via": "api_list", "papers": [d.__name__ for d in documents]})
    return {"items": [document_json(d, request) for d in documents], "total": len(documents)}


@view_config(route_name="api", context=Documents, request_method="POST",
             permission=R.ADD_DOCUMENT, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def upload_document(context, request):
    """A desk scan (provenance digitized) meets the digitizing rules as on
    the page (repository.intake.check_scan_quality): below them, 422
    low_scan_quality with the warnings unless `accept_low_quality` is true
    (then accepted by the caller and recorded); 400 under
    kho.scan.low_quality = refuse. Nothing is kept when refused."""
    data, filename = read_upload(request)
    values = {k: request.POST.get(k, "") for k in METADATA_FIELDS + ("extraction",)}
    accept = _flag(request.POST.get("accept_low_quality", ""), "accept_low_quality")
    settings = request.registry.settings
    document = add_document(request.kho_root, context.__parent__, data, filename, values,
                            request.user, max_bytes=max_upload_bytes(request),
                            trust_roots=trust_roots(settings))
    try:
        check_scan_quality(document, data, settings, request.user, accept)
    except LowScanQuality as exc:
        request.tm.doom()
        body = json_error(request, 422, "low_scan_quality",
                          "Bản quét chưa đạt quy định số hoá (màu, từ 200 dpi): quét lại, hoặc gửi lại với "
                          "accept_low_quality=true nếu cán bộ chấp nhận / the scan is below the digitizing "
                          "rules (colour, 200 dpi): scan again, or send it again with accept_low_quality=true "
                          "to accept it", exc.errors)
        return dict(body, warnings=[domain_message(w, request.locale_name) for w in exc.warnings])
    except ValidationError:
        request.tm.doom()
        raise
    request.response.status = 201
    return document_json(document, request)


def _flag(value, field):
    value = str(value).strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise ValidationError({field: "Cần true hoặc false / true or false expected"})


@view_config(route_name="api", context=Document, request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def get_document(context, request):
    record_metadata_read(context, request.user, context.owner_id, document=context.__name__,
                         detail={"via": "api"})
    return document_json(context, request)


@view_config(route_name="api", context=Document, request_method="PATCH",
             permission=R.ADD_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def patch_document(context, request):
    update_metadata(request.kho_root, context, json_body(request), request.user)
    return document_json(context, request)


@view_config(route_name="api", context=Document, request_method="DELETE",
             permission=R.DELETE_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def delete_doc(context, request):
    delete_document(request.kho_root, context, request.user, request.params.get("reason", ""))
    return document_json(context, request)


@view_config(route_name="api", context=Document, name="restore", request_method="POST",
             permission=R.DELETE_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def restore_doc(context, request):
    restore_document(request.kho_root, context, request.user)
    return document_json(context, request)


@view_config(route_name="api", context=Document, name="content", request_method="GET",
             permission=R.READ_CONTENT)
def get_content(context, request):
    variant = requested_variant(context, request)
    authorize_read(context, request.user, content_purpose(request, context), via="api")
    return content_response(context, request, variant)


def content_purpose(request, document):
    """The purpose of an API read of content: `?purpose=` for a bearer token;
    for a browser session, what the page opened (never from the address)."""
    if request.via_token:
        return request.params.get("purpose")
    no_purpose_in_address(request)
    return session_purpose(request, document)


def _describe():
    """The upload's scan-quality answer in /api/v1/openapi.json (added to the
    document views/api/openapi.py serves)."""
    from .openapi import SPEC, _json, _ref
    post = SPEC["paths"]["/subjects/{subject_id}/documents"]["post"]
    schema = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema["properties"]["accept_low_quality"] = {
        "type": "string", "enum": ["true", "false", "1", "0", "yes", "no", ""],
        "description": "a desk scan below the digitizing rules (colour, kho.scan.min_dpi) is kept only "
                       "with true: the caller accepts its warnings, recorded in scan_quality"}
    post["responses"]["422"] = _json(
        {"allOf": [_ref("Error"), {"type": "object", "required": ["warnings"],
                                   "properties": {"warnings": {"type": "array", "items": {"type": "string"}}}}]},
        "low_scan_quality: the scan is below the digitizing rules; its warnings")


_describe()
