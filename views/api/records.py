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
    GET  /api/v1/records/search                  metadata across every warehouse, no content
                                                 (repository.records_search; the filters of the page)
    GET  /api/v1/records/audit                   the trail's kept verification and its entries newest first
                                                 (?actor, owner, action, since, until, before, limit);
                                                 records managers and auditors
    POST /api/v1/records/audit/verify            verify the whole trail now → the status

Keys name targets: "paper:<owner>/<doc id>", "dossier:<code>", "warehouse:<owner>"."""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config

from pyramid_zodbconn import get_connection

from repository import audit_view, records_search, retention, rights
from repository import roles as R
from repository.errors import ValidationError

from ..audit_status import max_age, status_view
from ..records_reads import certificate_response
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
    return certificate_response(request)


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


# --- the metadata search and the audit trail (views/pages/records_console.py) -----------------

def _day(value):
    return value.isoformat() if value else None


@view_config(route_name="api_records_search", permission=R.MANAGE_RECORDS, request_method="GET", **JSON)
def search_api(request):
    from ..searching import search_index
    filters, page, pagelen = records_search.parse_request(request.params)
    result = records_search.search_metadata(request.kho_root, search_index(request), request.user, filters,
                                            page=page, pagelen=pagelen)
    items = [dict(row, issue_date=_day(row["issue_date"]), valid_until=_day(row["valid_until"]))
             for row in result["rows"]]
    return {"total": result["total"], "exact": result["exact"], "page": result["page"],
            "pagelen": result["pagelen"], "pagecount": result["pagecount"], "items": items}


def _status_json(request, force=False):
    if force:
        verification = audit_view.trail_status(get_connection(request), force=True,
                                               by=request.user.username)[0]
        audit_view.log_verification(request.kho_root, request.user, verification)
    status = status_view(request)
    return {"ok": status["ok"], "message": status["text"], "checked": status["checked"].isoformat(),
            "verified": status["verified"], "seconds": round(status["seconds"], 3), "by": status["by"],
            "sealed": status["sealed"], "pending": status["pending"], "max_age": max_age(request)}


def _entry_json(entry):
    return {"seq": entry["seq"], "time": entry.get("time"), "actor": entry.get("actor"),
            "role": entry.get("role"), "unit": entry.get("unit"), "action": entry.get("action"),
            "subject": entry.get("subject"), "document": entry.get("document"), "purpose": entry.get("purpose"),
            "detail": entry.get("detail"), "pending": bool(entry.get("pending"))}


@view_config(route_name="api_records_audit", permission=R.READ_AUDIT, request_method="GET", **JSON)
def audit_api(request):
    filters, limit = audit_view.parse_request(request.params)
    status = _status_json(request)
    if status["ok"] is None:
        return {"status": status, "items": [], "next_before": None, "scanned": 0}
    found = audit_view.trail_entries(get_connection(request), filters, limit=limit)
    audit_view.log_trail_read(request.kho_root, request.user, filters, found["items"])
    return {"status": status, "items": [_entry_json(e) for e in found["items"]],
            "next_before": found["next_before"], "scanned": found["scanned"]}


@view_config(route_name="api_records_audit_verify", permission=R.READ_AUDIT, request_method="POST", **JSON)
def audit_verify_api(request):
    return _status_json(request, force=True)


# --- the OpenAPI description of these routes, kept beside them -----------------------

def _describe():
    from .openapi import SPEC, _errors, _json, _ref
    text, nullable, integer, boolean = ({"type": "string"}, {"type": ["string", "null"]}, {"type": "integer"},
                                        {"type": "boolean"})
    day, nday = {"type": "string", "format": "date"}, {"type": ["string", "null"], "format": "date"}
    when, nwhen = {"type": "string", "format": "date-time"}, {"type": ["string", "null"], "format": "date-time"}
    short = {"type": "string", "maxLength": 1000}
    key = {"type": "string", "maxLength": 200,
           "description": 'a target key: "paper:<owner>/<doc id>", "dossier:<code>" or "warehouse:<owner>"'}
    keys = {"type": "array", "minItems": 1, "maxItems": 500, "items": {"type": "string", "maxLength": 200}}

    def body(properties, required=(), optional=False):
        return {"required": not optional, "content": {"application/json": {"schema": {
            "type": "object", "required": list(required), "properties": properties}}}}

    def listing(schema):
        return _json({"type": "object", "required": ["items", "total"],
                      "properties": {"items": {"type": "array", "items": schema}, "total": integer}})

    hold = {"type": "object", "required": ["id", "target", "reason", "placed_by", "placed", "active"],
            "properties": {"id": text, "target": text, "reason": text, "placed_by": text, "placed": when,
                           "active": boolean, "released": nwhen, "released_by": nullable,
                           "release_reason": nullable}}
    item = {"type": "object", "required": ["key", "kind", "label", "state"],
            "properties": {"key": text, "kind": {"enum": ["paper", "dossier"]}, "label": text,
                           "owner_id": nullable, "schedule": nullable, "schedule_name": nullable,
                           "disposition_date": nday, "retained_until": nday, "queued": nwhen,
                           "state": {"enum": list(retention.ITEM_STATES)}, "deferred_until": nday,
                           "decided_by": nullable, "decided": nwhen, "reason": nullable,
                           "certificate": nullable}}
    disposition = {"type": "object", "required": ["permanent", "status", "due", "held", "holds"],
                   "properties": {"schedule": {"type": ["object", "null"], "properties": {
                       "code": text, "name": text, "years": {"type": ["integer", "null"]}}},
                       "permanent": boolean, "status": {"enum": list(retention.STATUS_LABELS)},
                       "work_ended": nday, "basis": nullable, "retained_until": nday, "disposition_date": nday,
                       "due": boolean, "held": boolean, "holds": {"type": "array", "items": _ref("Hold")},
                       "destroyed": {"type": ["object", "null"]}}}
    report = {"papers": integer, "dossiers": integer, "due": integer, "queued": integer, "requeued": integer,
              "held": integer, "revalidated": integer, "seconds": {"type": "number"}}
    certificate = {"type": "object", "required": ["id", "made", "by", "items"],
                   "properties": {"id": text, "made": when, "by": text, "reason": nullable, "basis": nullable,
                                  "items": {"type": "array", "items": {"type": "object"}},
                                  "links": {"type": "object", "properties": {"pdf": text}}}}
    request = {"type": "object", "required": ["id", "kind", "subject", "target", "asked", "deadline", "status"],
               "properties": {"id": text, "kind": {"enum": list(rights.KINDS)}, "subject": text, "target": text,
                              "detail": {"type": ["object", "null"]}, "asked": when, "asked_by": nullable,
                              "deadline": when, "status": {"enum": list(rights.STATUSES)},
                              "overdue": boolean, "answered": nwhen, "answered_by": nullable,
                              "answer": {"type": ["object", "string", "null"]},
                              "blockers": {"type": "array", "items": {"type": "object"}}}}
    SPEC["components"]["schemas"].update({"Hold": hold, "ReviewItem": item, "Disposition": disposition,
                                          "RightsRequest": request})
    path_param = lambda name, description: {   # noqa: E731
        "name": name, "in": "path", "required": True, "description": description,
        "schema": {"type": "string", "maxLength": 64}}
    records_only = _errors("401", "403")
    SPEC["paths"].update({
        "/records/queue": {"get": {
            "summary": "The review queue, soonest disposition date first (records managers)",
            "parameters": [{"name": "state", "in": "query", "schema": {"enum": list(retention.ITEM_STATES)}}],
            "responses": {"200": listing(_ref("ReviewItem")), "400": _errors("400")["400"], **records_only}}},
        "/records/queue/approve": {"post": {
            "summary": "Approve the destruction of queued items: the content is erased, a stub stays, and a "
                       "disposition certificate signed with the agency's copy profile is returned",
            "requestBody": body({"items": keys, "reason": short}, ["items"]),
            "responses": {"200": _json(certificate), **_errors("400", "401", "403", "409")}}},
        "/records/queue/defer": {"post": {
            "summary": "Defer queued items until a date, with a reason",
            "requestBody": body({"items": keys, "until": day, "reason": short}, ["items", "until", "reason"]),
            "responses": {"200": _json({"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": _ref("ReviewItem")}}}),
                **_errors("400", "401", "403", "409")}}},
        "/records/run": {"post": {
            "summary": "kho retention run: what is due goes to the review queue (dry_run: only report)",
            "requestBody": body({"dry_run": boolean}, optional=True),
            "responses": {"200": _json({"type": "object", "required": ["papers", "due", "queued", "dry_run"],
                                        "properties": dict(report, dry_run=boolean,
                                                           due_keys={"type": "array", "items": text},
                                                           held_keys={"type": "array", "items": text})}),
                          **_errors("400", "401", "403")}}},
        "/records/holds": {
            "get": {"summary": "Legal holds (all=1: released ones too)",
                    "parameters": [{"name": "all", "in": "query", "schema": {"enum": ["0", "1"]}}],
                    "responses": {"200": listing(_ref("Hold")), **records_only}},
            "post": {"summary": "Place a legal hold on a paper, a dossier or a whole warehouse, with a reason",
                     "requestBody": body({"target": key, "reason": {"type": "string", "minLength": 1,
                                                                    "maxLength": 1000}}, ["target", "reason"]),
                     "responses": {"201": _json(_ref("Hold")), **_errors("400", "401", "403", "409")}}},
        "/records/holds/{hold}/release": {
            "parameters": [path_param("hold", "a hold's id")],
            "post": {"summary": "Release a legal hold, with a reason",
                     "requestBody": body({"reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
                                         ["reason"]),
                     "responses": {"200": _json(_ref("Hold")), **_errors("400", "401", "403", "409")}}},
        "/records/events": {"post": {
            "summary": "An event that starts or changes the retention count: superseded, revoked (a paper), "
                       "owner_deceased (a warehouse), dossier_closed",
            "requestBody": body({"target": key, "event": {"enum": list(retention.EVENTS)},
                                 "on": {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]},
                                 "note": short}, ["target", "event"]),
            "responses": {"201": _json({"type": "object", "required": ["target", "event", "on", "by"],
                                        "properties": {"target": text, "event": text, "on": day, "by": text,
                                                       "note": nullable,
                                                       "retention": {"oneOf": [{"type": "null"},
                                                                               _ref("Disposition")]}}}),
                          **_errors("400", "401", "403", "409")}}},
        "/records/certificates/{certificate}": {
            "parameters": [path_param("certificate", "a certificate's number, e.g. BBH-20261201-A1B2C3")],
            "get": {"summary": "A disposition certificate (PDF signed with the agency's copy profile)",
                    "responses": {"200": {"description": "the signed PDF", "content": {"application/pdf": {}}},
                                  **_errors("401", "403", "404")}}},
        "/records/retention": {"get": {
            "summary": "A paper's or dossier's schedule, disposition date and holds",
            "parameters": [{"name": "target", "in": "query", "required": True, "schema": key}],
            "responses": {"200": _json({"allOf": [_ref("Disposition"), {
                "type": "object", "required": ["target"], "properties": {"target": text}}]}),
                **_errors("401", "403", "404")}}},
        "/requests": {
            "get": {"summary": "A citizen's own requests; a records manager's all (open=1: the queue, "
                               "soonest deadline first)",
                    "parameters": [{"name": "open", "in": "query", "schema": {"enum": ["0", "1"]}}],
                    "responses": {"200": listing(_ref("RightsRequest")), **records_only}},
            "post": {"summary": "The citizen asks (answered within 72 hours): delete a paper or the whole "
                               "warehouse, an export, a correction",
                     "requestBody": body({"kind": {"enum": list(rights.KINDS)},
                                          "target": {"type": "string", "minLength": 1, "maxLength": 200,
                                                     "description": '"paper:<owner>/<doc id>" or '
                                                                    '"warehouse:<owner>"'},
                                          "detail": {"type": "object"}}, ["kind", "target"]),
                     "responses": {"201": _json(_ref("RightsRequest")), **_errors("400", "401", "403", "409")}}},
        "/requests/{rights_request}": {
            "parameters": [path_param("rights_request", "a request's number, e.g. YC-261201-0A1B2C3D")],
            "get": {"summary": "One request (its owner or a records manager; a pending deletion lists what "
                               "stops it for the records manager)",
                    "responses": {"200": _json(_ref("RightsRequest")), **_errors("401", "403", "404")}}},
        "/requests/{rights_request}/answer": {
            "parameters": [path_param("rights_request", "a request's number")],
            "post": {"summary": "Grant (a deletion destroys what was asked) or refuse with a reason; a refused "
                                "deletion names the retention rule and its end date",
                     "requestBody": body({"decision": {"enum": list(rights.DECISIONS)}, "reason": short},
                                         ["decision"]),
                     "responses": {"200": _json(_ref("RightsRequest")),
                                   **_errors("400", "401", "403", "404", "409")}}},
    })
    _describe_console(SPEC, _errors, _json, text, nullable, integer, boolean, nday, when)


def _describe_console(SPEC, _errors, _json, text, nullable, integer, boolean, nday, when):
    """The metadata search and the audit trail viewer."""
    def query(name, description, schema=None):
        return {"name": name, "in": "query", "description": description,
                "schema": schema or {"type": "string", "maxLength": 200}}

    vn_day = {"type": "string", "maxLength": 10, "description": "dd/mm/yyyy or YYYY-MM-DD"}
    row = {"type": "object", "required": ["doc_id", "owner_id", "type_code", "state"],
           "properties": {"doc_id": text, "document_id": text, "owner_id": text, "owner_name": text,
                          "paper_name": text, "type_code": text, "number": text, "issuer": text,
                          "issue_date": nday, "valid_until": nday, "state": text,
                          "dossier_codes": {"type": "array", "items": text},
                          "retention": {"enum": [*retention.STATUS_LABELS, None]}}}
    status = {"type": "object", "required": ["ok", "message", "checked", "sealed", "pending"],
              "properties": {"ok": {"type": ["boolean", "null"]}, "message": text, "checked": when,
                             "verified": integer, "seconds": {"type": "number"}, "by": nullable,
                             "sealed": integer, "pending": integer, "max_age": {"type": "number"}}}
    entry = {"type": "object", "required": ["seq", "time", "actor", "action", "pending"],
             "properties": {"seq": integer, "time": text, "actor": text, "role": nullable, "unit": nullable,
                            "action": text, "subject": nullable, "document": nullable, "purpose": nullable,
                            "detail": {}, "pending": boolean}}
    SPEC["paths"].update({
        "/records/search": {"get": {
            "summary": "Metadata search across every warehouse (records managers): no purpose, no content "
                       "(no text, no excerpts, no files); audited under each owner shown. The content stays "
                       "behind /search with a records purpose",
            "parameters": [
                query("owner", "the owner's personal id or enterprise code"),
                query("name", "part of the owner's name (tones and case ignored)",
                      {"type": "string", "maxLength": 100}),
                query("type", "a paper type code"), query("number", "the paper's number (its beginning)"),
                query("issuer", "part of the issuer's name"), query("dossier", "a dossier code"),
                query("issued_from", "issued on or after", vn_day), query("issued_to", "issued on or before", vn_day),
                query("valid_from", "valid until on or after", vn_day),
                query("valid_to", "valid until on or before", vn_day),
                query("state", "validity", {"enum": list(records_search.VALIDITY)}),
                query("retention", "in the review queue (pending, deferred) or under a legal hold",
                      {"enum": list(records_search.RETENTION)}),
                query("page", "from 1", {"type": "integer", "minimum": 1, "maximum": 10000}),
                query("pagelen", "rows a page", {"type": "integer", "minimum": 1,
                                                 "maximum": records_search.MAX_PAGELEN})],
            "responses": {"200": _json({"type": "object",
                                        "required": ["total", "exact", "page", "pagelen", "pagecount", "items"],
                                        "properties": {"total": integer, "exact": boolean, "page": integer,
                                                       "pagelen": integer, "pagecount": integer,
                                                       "items": {"type": "array", "items": row}}}),
                          **_errors("400", "401", "403")}}},
        "/records/audit": {"get": {
            "summary": "The audit trail (records managers, auditors): the kept status of kho audit verify and "
                       "the entries newest first, pending ones marked; reading it is audited",
            "parameters": [query("actor", "an account's username", {"type": "string", "maxLength": 64}),
                           query("owner", "the owner an entry concerns", {"type": "string", "maxLength": 32}),
                           query("action", "e.g. read_content", {"type": "string", "maxLength": 40,
                                                                 "pattern": "^[a-z_]*$"}),
                           query("since", "from this day (Vietnam time)", vn_day),
                           query("until", "to this day, included", vn_day),
                           query("before", "entries before this sequence number (the previous page's "
                                           "next_before)", {"type": "integer", "minimum": 1}),
                           query("limit", "entries a page", {"type": "integer", "minimum": 1,
                                                             "maximum": audit_view.MAX_PAGE})],
            "responses": {"200": _json({"type": "object", "required": ["status", "items", "next_before"],
                                        "properties": {"status": status,
                                                       "items": {"type": "array", "items": entry},
                                                       "next_before": {"type": ["integer", "null"]},
                                                       "scanned": integer}}),
                          **_errors("400", "401", "403")}}},
        "/records/audit/verify": {"post": {
            "summary": "Verify the whole audit trail now (kho audit verify); the status is kept for the pages",
            "responses": {"200": _json(status), **_errors("401", "403")}}},
    })


_describe()
