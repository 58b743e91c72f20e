"""GET /api/v1/subjects/<id>/access-log: the owner's access log as JSON
(repository.access_log.uses_of), newest first, `?offset=&limit=` (at most
200) and `?paper=`; times in ISO 8601. The same readers as the page
(views/pages/access_log.py): the owner, the records manager, the auditor."""
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from repository.access_log import uses_of
from repository.errors import ValidationError
from repository.resources import Warehouse

from ..access_readers import audit_staff_look, check_reader

FIELDS = ("time", "action", "actor", "actor_name", "roles", "unit", "unit_name", "dossier", "purpose",
          "channel", "component", "paper", "papers", "pending")


def _int(request, name, default, low, high):
    try:
        value = int(request.params.get(name, default))
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValidationError({name: f"{name}: số nguyên từ {low} đến {high} / an integer from {low} to {high}"})
    return value


@view_config(route_name="api", context=Warehouse, name="access-log", permission=NO_PERMISSION_REQUIRED,
             request_method="GET", renderer="json")
def access_log_api(context, request):
    check_reader(request, context)
    offset = _int(request, "offset", 0, 0, 10 ** 9)
    limit = _int(request, "limit", 50, 1, 200)
    paper = (request.params.get("paper") or "").strip() or None
    if paper is not None and (len(paper) > 64 or not paper.isascii()):
        raise ValidationError({"paper": "Mã giấy tờ không hợp lệ / not a paper id"})
    entries, total = uses_of(context, context.subject_id, paper=paper, offset=offset, limit=limit)
    audit_staff_look(request, context, "api", paper)
    nxt = offset + limit if offset + limit < total else None
    return {"subject_id": context.subject_id, "total": total, "offset": offset, "limit": limit,
            "next_offset": nxt, "items": [{k: e.get(k) for k in FIELDS} for e in entries]}
