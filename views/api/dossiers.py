"""Dossiers over JSON: reception at any desk, the processor's decision,
attaching papers, offering papers of the warehouse for reuse and the
person's answer online, and the reception receipt (Form 01, signed PDF).

Traversal: /dossiers (Dossiers) → /dossiers/{code} (Dossier) →
/dossiers/{code}/reuse-requests (a Folder inside the dossier) → …/{id}
(ReuseRequest). The dossier's ACL decides who reaches each view; the
repository functions refuse the wrong party within it (Refused → 403)."""
from pyramid.response import Response
from pyramid.view import view_config

from repository import roles as R
from repository.dossiers import Dossier, Dossiers, attach_document, receive_dossier, resolve, \
    transition, visible_dossiers
from repository.errors import ValidationError
from repository.folder import Folder
from repository.receipts import reception_receipt
from repository.reception import ReuseRequest, components_view, decide_reuse, offer_reuse

from .helpers import csrf_unless_token, dossier_json, dossier_summary_json, json_body, \
    reuse_request_json

CONFIRM_PAGE = "/confirm/"      # the page facing the person at the desk (views/pages)


def _text(body, field):
    value = body.get(field, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: "Cần một chuỗi / a string is expected"})
    return value


def _flag(body, field):
    value = body.get(field)
    if not isinstance(value, bool):
        raise ValidationError({field: "Cần true hoặc false / true or false"})
    return value


def render_dossier(dossier, request):
    """The dossier; the receiving desk also sees each component's candidates."""
    candidates = None
    if request.has_permission(R.HANDLE_DOSSIER, dossier):
        candidates = components_view(request.kho_root, dossier, reader=request.user)
    return dossier_json(dossier, request, candidates)


@view_config(route_name="api", context=Dossiers, request_method="GET",
             permission=R.LIST_DOSSIERS, renderer="json")
def list_dossiers(context, request):
    found = visible_dossiers(request.kho_root, request.user)
    return {"items": [dossier_summary_json(d, request) for d in found], "total": len(found)}


@view_config(route_name="api", context=Dossiers, request_method="POST",
             permission=R.RECEIVE_DOSSIER, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def create_dossier(context, request):
    body = json_body(request)
    others = body.get("others") or []
    if not isinstance(others, list) or not all(isinstance(o, str) for o in others):
        raise ValidationError({"others": "Danh sách số định danh / a list of ids"})
    dossier = receive_dossier(request.kho_root, request.user, _text(body, "procedure_code"),
                              _text(body, "applicant_id"), others)
    request.response.status = 201
    # no candidates here: listing them would lengthen the write transaction
    # (and its conflict window); GET the dossier for them
    return dossier_json(dossier, request, None)


@view_config(route_name="api", context=Dossier, request_method="GET",
             permission=R.VIEW_DOSSIER, renderer="json")
def get_dossier(context, request):
    return render_dossier(context, request)


@view_config(route_name="api", context=Dossier, name="transition", request_method="POST",
             permission=R.VIEW_DOSSIER, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def transition_dossier(context, request):
    body = json_body(request)
    transition(request.kho_root, context, request.user, _text(body, "action"), _text(body, "reason"))
    return render_dossier(context, request)


@view_config(route_name="api", context=Dossier, name="resolve", request_method="POST",
             permission=R.RESOLVE_DOSSIER, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def resolve_dossier(context, request):
    body = json_body(request)
    resolve(request.kho_root, context, request.user, _flag(body, "approved"), _text(body, "reason"))
    return render_dossier(context, request)


@view_config(route_name="api", context=Dossier, name="attach", request_method="POST",
             permission=R.HANDLE_DOSSIER, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def attach(context, request):
    body = json_body(request)
    attach_document(request.kho_root, context, request.user, _text(body, "component"), _text(body, "document"))
    return render_dossier(context, request)


@view_config(route_name="api", context=Dossier, name="receipt", request_method="GET",
             permission=R.PRINT_RECEIPT)
def receipt(context, request):
    """Form 01 as a signed PDF: for the receiving desk and the dossier's persons."""
    pdf = reception_receipt(request.kho_root, context, request.registry.settings)
    response = Response(body=pdf, content_type="application/pdf")
    response.content_disposition = f'inline; filename="{context.code}-tiep-nhan.pdf"'
    response.cache_control = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- reuse requests: /dossiers/{code}/reuse-requests --------------------------

@view_config(route_name="api", context=Folder, containment=Dossier, request_method="GET",
             permission=R.VIEW_DOSSIER, renderer="json")
def list_reuse_requests(context, request):
    items = sorted(context.values(), key=lambda r: r.created, reverse=True)
    return {"items": [reuse_request_json(r, request) for r in items], "total": len(items)}


@view_config(route_name="api", context=Folder, containment=Dossier, request_method="POST",
             permission=R.HANDLE_DOSSIER, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def offer(context, request):
    """Offer papers of the warehouse; the person confirms on the page behind
    confirm_url (shown once) or online in their own account."""
    body = json_body(request)
    reuse_request, token = offer_reuse(request.kho_root, context.__parent__, request.user, body.get("items"))
    request.response.status = 201
    from . import API_PREFIX
    return dict(reuse_request_json(reuse_request, request),
                confirm_url=request.application_url + CONFIRM_PAGE + token,
                confirmation=request.application_url + API_PREFIX + "/confirmations/" + token)


@view_config(route_name="api", context=ReuseRequest, request_method="GET",
             permission=R.VIEW_DOSSIER, renderer="json")
def get_reuse_request(context, request):
    return reuse_request_json(context, request)


@view_config(route_name="api", context=ReuseRequest, name="decision", request_method="POST",
             permission=R.CONFIRM_REUSE, renderer="json", require_csrf=False,
             decorator=csrf_unless_token)
def decide_online(context, request):
    """The person's own answer, signed in: accept attaches the papers by reference."""
    body = json_body(request)
    dossier = context.__parent__.__parent__
    decide_reuse(request.kho_root, dossier, context, request.user, _flag(body, "accept"), "online")
    return reuse_request_json(context, request)
