"""The records manager's console and the person's deletion requests, on pages.

    GET  /records                         the console: due list, holds, review queue, requests with
                                          their deadlines, transfers, the last runs, the audit trail's status
    POST /records/run                     run the retention scan now (dry_run=1: report only)
    GET  /records/review                  the review queue (pending, deferred, destroyed)
    POST /records/review                  approve or defer the checked items (action=approve|defer)
    GET  /records/holds                   legal holds; POST places one
    POST /records/holds/{id}/release      releases one, with a reason
    GET  /records/requests                the person's requests with their deadlines
    POST /records/requests/{id}           answer one (decision=grant|refuse, reason)
    GET  /records/certificates/{id}       a disposition certificate (signed PDF)
    GET  /subjects/<id>/deletion          the owner: ask to delete a paper or the whole warehouse
    POST /subjects/<id>/deletion
    GET  /records/search                  metadata search across every warehouse   } views/pages/
    GET  /records/audit                   the audit trail and its verification      } records_console.py
    POST /records/audit/verify            verify the whole trail now               }

The console shows the audit trail's verification kept with its time
(repository.audit_view), never a fresh pass over the whole chain per view.

Every paper's and dossier's page shows its schedule and disposition date
(the template global retention_of, set here)."""
import datetime

from pyramid.events import BeforeRender, subscriber
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config

from repository import retention, rights
from repository import roles as R
from repository.calendar import form_dates
from repository.errors import Conflict, ValidationError
from repository.resources import Warehouse

from ..records_reads import certificate_response
from ..records_reads import note_seen as _seen
from . import _, domain_message, errors_for, translate
from .mine import owner_only

PREFIX = "/records"


def includeme(config):
    for name, pattern in (("records", ""), ("records_run", "/run"), ("records_review", "/review"),
                          ("records_holds", "/holds"), ("records_release", "/holds/{hold}/release"),
                          ("records_requests", "/requests"), ("records_answer", "/requests/{request}"),
                          ("records_certificate", "/certificates/{certificate}")):
        config.add_route(name, PREFIX + pattern)
    config.add_route("records_events", PREFIX + "/events")
    # views/pages/records_console.py and views/api/records.py: the metadata search, the audit trail
    from ..audit_status import AuditTrail
    config.add_route("records_search", PREFIX + "/search")
    config.add_route("records_audit", PREFIX + "/audit", factory=AuditTrail)
    config.add_route("records_audit_verify", PREFIX + "/audit/verify", factory=AuditTrail)
    config.add_route("api_records_search", "/api/v1/records/search")
    config.add_route("api_records_audit", "/api/v1/records/audit", factory=AuditTrail)
    config.add_route("api_records_audit_verify", "/api/v1/records/audit/verify", factory=AuditTrail)
    config.add_route("api_records_events", "/api/v1/records/events")
    config.add_route("api_records_queue", "/api/v1/records/queue")
    config.add_route("api_records_approve", "/api/v1/records/queue/approve")
    config.add_route("api_records_defer", "/api/v1/records/queue/defer")
    config.add_route("api_records_run", "/api/v1/records/run")
    config.add_route("api_records_holds", "/api/v1/records/holds")
    config.add_route("api_records_release", "/api/v1/records/holds/{hold}/release")
    config.add_route("api_records_certificate", "/api/v1/records/certificates/{certificate}")
    config.add_route("api_records_retention", "/api/v1/records/retention")
    config.add_route("api_requests", "/api/v1/requests")
    config.add_route("api_request", "/api/v1/requests/{request}")
    config.add_route("api_request_answer", "/api/v1/requests/{request}/answer")


# --- shared -------------------------------------------------------------------------

def retention_view(root, obj, locale="vi"):
    """What a page shows of an object's retention (dict), or None."""
    try:
        d = retention.disposition_of(root, obj)
    except Exception:          # a page never fails for want of a schedule
        return None
    data = d.as_dict()
    data["status_label"] = retention.STATUS_LABELS[d.status]
    data["basis_label"] = retention.EVENTS[d.basis][1] if d.basis in retention.EVENTS else (d.basis or "")
    data["retained_until_date"], data["date_obj"] = d.retained_until, d.date
    return data


@subscriber(BeforeRender)
def retention_global(event):
    request = event.get("request")
    if request is None:
        return
    event.setdefault("retention_of", lambda obj: retention_view(request.kho_root, obj, request.locale_name))


def console_counts(root):
    now = datetime.datetime.now(datetime.timezone.utc)
    queue = retention.queue_items(root)
    open_requests = rights.open_requests(root)
    return {
        "pending": [i for i in queue if i.state == retention.PENDING],
        "deferred": [i for i in queue if i.state == retention.DEFERRED],
        "destroyed": [i for i in queue if i.state == retention.DESTROYED],
        "holds": retention.holds(root),
        "requests": open_requests,
        "overdue": [r for r in open_requests if r.overdue(now)],
        "corrections": _corrections(root),
        "transfers": _transfers(root),
        "runs": list(reversed(list(retention.state_of(root).runs)))[:10],
        "certificates": sorted(retention.state_of(root).certificates.values(), key=lambda c: c.made,
                               reverse=True)[:20],
    }


def _corrections(root):
    """The open correction requests (repository.corrections), when that feature is there."""
    try:
        from repository import corrections
    except ImportError:
        return []
    return [{"document": d, "request": r} for d, r in corrections.open_requests(root)]


def _transfers(root):
    try:
        from repository import archive
    except ImportError:
        return []
    return archive.transfers(root)[:20]


def audit_status(request):
    """(ok, text, status) of the audit trail's verification for the console:
    the verification kept with its time (views.pages.records_console), not
    recomputed on every view."""
    from ..audit_status import status_view
    status = status_view(request)
    return status["ok"], status["text"], status


def _fail(request, exc, bad_dates=None):
    """Each refusal flashed; bad_dates (calendar.form_dates) name the form's way of a date."""
    if isinstance(exc, ValidationError):
        for message in errors_for(request, {**exc.errors, **(bad_dates or {})}).values():
            request.session.flash(message, "error")
    else:
        request.session.flash(domain_message(str(exc), request.locale_name), "error")


# --- the console ----------------------------------------------------------------------

@view_config(route_name="records", permission=R.MANAGE_RECORDS, renderer="records.jinja2", request_method="GET")
def console(request):
    root = request.kho_root
    counts = console_counts(root)
    ok, text, status = audit_status(request)
    _seen(root, request.user, [i.owner_id for i in counts["pending"]] + [r.subject for r in counts["requests"]],
          "records_console")
    return dict(counts, audit_ok=ok, audit_text=text, audit=status, ITEM_STATES=retention.ITEM_STATES,
                REQUEST_STATUSES=rights.STATUSES, now=datetime.datetime.now(datetime.timezone.utc))


@view_config(route_name="records_run", permission=R.MANAGE_RECORDS, request_method="POST")
def run_now(request):
    dry = request.POST.get("dry_run") == "1"
    report = retention.run(request.kho_root, request.user, dry_run=dry)    # a dry run writes nothing
    message = _("Retention run: ${papers} papers and ${dossiers} dossiers scanned; ${due} due, ${queued} newly "
                "queued, ${held} held, ${revalidated} re-indexed for validity.",
                mapping=dict(report.as_dict(), queued=len(report.queued)))
    request.session.flash(request.localizer.translate(message))
    return HTTPFound(request.route_url("records"))


# --- the review queue -------------------------------------------------------------------

@view_config(route_name="records_review", permission=R.MANAGE_RECORDS, renderer="records_review.jinja2",
             request_method="GET")
def review_page(request):
    root = request.kho_root
    state = request.params.get("state") or None
    if state not in (None, *retention.ITEM_STATES):
        raise ValidationError({"state": "Trạng thái không hợp lệ / unknown state"})
    items = retention.queue_items(root, state)
    rows = []
    for item in items:
        target = retention.resolve(root, item.key)
        rows.append({"item": item, "held": bool(target is not None and retention.holds_on(root, target))})
    _seen(root, request.user, [i.owner_id for i in items], "review_queue")
    return {"rows": rows, "state": state, "ITEM_STATES": retention.ITEM_STATES}


@view_config(route_name="records_review", permission=R.MANAGE_RECORDS, request_method="POST")
def review_post(request):
    root, user = request.kho_root, request.user
    keys = request.POST.getall("items")
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    bad_dates = {}
    try:
        if action == "approve":
            certificate = retention.approve(root, keys, user, request.registry.settings, reason=reason)
            request.session.flash(translate(request, _(
                "${count} item(s) destroyed. Disposition certificate ${id}.",
                mapping={"count": len(certificate.items), "id": certificate.id})))
        elif action == "defer":
            dated, bad_dates = form_dates({"until": request.POST.get("until", "")}, ("until",))  # dd/mm/yyyy
            retention.defer(root, keys, user, until=dated["until"], reason=reason)
            request.session.flash(translate(request, _("${count} item(s) deferred.", mapping={"count": len(keys)})))
        else:
            raise ValidationError({"action": "Chọn duyệt huỷ hoặc hoãn / approve or defer"})
    except (ValidationError, Conflict) as exc:      # refused before anything was written
        _fail(request, exc, bad_dates)
    return HTTPFound(request.route_url("records_review"))


# --- holds ------------------------------------------------------------------------------

@view_config(route_name="records_holds", permission=R.MANAGE_RECORDS, renderer="records_holds.jinja2",
             request_method="GET")
def holds_page(request):
    root = request.kho_root
    found = retention.holds(root, active_only=request.params.get("all") != "1")
    return {"holds": found, "target": request.params.get("target", ""), "show_all": request.params.get("all") == "1",
            "EVENTS": {k: v for k, v in retention.EVENTS.items() if k != "validity_ended"}}


@view_config(route_name="records_holds", permission=R.MANAGE_RECORDS, request_method="POST")
def place_hold(request):
    try:
        hold = retention.place_hold(request.kho_root, request.POST.get("target", ""), request.user,
                                    request.POST.get("reason", ""))
        request.session.flash(translate(request, _("Hold placed on ${target}.", mapping={"target": hold.target})))
    except (ValidationError, Conflict) as exc:
        _fail(request, exc)
    return HTTPFound(request.route_url("records_holds"))


@view_config(route_name="records_release", permission=R.MANAGE_RECORDS, request_method="POST")
def release_hold(request):
    try:
        hold = retention.release_hold(request.kho_root, request.matchdict["hold"], request.user,
                                      request.POST.get("reason", ""))
        request.session.flash(translate(request, _("Hold on ${target} released.", mapping={"target": hold.target})))
    except (ValidationError, Conflict) as exc:
        _fail(request, exc)
    return HTTPFound(request.route_url("records_holds"))


@view_config(route_name="records_events", permission=R.MANAGE_RECORDS, request_method="POST")
def record_event(request):
    """An event that starts or changes a count: a paper superseded or revoked,
    an owner deceased (a warehouse), a dossier closed."""
    root = request.kho_root
    key = request.POST.get("target", "").strip()
    target = retention.resolve(root, key)
    dated, bad_dates = form_dates({"on": request.POST.get("on", "")}, ("on",))      # dd/mm/yyyy
    try:
        if target is None:
            raise ValidationError({"target": "Không có giấy tờ, hồ sơ hoặc kho này / no such paper, dossier or "
                                             "warehouse"})
        retention.record_event(root, target, request.POST.get("event", ""), request.user,
                               on=dated["on"] or None, note=request.POST.get("note", ""))
        request.session.flash(translate(request, _("Event recorded on ${target}.", mapping={"target": key})))
    except (ValidationError, Conflict) as exc:
        _fail(request, exc, bad_dates)
    return HTTPFound(request.route_url("records_holds"))


# --- the person's requests ----------------------------------------------------------------

@view_config(route_name="records_requests", permission=R.MANAGE_RECORDS, renderer="records_requests.jinja2",
             request_method="GET")
def requests_page(request):
    root = request.kho_root
    found = rights.all_requests(root)
    rows = []
    for item in found:
        blockers = rights.deletion_blockers(root, item.target) \
            if item.kind == "delete" and item.status == rights.PENDING else []
        rows.append({"request": item, "blockers": blockers})
    _seen(root, request.user, [r.subject for r in found], "rights_requests")
    return {"rows": rows, "STATUSES": rights.STATUSES, "KINDS": rights.kinds(),
            "corrections": _corrections(root), "now": datetime.datetime.now(datetime.timezone.utc)}


@view_config(route_name="records_answer", permission=R.MANAGE_RECORDS, request_method="POST")
def answer_request(request):
    root = request.kho_root
    item = rights.get(root, request.matchdict["request"])
    if item is None:
        raise HTTPNotFound()
    try:
        rights.answer(root, item, request.user, request.POST.get("decision", ""),
                      reason=request.POST.get("reason", ""), settings=request.registry.settings)
        request.session.flash(translate(request, _("Request ${id} answered.", mapping={"id": item.id})))
    except (ValidationError, Conflict) as exc:      # refused before anything was written
        _fail(request, exc)
    return HTTPFound(request.route_url("records_requests"))


@view_config(route_name="records_certificate", permission=R.MANAGE_RECORDS, request_method="GET")
def certificate_pdf(request):
    return certificate_response(request)


# --- the owner's deletion requests ----------------------------------------------------------

def deletion_values(request, warehouse, errors=None):
    root = request.kho_root
    papers = [{"document": d, "retention": retention_view(root, d)} for d in warehouse.documents.in_use()]
    mine = [r for r in rights.requests_of(root, warehouse.subject_id) if r.kind == "delete"]
    labels = {}                 # a paper's request names the paper, not its key
    for r in mine:
        document = warehouse.documents.get(r.target.partition("/")[2]) if r.target.startswith("paper:") else None
        if document is not None:
            labels[r.target] = retention.label_of(document)
    return {"warehouse": warehouse, "papers": papers, "requests": mine, "STATUSES": rights.STATUSES,
            "labels": labels, "errors": errors or {}}


@view_config(context=Warehouse, name="deletion", permission=R.VIEW_WAREHOUSE, renderer="deletion.jinja2",
             request_method="GET")
def deletion_page(context, request):
    owner_only(request, context)
    return deletion_values(request, context)


@view_config(context=Warehouse, name="deletion", permission=R.VIEW_WAREHOUSE, renderer="deletion.jinja2",
             request_method="POST")
def deletion_post(context, request):
    owner_only(request, context)
    doc = request.POST.get("document", "")
    target = f"warehouse:{context.subject_id}" if doc == "*" else f"paper:{context.subject_id}/{doc}"
    try:
        item = rights.file_request(request.kho_root, request.user, "delete", target)
    except ValidationError as exc:
        request.response.status = 400
        return deletion_values(request, context, errors=errors_for(request, exc.errors))
    request.session.flash(translate(request, _(
        "Your deletion request ${id} was sent. The records office answers by ${deadline}.",
        mapping={"id": item.id, "deadline": _deadline(item)})))
    return HTTPFound(request.resource_url(context, "deletion"))


def _deadline(item):
    from repository.calendar import format_vn_datetime
    return format_vn_datetime(item.deadline)
