"""Catalogues: read by any signed-in account, changed by administrators."""
from pyramid.view import view_config

from repository import audit
from repository import roles as R
from repository.catalogues import CatalogueFolder, DocumentType
from repository.errors import ValidationError
from repository.identifiers import InvalidIdentifier

from .helpers import csrf_unless_token, json_body


@view_config(route_name="api", context=CatalogueFolder, request_method="GET",
             permission=R.VIEW_CATALOGUES, renderer="json")
def list_catalogue(context, request):
    return {"items": [item.as_dict() for item in context.values()], "total": len(context)}


@view_config(route_name="api", context=CatalogueFolder, request_method="POST",
             permission=R.MANAGE_CATALOGUES, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def add_doctype(context, request):
    if context.__name__ != "doctypes":
        raise ValidationError({"catalogue": "Chỉ thêm được loại giấy tờ qua API / only doctypes"})
    body = json_body(request)
    code = str(body.get("code", "")).strip()
    name = str(body.get("name", "")).strip()
    retention = str(body.get("retention_class", "")).strip()
    months = body.get("validity_months")
    errors = {}
    if not code or not code.replace("_", "").isalnum():
        errors["code"] = "Mã loại giấy tờ gồm chữ và số / letters and digits"
    elif code in context:
        errors["code"] = f"Mã {code} đã có / already exists"
    if not name:
        errors["name"] = "Cần tên loại giấy tờ / a name is required"
    if retention not in request.kho_root.catalogues.retention:
        errors["retention_class"] = "Không có lớp lưu trữ này / unknown retention class"
    if months is not None and (not isinstance(months, int) or months < 1):
        errors["validity_months"] = "Số tháng ≥ 1 hoặc null"
    if errors:
        raise ValidationError(errors)
    try:
        doctype = context.add(code, DocumentType(code, name, retention, months))
    except InvalidIdentifier as exc:
        raise ValidationError({"code": str(exc)}) from None
    audit.record(context, request.user, "add_doctype", detail={"code": code})
    request.response.status = 201
    return doctype.as_dict()
