"""The desk: identify a person by a typed personal id, or by the chip ID card's
QR text (posted, never put in an address, where it would end up in logs);
open or create their warehouse; receive a new dossier for them."""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.calendar import form_dates
from repository.dossiers import open_dossiers_for, receive_dossier
from repository.errors import ValidationError
from repository.operations import create_warehouse
from repository.reception import identify
from repository.resources import Root

from . import _, errors_for, translate


def desk_values(request, query="", error=None, found=None, create=None, errors=None, receive=None):
    """What desk.jinja2 shows: the identify form, and after it the person found
    (with the reception form) or the form for a new warehouse."""
    catalogues = request.kho_root.catalogues
    values = {"query": query, "error": error, "found": found, "create": create,
              "errors": errors or {}, "receive": receive or {},
              "procedures": sorted(catalogues.procedures.values(), key=lambda p: p.code),
              "can_receive": bool(request.has_permission(R.RECEIVE_DOSSIER, request.kho_root)),
              "dossiers": [], "mismatches": []}
    if found is not None:
        values["mismatches"] = found["mismatches"]
        if found["warehouse"] is not None:
            values["dossiers"] = open_dossiers_for(request.kho_root, found["subject_id"], request.user)
    return values


def identified(request, text, query=""):
    """The desk page after identifying text (a bare id or the QR text)."""
    try:
        found = identify(request.kho_root, text)
    except ValidationError as exc:
        request.response.status = 400
        messages = errors_for(request, exc.errors)
        return desk_values(request, query=query, error=messages.get("id") or messages.get("qr"))
    create = None
    if found["warehouse"] is None:
        card = found["card"] or {}
        create = {"subject_id": found["subject_id"], "name": card.get("name", ""),
                  "birth_date": card["birth_date"].isoformat() if card.get("birth_date") else "",
                  "sex": card.get("sex", "")}
    return desk_values(request, query=query, found=found, create=create)


@view_config(context=Root, name="desk", permission=R.DESK, renderer="desk.jinja2",
             request_method="GET")
def desk(request):
    """The desk; ?id= opens a person by a bare personal id (the QR text is refused here)."""
    raw = request.params.get("id")
    if raw is None:
        return desk_values(request)
    if "|" in raw:
        request.response.status = 400
        return desk_values(request, error=translate(request, _(
            "The ID card's QR text is never sent in an address: scan it into the form, which posts it.")))
    return identified(request, raw, query=raw.strip())


@view_config(route_name="desk_identify", permission=R.DESK, renderer="desk.jinja2",
             request_method="POST")
def desk_identify(request):
    """The identify form: a typed id or the ID card's QR text, posted."""
    text = request.POST.get("id", "")
    # the QR text is not written back into the page's form: only the id it names
    query = text.strip() if "|" not in text else text.split("|", 1)[0].strip()
    return identified(request, text, query=query)


@view_config(context=Root, name="desk", permission=R.CREATE_SUBJECT, renderer="desk.jinja2",
             request_method="POST")
def desk_create(request):
    form = {k: request.POST.get(k, "").strip() for k in ("subject_id", "name", "birth_date", "sex")}
    dated, bad_dates = form_dates(form, ("birth_date",))      # dd/mm/yyyy as typed, or YYYY-MM-DD
    try:
        warehouse = create_warehouse(request.kho_root, form["subject_id"], form["name"], request.user,
                                     birth_date=dated["birth_date"] or None, sex=form["sex"] or None)
    except ValidationError as exc:
        request.tm.doom()
        request.response.status = 400
        return desk_values(request, query=form["subject_id"], create=form,
                           errors=errors_for(request, {**exc.errors, **bad_dates}))
    request.session.flash(translate(request, _("Created the warehouse of ${name}.", mapping={"name": warehouse.name})))
    return HTTPFound(request.application_url + "/desk?id=" + warehouse.subject_id)


@view_config(route_name="desk_receive", permission=R.RECEIVE_DOSSIER, renderer="desk.jinja2",
             request_method="POST")
def desk_receive(request):
    """Open a dossier at the officer's desk for the person identified."""
    form = {k: request.POST.get(k, "").strip() for k in ("procedure_code", "applicant_id", "other_id")}
    others = [form["other_id"]] if form["other_id"] else []
    try:
        dossier = receive_dossier(request.kho_root, request.user, form["procedure_code"],
                                  form["applicant_id"], others, channel="desk")
    except ValidationError as exc:
        request.tm.doom()
        errors = errors_for(request, exc.errors)
        if "others.0" in errors:
            errors["others"] = errors.pop("others.0")
        page = identified(request, form["applicant_id"], query=form["applicant_id"])
        page.update(errors=errors, receive=form)
        request.response.status = 400
        return page
    request.session.flash(translate(request, _("Received dossier ${code}.", mapping={"code": dossier.code})))
    return HTTPFound(request.resource_url(dossier))
