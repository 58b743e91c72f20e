"""Retention, disposition and the person's requests over JSON.

    GET  /api/v1/records/queue                   the review queue (?state=pending|deferred|destroyed)
    POST /api/v1/records/queue/approve           {"items": [key…], "reason"} → the certificate
    POST /api/v1/records/queue/defer             {"items": [key…], "until": "YYYY-MM-DD", "reason"}
    POST /api/v1/records/run                     {"dry_run": bool} → the run's report
    GET  /api/v1/records/holds                   legal holds (?all=1: released ones too)
    POST /api/v1/records/holds                   {"target", "reason"} → 201 the hold
    POST /api/v1/records/holds/{id}/release      {"reason"}
    POST /api/v1/records/events                  {"target", "event", "on": "YYYY-MM-DD", "note"}: superseded,
                                                 revoked (a paper), owner_deceased (a warehouse), dossier_closed
    GET  /api/v1/records/certificates/{id}       the signed certificate (PDF)
    GET  /api/v1/records/retention?target=KEY    a paper's or dossier's schedule and disposition date
    GET  /api/v1/requests                        a citizen's own requests; a records manager's all
                                                 (?open=1: the queue, soonest deadline first)
    POST /api/v1/requests                        the citizen asks {"kind": "delete", "target":
                                                 "paper:<id>/<doc>" | "warehouse:<id>"} → 201
    GET  /api/v1/requests/{id}                   the owner or a records manager
    POST /api/v1/requests/{id}/answer            {"decision": "grant"|"refuse", "reason"} (records)

Keys name targets: "paper:<owner>/<doc id>", "dossier:<code>", "warehouse:<owner>"."""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from repository import retention, rights
from repository import roles as R
from repository.errors import ValidationError

from ..records_reads import note_seen as _seen
from .helpers import csrf_unless_token, json_body

JSON = dict(renderer="json", require_csrf=False, decorator=csrf_unless_token)


def _keys(body):
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(k, str) for k in items):
        raise ValidationError({"items": "Cần một danh sách mã mục / a list of item keys"})
    return items


def _text(body, key):
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({key: "Cần một chuỗi / a string is expected"})
    return value


@view_config(route_name="api_records_queue", permission=R.MANAGE_RECORDS, request_method="GET", **JSON)
def queue_api(request):
    state = request.params.get("state") or None
    if state not in (None, *retention.ITEM_STATES):
        raise ValidationError({"state": "Là pending, deferred hoặc destroyed / unknown state"})
    items = retention.queue_items(request.kho_root, state)
    _seen(request.kho_root, request.user, [i.owner_id for i in items], "review_queue")
    return {"items": [i.as_dict() for i in items], "total": len(items)}


@view_config(route_name="api_records_approve", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def approve_api(request):
    body = json_body(request)
    certificate = retention.approve(request.kho_root, _keys(body), request.user, request.registry.settings,
                                    reason=_text(body, "reason"))
    return dict(certificate.as_dict(), links={"pdf": request.route_url("api_records_certificate",
                                                                       certificate=certificate.id)})


@view_config(route_name="api_records_defer", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def defer_api(request):
    body = json_body(request)
    items = retention.defer(request.kho_root, _keys(body), request.user, until=_text(body, "until"),
                            reason=_text(body, "reason"))
    return {"items": [i.as_dict() for i in items]}


@view_config(route_name="api_records_run", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def run_api(request):
    body = json_body(request) if request.body else {}
    dry = body.get("dry_run", False)
    if not isinstance(dry, bool):
        raise ValidationError({"dry_run": "Là true hoặc false"})
    report = retention.run(request.kho_root, request.user, dry_run=dry)
    return dict(report.as_dict(), dry_run=dry, due_keys=report.due[:1000], held_keys=report.held[:1000])


@view_config(route_name="api_records_holds", permission=R.MANAGE_RECORDS, request_method="GET", **JSON)
def holds_api(request):
    found = retention.holds(request.kho_root, active_only=request.params.get("all") != "1")
    return {"items": [h.as_dict() for h in found], "total": len(found)}


@view_config(route_name="api_records_holds", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def place_hold_api(request):
    body = json_body(request)
    hold = retention.place_hold(request.kho_root, _text(body, "target"), request.user, _text(body, "reason"))
    request.response.status = 201
    return hold.as_dict()


@view_config(route_name="api_records_release", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def release_hold_api(request):
    body = json_body(request)
    return retention.release_hold(request.kho_root, request.matchdict["hold"], request.user,
                                  _text(body, "reason")).as_dict()


@view_config(route_name="api_records_events", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def record_event_api(request):
    body = json_body(request)
    key = _text(body, "target")
    target = retention.resolve(request.kho_root, key)
    if target is None:
        raise ValidationError({"target": "Không có giấy tờ, hồ sơ hoặc kho này / no such paper, dossier or warehouse"})
    entry = retention.record_event(request.kho_root, target, _text(body, "event"), request.user,
                                   on=_text(body, "on") or None, note=_text(body, "note"))
    request.response.status = 201
    return {"target": key, "event": entry["event"], "on": entry["on"].isoformat(), "by": entry["by"],
            "note": entry["note"],
            "retention": retention.disposition_of(request.kho_root, target).as_dict()
            if not key.startswith("warehouse:") else None}


@view_config(route_name="api_records_certificate", permission=R.MANAGE_RECORDS, request_method="GET")
def certificate_api(request):
    certificate = retention.state_of(request.kho_root).certificates.get(request.matchdict["certificate"])
    if certificate is None:
        raise HTTPNotFound()
    response = Response(body=certificate.pdf_bytes(), content_type="application/pdf")
    response.content_disposition = f'attachment; filename="{certificate.id}.pdf"'
    return response


@view_config(route_name="api_records_retention", permission=R.MANAGE_RECORDS, request_method="GET", **JSON)
def retention_api(request):
    key = request.params.get("target", "")
    target = retention.resolve(request.kho_root, key)
    if target is None or key.startswith("warehouse:"):
        raise HTTPNotFound()
    data = retention.disposition_of(request.kho_root, target).as_dict()
    _seen(request.kho_root, request.user, [key.partition(":")[2].split("/", 1)[0]
                                           if not key.startswith("dossier:") else target.applicant_id], "retention")
    return dict(data, target=key)


# --- the person's requests ---------------------------------------------------------------

def _records(user):
    return user is not None and R.RECORDS in user.roles


@view_config(route_name="api_requests", permission=R.VIEW_CATALOGUES, request_method="GET", **JSON)
def requests_api(request):
    user, root = request.user, request.kho_root
    if _records(user):
        found = rights.open_requests(root) if request.params.get("open") == "1" else rights.all_requests(root)
        _seen(root, user, [r.subject for r in found], "rights_requests")
    elif user.subject_id and R.CITIZEN in user.roles:
        found = rights.requests_of(root, user.subject_id)
    else:
        raise HTTPForbidden()
    return {"items": [r.as_dict() for r in found], "total": len(found)}


@view_config(route_name="api_requests", permission=R.ASK_RIGHTS, request_method="POST", **JSON)
def file_request_api(request):
    body = json_body(request)
    detail = body.get("detail") or {}
    if not isinstance(detail, dict):
        raise ValidationError({"detail": "Cần một đối tượng / an object is expected"})
    item = rights.file_request(request.kho_root, request.user, _text(body, "kind"), _text(body, "target"), detail)
    request.response.status = 201
    return item.as_dict()


def _request_for(request):
    item = rights.get(request.kho_root, request.matchdict["request"])
    user = request.user
    if not (_records(user) or (user.subject_id and R.CITIZEN in user.roles)):
        raise HTTPForbidden()
    if item is None or not (_records(user) or (user.subject_id and user.subject_id == item.subject)):
        raise HTTPNotFound()
    return item


@view_config(route_name="api_request", permission=R.VIEW_CATALOGUES, request_method="GET", **JSON)
def request_api(request):
    item = _request_for(request)
    if _records(request.user):
        _seen(request.kho_root, request.user, [item.subject], "rights_request")
    data = item.as_dict()
    if item.kind == "delete" and item.status == rights.PENDING and _records(request.user):
        data["blockers"] = rights.deletion_blockers(request.kho_root, item.target)
    return data


@view_config(route_name="api_request_answer", permission=R.MANAGE_RECORDS, request_method="POST", **JSON)
def answer_api(request):
    item = _request_for(request)
    body = json_body(request)
    rights.answer(request.kho_root, item, request.user, _text(body, "decision"), reason=_text(body, "reason"),
                  settings=request.registry.settings)
    return item.as_dict()
