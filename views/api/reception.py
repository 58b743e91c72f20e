"""Reception over JSON: identifying the person at the desk, and the public
confirmation that faces the person (no account: the secret link is the key).

    POST /api/v1/identify            {text}: a typed id or the chip ID card's QR text
                                     (posted, never in a URL, where it would be logged)
    GET  /api/v1/confirmations/{token}   the papers offered, as metadata, and the state
    POST /api/v1/confirmations/{token}   {accept}: the person's answer at the desk

The confirmations are a named view on the root with the token as subpath:
nothing under the root is traversed, so the token reaches no resource."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from repository import roles as R
from repository.errors import Conflict
from repository.previewing import PreviewUnavailable, open_request
from repository.reception import PersonAtDesk, decide_reuse, identify
from repository.resources import Root

from .dossiers import _flag, _text
from .helpers import csrf_unless_token, iso, json_body, paper_json, reuse_request_json, warehouse_json


@view_config(route_name="api", context=Root, name="identify", request_method="POST",
             permission=R.DESK, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def identify_person(request):
    body = json_body(request)
    found = identify(request.kho_root, _text(body, "text"))
    card = found["card"]
    return {
        "subject_id": found["subject_id"],
        "kind": found["kind"],
        "card": dict(card, birth_date=iso(card["birth_date"]), issued=iso(card["issued"])) if card else None,
        "warehouse": warehouse_json(found["warehouse"], request) if found["warehouse"] is not None else None,
        "mismatches": found["mismatches"],
    }


def _confirmation(request):
    """(dossier, reuse request) behind the token of the URL; 404 when unknown,
    409 when the link has expired (a decided request stays visible until then)."""
    if len(request.subpath) != 1:
        raise HTTPNotFound()
    try:
        dossier, reuse_request = open_request(request.kho_root, request.subpath[0])
    except PreviewUnavailable:
        raise HTTPNotFound() from None
    if reuse_request.effective_state() == "expired":
        raise Conflict("Đường dẫn xác nhận đã hết hạn; hãy đề nghị cán bộ gửi lại / "
                       "the link has expired")
    return dossier, reuse_request


def confirmation_json(dossier, reuse_request, request):
    root = request.kho_root
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    warehouse = root.subjects[reuse_request.owner_id]
    desk = root.catalogues.desks.get(dossier.desk)
    papers = []
    for key, doc_id in reuse_request.items:
        component = procedure.component(key) if procedure is not None else None
        document = warehouse.documents.get(doc_id)
        paper = paper_json(document, request) if document is not None else {"id": doc_id}
        paper.pop("links", None)        # the person at the desk has no session to follow them
        papers.append({"component": key, "component_name": component.name if component else key,
                       "document": paper})
    data = reuse_request_json(reuse_request, request)
    data.pop("links")
    return dict(data, owner_name=warehouse.name,
                procedure={"code": dossier.procedure_code, "name": procedure.name if procedure else None},
                desk={"code": dossier.desk, "name": desk.name if desk is not None else None},
                papers=papers)


@view_config(route_name="api", context=Root, name="confirmations", request_method="GET", renderer="json")
def get_confirmation(request):
    dossier, reuse_request = _confirmation(request)
    return confirmation_json(dossier, reuse_request, request)


@view_config(route_name="api", context=Root, name="confirmations", request_method="POST",
             renderer="json", require_csrf=False)
def post_confirmation(request):
    """The person's answer on the page facing them at the desk."""
    dossier, reuse_request = _confirmation(request)
    accept = _flag(json_body(request), "accept")
    decide_reuse(request.kho_root, dossier, reuse_request, PersonAtDesk(reuse_request.owner_id), accept, "desk")
    return confirmation_json(dossier, reuse_request, request)
