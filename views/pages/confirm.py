"""The confirmation page that faces the citizen at the desk: /confirm/{token}.

No account session: the secret link of one reuse request is the key, and the
page shows that request only (the dossier, each paper and a preview of its
first page), with Agree / Refuse, until it is answered or expires. No inline
script, and a Content-Security-Policy that allows none."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.view import view_config

from repository.errors import Conflict, ValidationError
from repository.previewing import PreviewUnavailable, open_request, preview_document
from repository.reception import PENDING, PersonAtDesk, decide_reuse

from ..previews import PreviewError, render_preview
from . import _, domain_message, translate

CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def guarded(response):
    """The headers of every confirmation response: nothing cached, no referrer
    (the address holds the secret), no script, no framing."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control = "no-store"
    return response


def preview_variant(document):
    """The copy the person will have reused: the signed digitized copy where there is one."""
    for variant in ("signed", "searchable"):
        if variant in document.derivatives:
            return variant
    return "original"


def gone(request, status):
    request.response.status = status
    return {"state": "gone", "status": status}


def page_values(request, token, message=None):
    root = request.kho_root
    try:
        dossier, reuse = open_request(root, token)
    except PreviewUnavailable as exc:
        return gone(request, exc.status)
    state = reuse.effective_state()
    if state == "expired":
        return gone(request, 410)
    if state != PENDING:
        return {"state": state, "status": 200, "message": message, "dossier_code": dossier.code}
    catalogues = root.catalogues
    procedure = catalogues.procedures.get(dossier.procedure_code)
    warehouse = root.subjects[reuse.owner_id]
    papers = []
    for key, doc_id in reuse.items:
        document = warehouse.documents.get(doc_id)
        if document is None:
            continue
        component = procedure.component(key) if procedure is not None else None
        signer = root.accounts.users.get(document.signed_by) if document.signed_by else None
        doctype = catalogues.doctypes.get(document.type_code)
        papers.append({
            "document": document, "component": component.name if component else key,
            "doctype": doctype.name if doctype is not None else document.type_code,
            "signed_by": signer.fullname if signer is not None else (document.signed_by or ""),
            "preview": request.route_url("confirm_preview", token=token, doc_id=doc_id, page="1",
                                         _query={"w": 1200}),
        })
    return {"state": state, "status": 200, "message": message, "dossier": dossier,
            "procedure": procedure, "owner_name": warehouse.name, "papers": papers,
            "desk_name": getattr(catalogues.desks.get(dossier.desk), "name", dossier.desk),
            "expires": reuse.expires, "token": token}


@view_config(route_name="confirm", renderer="confirm.jinja2", request_method="GET")
def confirm_page(request):
    guarded(request.response)
    return page_values(request, request.matchdict["token"])


@view_config(route_name="confirm", renderer="confirm.jinja2", request_method="POST")
def confirm_decide(request):
    """Agree or Refuse, by the person at the desk."""
    guarded(request.response)
    token = request.matchdict["token"]
    answer = request.POST.get("answer", "")
    try:
        dossier, reuse = open_request(request.kho_root, token)
    except PreviewUnavailable as exc:
        return gone(request, exc.status)
    if answer not in ("accept", "refuse"):
        request.response.status = 400
        return page_values(request, token, translate(request, _("Choose Agree or Refuse.")))
    try:
        decide_reuse(request.kho_root, dossier, reuse, PersonAtDesk(reuse.owner_id),
                     answer == "accept", "desk")
    except (Conflict, ValidationError) as exc:
        request.tm.doom()      # the domain may have started to write before it refused
        if reuse.effective_state() == "expired":
            return gone(request, 410)
        values = page_values(request, token, domain_message(
            "; ".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc),
            request.locale_name))
        request.response.status = 409
        return dict(values, status=409)
    return guarded(HTTPSeeOther(request.route_url("confirm", token=token)))


@view_config(route_name="confirm_preview", request_method="GET")
def confirm_preview(request):
    """A page image of a paper of the request, while it is pending; each look is audited."""
    token, doc_id = request.matchdict["token"], request.matchdict["doc_id"]
    try:
        page = int(request.matchdict["page"])
        width = int(request.params.get("w", 1200))
    except ValueError:
        return _not_found(request)
    try:
        document = preview_document(request.kho_root, token, doc_id, page)
        path = render_preview(document, page, width, request.registry.settings["kho.cache_dir"],
                              preview_variant(document))
    except PreviewUnavailable as exc:
        request.tm.doom()
        request.response.status = exc.status
        request.response.content_type = "text/plain"
        request.response.text = domain_message(str(exc), request.locale_name)
        return guarded(request.response)
    except PreviewError:
        request.tm.doom()
        return _not_found(request)
    return guarded(FileResponse(path, request=request, content_type="image/png"))


def _not_found(request):
    request.response.status = 404
    request.response.content_type = "text/plain"
    request.response.text = translate(request, _("Not found."))
    return guarded(request.response)
