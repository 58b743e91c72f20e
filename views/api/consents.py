"""Consents over JSON, under the owner's warehouse (whose ACL covers them):

    GET/POST /subjects/{id}/consents                   list / grant
    GET/PATCH /subjects/{id}/consents/{cid}            one / narrow its purposes
    POST /subjects/{id}/consents/{cid}/withdraw        withdraw (with what follows)
    GET /subjects/{id}/consents/{cid}/receipts/{name}  a signed receipt (PDF)

The owner acts online; reception staff record a grant at the desk as
witnesses when the person has agreed there (`agreed: true`)."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from repository import roles as R
from repository.consents import (CONSEQUENCES, Consent, grant_consent, narrow_consent, record_consents_read,
                                 withdraw_consent)
from repository.errors import ValidationError
from repository.folder import Folder
from repository.resources import Warehouse

from .helpers import consent_json, csrf_unless_token, json_body, optional_json_body


def _agreed(body):
    agreed = body.get("agreed")
    if agreed is not None and not isinstance(agreed, bool):
        raise ValidationError({"agreed": "Cần true hoặc false / true or false"})
    return agreed


@view_config(route_name="api", context=Folder, containment=Warehouse, request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def list_consents(context, request):
    items = sorted(context.values(), key=lambda c: c.granted, reverse=True)
    record_consents_read(context.__parent__, request.user, items)
    return {"items": [consent_json(c, request) for c in items], "total": len(items)}


@view_config(route_name="api", context=Folder, containment=Warehouse, request_method="POST",
             permission=R.MANAGE_CONSENT, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def create_consent(context, request):
    body = json_body(request)
    _agreed(body)
    consent = grant_consent(request.kho_root, context.__parent__, request.user, body,
                            request.registry.settings)
    request.response.status = 201
    return consent_json(consent, request)


@view_config(route_name="api", context=Consent, request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def get_consent(context, request):
    record_consents_read(context.__parent__.__parent__, request.user, [context])
    return consent_json(context, request)


@view_config(route_name="api", context=Consent, request_method="PATCH",
             permission=R.MANAGE_CONSENT, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def narrow(context, request):
    """Keep fewer purposes; an empty list withdraws the consent."""
    body = json_body(request)
    purposes = body.get("purposes")
    if not isinstance(purposes, list):
        raise ValidationError({"purposes": "Danh sách mục đích giữ lại / the list of purposes to keep"})
    narrow_consent(request.kho_root, context, request.user, purposes, request.registry.settings,
                   agreed=_agreed(body))
    return dict(consent_json(context, request), consequences=None if context.active else CONSEQUENCES)


@view_config(route_name="api", context=Consent, name="withdraw", request_method="POST",
             permission=R.MANAGE_CONSENT, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def withdraw(context, request):
    body = optional_json_body(request)
    withdraw_consent(request.kho_root, context, request.user, request.registry.settings,
                     agreed=_agreed(body))
    return dict(consent_json(context, request), consequences=CONSEQUENCES)


@view_config(route_name="api", context=Consent, name="receipts", request_method="GET",
             permission=R.VIEW_WAREHOUSE)
def receipt(context, request):
    """A signed receipt of the consent ('grant', 'narrow-1', …, 'withdrawal')."""
    if len(request.subpath) != 1 or request.subpath[0] not in context.receipts:
        raise HTTPNotFound()
    name = request.subpath[0]
    record_consents_read(context.__parent__.__parent__, request.user, [context])
    with context.receipts[name].open("r") as f:
        pdf = f.read()
    response = Response(body=pdf, content_type="application/pdf")
    response.content_disposition = f'inline; filename="dong-y-{context.id}-{name}.pdf"'
    response.cache_control = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
