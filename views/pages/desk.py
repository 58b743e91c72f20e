"""The desk: open a warehouse by personal id (typed, or read from the ID card's QR)."""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.errors import ValidationError
from repository.identifiers import InvalidIdentifier, validate_subject_id
from repository.operations import create_warehouse
from repository.resources import Root


def id_from_input(text):
    """The chip ID card's QR reads 'id|old id|name|birth|sex|address|issued':
    accept that as well as a bare id."""
    text = (text or "").strip()
    return text.split("|", 1)[0].strip() if "|" in text else text


@view_config(context=Root, name="desk", permission=R.DESK, renderer="desk.jinja2",
             request_method="GET")
def desk(request):
    raw = request.params.get("id")
    result = {"query": raw or "", "error": None, "create": None, "errors": {}}
    if raw is None:
        return result
    subject_id = id_from_input(raw)
    try:
        _, subject_id = validate_subject_id(subject_id)
    except InvalidIdentifier as exc:
        result["error"] = str(exc)
        request.response.status = 400
        return result
    warehouse = request.kho_root.subjects.get(subject_id)
    if warehouse is not None:
        return HTTPFound(request.resource_url(warehouse))
    result["create"] = {"subject_id": subject_id, "name": "", "birth_date": "", "sex": ""}
    return result


@view_config(context=Root, name="desk", permission=R.CREATE_SUBJECT, renderer="desk.jinja2",
             request_method="POST")
def desk_create(request):
    form = {k: request.POST.get(k, "").strip() for k in ("subject_id", "name", "birth_date", "sex")}
    try:
        warehouse = create_warehouse(request.kho_root, form["subject_id"], form["name"], request.user,
                                     birth_date=form["birth_date"] or None, sex=form["sex"] or None)
    except ValidationError as exc:
        request.response.status = 400
        return {"query": form["subject_id"], "error": None, "create": form, "errors": exc.errors}
    return HTTPFound(request.resource_url(warehouse))
