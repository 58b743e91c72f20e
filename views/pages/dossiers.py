"""Dossiers: the list one may see, and a dossier's page: its timeline, its
components with the papers attached and (for the receiving desk) the papers
of the warehouse that could serve, the reuse requests sent for the person's
preview, and the moves of its workflow. The persons of a dossier see the
same page without the staff controls, and answer reuse requests online."""
import io

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.dossiers import (ACTIONS, OPEN, PROCESSING, RECEIVED, SUPPLEMENT, Dossier, Dossiers,
                                 attach_document, resolve, transition, visible_dossiers)
from repository.errors import Conflict, ValidationError
from repository.reception import components_view, decide_reuse, offer_reuse, pending_requests_for
from repository.results import result_of

from ..owners import actor_label
from . import _, domain_message, errors_for, translate

SESSION_TOKENS = "reuse_tokens"    # reuse request id → its confirmation token, for the officer who sent it
KEEP_TOKENS = 10


@view_config(context=Dossiers, permission=R.LIST_DOSSIERS, renderer="dossiers.jinja2")
def dossier_list(context, request):
    root = request.kho_root
    dossiers = visible_dossiers(root, request.user)
    procedures, subjects = root.catalogues.procedures, root.subjects
    return {"dossiers": dossiers,
            "procedure_names": {d.procedure_code: getattr(procedures.get(d.procedure_code), "name", "")
                                for d in dossiers},
            "names": {d.applicant_id: getattr(subjects.get(d.applicant_id), "name", "") for d in dossiers},
            "desks": root.catalogues.desks}


def qr_svg(text):
    """The confirmation link as an SVG QR code (inline, no script)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]


def confirmation_url(request, token):
    """The confirmation page's address as the screen facing the citizen (or
    their phone, from the QR code) reaches it: kho.public_url where set."""
    public = (request.registry.settings.get("kho.public_url") or "").rstrip("/")
    return public + request.route_path("confirm", token=token) if public else \
        request.route_url("confirm", token=token)


def document_of(root, owner_id, doc_id):
    warehouse = root.subjects.get(owner_id)
    return warehouse.documents.get(doc_id) if warehouse is not None else None


def dossier_values(request, dossier, errors=None, form=None):
    """What dossier.jinja2 shows, for whoever may see the dossier."""
    root, user = request.kho_root, request.user
    catalogues = root.catalogues
    can = {name: bool(request.has_permission(permission, dossier)) for name, permission in (
        ("handle", R.HANDLE_DOSSIER), ("resolve", R.RESOLVE_DOSSIER),
        ("withdraw", R.WITHDRAW_DOSSIER), ("confirm", R.CONFIRM_REUSE))}
    status = dossier.status
    moves = {
        "start": can["resolve"] and status in (RECEIVED, SUPPLEMENT),
        "request_supplement": (can["resolve"] or can["handle"]) and status in (RECEIVED, PROCESSING),
        "supplement_received": can["handle"] and status == SUPPLEMENT,
        "resolve": can["resolve"] and status in (RECEIVED, PROCESSING),
        "withdraw": can["withdraw"] and status in OPEN,
    }
    components = components_view(root, dossier, reader=request.user if can["handle"] else None)
    for item in components:
        item["attached_documents"] = [(a, document_of(root, a.owner_id, a.doc_id)) for a in item["attached"]]
        attached = {doc_id for _owner, doc_id in dossier.attached_documents()}
        # a paper attached already is listed above as attached, not again as a candidate
        item["candidates"] = [c for c in item["candidates"] if c["document"].__name__ not in attached]
        item["digitized_here"] = [c["document"] for c in item["candidates"]
                                  if c["document"].dossier_code == dossier.code]
    tokens = request.session.get(SESSION_TOKENS, {}) if can["handle"] else {}
    requests = sorted(dossier.reuse_requests.values(), key=lambda r: r.created, reverse=True)
    handoffs = {}
    for reuse in requests:
        token = tokens.get(reuse.id)
        if token and reuse.effective_state() == "pending":
            url = confirmation_url(request, token)
            handoffs[reuse.id] = {"url": url, "qr": qr_svg(url)}
    mine = pending_requests_for(root, dossier, user.subject_id) if user.subject_id and can["confirm"] else []
    persons = [(p, getattr(root.subjects.get(p), "name", p)) for p in dossier.persons]
    procedure = catalogues.procedures.get(dossier.procedure_code)
    return {
        "dossier": dossier, "procedure": procedure, "can": can, "moves": moves,
        "offerable": any(not c["reasons"] for item in components for c in item["candidates"]),
        "desk_name": getattr(catalogues.desks.get(dossier.desk), "name", dossier.desk),
        "agency_name": getattr(catalogues.desks.get(dossier.agency), "name", dossier.agency),
        "persons": persons, "person_names": dict(persons), "components": components,
        "timeline": [dict(event, who=actor_label(root, event["actor"])) for event in dossier.timeline],
        "requests": requests, "handoffs": handoffs, "mine": mine,
        "documents": {(r.id, d): document_of(root, r.owner_id, d) for r in requests for _k, d in r.items},
        "doctypes": catalogues.doctypes,
        "receipt_url": request.application_url + f"/api/v1/dossiers/{dossier.code}/receipt",
        "result": result_of(root, dossier),        # views/templates/dossier_result.jinja2
        "errors": errors or {}, "form": form or {},
    }


@view_config(context=Dossier, permission=R.VIEW_DOSSIER, renderer="dossier.jinja2", request_method="GET")
def dossier_page(context, request):
    return dossier_values(request, context)


def failed(request, dossier, exc, form=None):
    """A refusal of the domain, shown on the dossier page; nothing is written."""
    request.tm.doom()
    if isinstance(exc, Conflict):
        request.session.flash(domain_message(str(exc), request.locale_name), "error")
        return HTTPFound(request.resource_url(dossier))
    request.response.status = 400
    errors = errors_for(request, exc.errors)
    request.session.flash(translate(request, _("Nothing was changed: correct the form below.")), "error")
    return dossier_values(request, dossier, errors, form)


def done(request, dossier, message, anchor=None):
    request.session.flash(message)
    return HTTPFound(request.resource_url(dossier, anchor=anchor) if anchor else request.resource_url(dossier))


@view_config(context=Dossier, name="offer", permission=R.HANDLE_DOSSIER, renderer="dossier.jinja2",
             request_method="POST")
def offer(context, request):
    """'Gửi công dân xem trước': the chosen papers become a reuse request; its
    confirmation link (shown once) is kept in the officer's session."""
    selections = []
    for value in request.POST.getall("item"):
        component, _sep, document = value.partition(":")
        selections.append({"component": component, "document": document})
    try:
        reuse, token = offer_reuse(request.kho_root, context, request.user, selections)
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc, {"items": request.POST.getall("item")})
    tokens = dict(request.session.get(SESSION_TOKENS, {}))
    tokens[reuse.id] = token
    request.session[SESSION_TOKENS] = dict(list(tokens.items())[-KEEP_TOKENS:])
    return done(request, context, translate(request, _(
        "Sent for preview: the person confirms on the screen facing them.")), anchor=f"request-{reuse.id}")


@view_config(context=Dossier, name="attach", permission=R.HANDLE_DOSSIER, renderer="dossier.jinja2",
             request_method="POST")
def attach(context, request):
    """'Đính kèm': a paper digitized for this dossier goes into a component."""
    component, doc_id = request.POST.get("component", ""), request.POST.get("document", "")
    if "attach" in request.POST:      # the button beside the paper, in the dossier's components form
        component, _sep, doc_id = request.POST["attach"].partition(":")
    try:
        document = attach_document(request.kho_root, context, request.user, component, doc_id)
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc)
    return done(request, context, translate(request, _("Attached ${name}.", mapping={"name": document.name})))


@view_config(context=Dossier, name="transition", permission=R.VIEW_DOSSIER, renderer="dossier.jinja2",
             request_method="POST")
def move(context, request):
    """Start processing, request a supplement (with what is missing), or take
    the supplement in; the domain says who may."""
    action = request.POST.get("action", "")
    if action not in ("start", "request_supplement", "supplement_received"):
        return failed(request, context, ValidationError({"action": translate(request, _("Unknown action."))}))
    try:
        transition(request.kho_root, context, request.user, action, request.POST.get("reason", ""))
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc, {"action": action, "reason": request.POST.get("reason", "")})
    return done(request, context, translate(request, _("Done: ${action}.", mapping={
        "action": request.localizer.translate(_(ACTIONS[action]))})))


@view_config(context=Dossier, name="withdraw", permission=R.WITHDRAW_DOSSIER, renderer="dossier.jinja2",
             request_method="POST")
def withdraw(context, request):
    try:
        transition(request.kho_root, context, request.user, "withdraw", request.POST.get("reason", ""))
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc)
    return done(request, context, translate(request, _("The dossier was withdrawn.")))


@view_config(context=Dossier, name="resolve", permission=R.RESOLVE_DOSSIER, renderer="dossier.jinja2",
             request_method="POST")
def resolve_view(context, request):
    """The processor's decision: approve, or reject with a reason."""
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    if decision not in ("approve", "reject"):
        return failed(request, context, ValidationError({"decision": translate(request, _(
            "Choose approve or reject."))}), {"reason": reason})
    try:
        resolve(request.kho_root, context, request.user, decision == "approve", reason)
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc, {"decision": decision, "reason": reason})
    return done(request, context, translate(request, _("The dossier is resolved.")))


@view_config(context=Dossier, name="decide", permission=R.CONFIRM_REUSE, renderer="dossier.jinja2",
             request_method="POST")
def decide(context, request):
    """A person of the dossier answers a reuse request online."""
    answer = request.POST.get("answer", "")
    reuse = context.reuse_requests.get(request.POST.get("request", ""))
    if reuse is None or answer not in ("accept", "refuse"):
        return failed(request, context, ValidationError({"decide": translate(request, _(
            "No such request, or no answer chosen."))}))
    try:
        decide_reuse(request.kho_root, context, reuse, request.user, answer == "accept", "online")
    except (ValidationError, Conflict) as exc:
        return failed(request, context, exc)
    if answer == "accept":
        return done(request, context, translate(request, _("Thank you: the papers are attached to the dossier.")))
    return done(request, context, translate(request, _("Your refusal is recorded; nothing was attached.")))
