"""What every API view shares: CSRF for cookie sessions, JSON bodies, serialisers."""
import functools
import json

from pyramid.csrf import check_csrf_token

from repository.errors import ValidationError

from ..addresses import api_url  # noqa: F401  (the API views import it from here)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def csrf_unless_token(view):
    """A browser session must send X-CSRF-Token on writes; a bearer token need not."""
    @functools.wraps(view)
    def wrapper(context, request):
        if request.method not in SAFE_METHODS and not request.via_token:
            check_csrf_token(request, token="csrf_token", header="X-CSRF-Token")
        return view(context, request)
    return wrapper


def json_body(request):
    if not request.content_type == "application/json":
        raise ValidationError({"body": "Cần Content-Type application/json / JSON body expected"})
    try:
        body = request.json_body
    except (ValueError, json.JSONDecodeError):
        raise ValidationError({"body": "JSON không hợp lệ / malformed JSON"}) from None
    if not isinstance(body, dict):
        raise ValidationError({"body": "Cần một đối tượng JSON / a JSON object is expected"})
    return body


def iso(value):
    return value.isoformat() if value else None


def document_json(document, request):
    return {
        "id": document.__name__,
        "owner_id": document.owner_id,
        "type_code": document.type_code,
        "name": document.name,
        "number": document.number,
        "issue_date": iso(document.issue_date),
        "issuer": document.issuer,
        "summary": document.summary,
        "valid_from": iso(document.valid_from),
        "valid_until": iso(document.valid_until),
        "validity_scope": document.validity_scope,
        "state": document.state,
        "effective_state": document.effective_state(),
        "provenance": document.provenance,
        "dossier_code": document.dossier_code,
        "procedure_code": document.procedure_code,
        "extraction": document.extraction,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "pages": document.pages,
        "signatures": document.signature_report,
        "signed_by": document.signed_by,
        "deleted": iso(document.deleted),
        "review_state": document.review_state,
        "active_content": list(document.active_content),
        "scan_quality": document.scan_quality,      # what the scan offered at the desk, and who accepted it
        "created": iso(document.created),
        "created_by": document.created_by,
        "retention": retention_json(document, request),
        "links": {
            "self": api_url(request, document),
            "content": api_url(request, document, "content"),
        },
    }


def warehouse_json(warehouse, request):
    return {
        "subject_id": warehouse.subject_id,
        "kind": warehouse.kind,
        "name": warehouse.name,
        "birth_date": iso(warehouse.birth_date),
        "sex": warehouse.sex,
        "documents": warehouse.documents.count_in_use(),     # as the list shows (deleted ones are gone)
        "created": iso(warehouse.created),
        "links": {
            "self": api_url(request, warehouse),
            "documents": api_url(request, warehouse.documents),
        },
    }


def optional_json_body(request):
    """A JSON object body, or {} when the request has none (actions whose
    fields are all optional)."""
    if not request.body:
        return {}
    return json_body(request)


def paper_json(document, request):
    """A paper's metadata as the reception shows it: never its content."""
    return {
        "id": document.__name__,
        "owner_id": document.owner_id,
        "type_code": document.type_code,
        "name": document.name,
        "number": document.number,
        "issue_date": iso(document.issue_date),
        "issuer": document.issuer,
        "valid_until": iso(document.valid_until),
        "effective_state": document.effective_state(),
        "provenance": document.provenance,
        "dossier_code": document.dossier_code,
        "signed": bool(document.signature_report and document.signature_report.get("ok")),
        "approved_in": list(document.approved_in),
        "created": iso(document.created),
        "links": {"self": api_url(request, document)},
    }


def _unit_json(root, code):
    desk = root.catalogues.desks.get(code) if code else None
    return {"code": code, "name": desk.name if desk is not None else None}


def attachment_json(root, attachment, request):
    warehouse = root.subjects.get(attachment.owner_id)
    document = warehouse.documents.get(attachment.doc_id) if warehouse is not None else None
    data = attachment.as_dict()
    data["name"] = document.name if document is not None else None
    data["type_code"] = document.type_code if document is not None else None
    return data


def retention_json(obj, request):
    """A paper's or dossier's schedule and disposition date (repository.retention)."""
    from repository.retention import disposition_of
    return disposition_of(request.kho_root, obj).as_dict()


def dossier_summary_json(dossier, request):
    from repository.dossiers import OUTCOMES, STATUSES
    root = request.kho_root
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    return {
        "code": dossier.code,
        "procedure": {"code": dossier.procedure_code,
                      "name": procedure.name if procedure is not None else None},
        "status": dossier.status,
        "status_label": STATUSES[dossier.status],
        "outcome": dossier.outcome,
        "outcome_label": OUTCOMES.get(dossier.outcome),
        "applicant_id": dossier.applicant_id,
        "received": iso(dossier.received),
        "due": iso(dossier.due),
        "desk": _unit_json(root, dossier.desk),
        "agency": _unit_json(root, dossier.agency),
        "links": {"self": api_url(request, dossier)},
    }


def dossier_json(dossier, request, candidates=None):
    """The dossier with its persons, timeline and components; `candidates`
    (repository.reception.components_view) adds each component's papers
    of the person, with the reasons a paper cannot be reused."""
    from repository.dossiers import ACTIONS
    root = request.kho_root
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    data = dossier_summary_json(dossier, request)
    persons = []
    for subject_id in dossier.persons:
        warehouse = root.subjects.get(subject_id)
        persons.append({"subject_id": subject_id, "name": warehouse.name if warehouse is not None else None,
                        "applicant": subject_id == dossier.applicant_id})
    by_key = {c["component"].key: c for c in candidates} if candidates is not None else None
    components = []
    for component in (procedure.components if procedure is not None else ()):
        item = dict(component.as_dict(), owner_id=dossier.person_for(component),
                    attachments=[attachment_json(root, a, request) for a in dossier.attachments(component.key)])
        if by_key is not None:
            item["candidates"] = [
                {"document": paper_json(c["document"], request), "reusable": not c["reasons"],
                 "reasons": list(c["reasons"])}
                for c in by_key.get(component.key, {"candidates": ()})["candidates"]]
        components.append(item)
    data.update({
        "reason": dossier.reason,
        "resolved": iso(dossier.resolved),
        "received_by": dossier.received_by,
        "channel": dossier.channel,
        "others": list(dossier.others),
        "persons": persons,
        "retention": retention_json(dossier, request),
        "timeline": [{"time": iso(e["time"]), "actor": e["actor"], "action": e["action"],
                      "action_label": ACTIONS.get(e["action"], e["action"]), "detail": dict(e["detail"])}
                     for e in dossier.timeline],
        "components": components,
    })
    data["links"].update({"reuse_requests": api_url(request, dossier.reuse_requests),
                          "receipt": api_url(request, dossier, "receipt")})
    from repository.results import result_of      # the result issued after approval (views/api/results.py)
    result = result_of(root, dossier)
    data["result"] = None if result is None else {
        "owner_id": result.owner_id, "document": result.__name__, "name": result.name,
        "type_code": result.type_code, "valid_until": iso(result.valid_until),
        "issued": iso(getattr(dossier, "result_issued", None))}
    return data


def reuse_request_json(reuse_request, request):
    from repository.reception import REQUEST_STATES
    data = reuse_request.as_dict()
    data["state_label"] = REQUEST_STATES[data["state"]]
    data["links"] = {"self": api_url(request, reuse_request),
                     "decision": api_url(request, reuse_request, "decision")}
    return data


def consent_json(consent, request):
    from repository.consents import CHANNELS, PURPOSES, scope_label
    data = consent.as_dict()
    data["scope_label"] = scope_label(request.kho_root, consent)
    data["purpose_labels"] = [PURPOSES[p] for p in consent.purposes]
    data["channel_label"] = CHANNELS.get(consent.channel)
    data["links"] = {"self": api_url(request, consent),
                     "withdraw": api_url(request, consent, "withdraw"),
                     "receipts": {name: api_url(request, consent, "receipts", name)
                                  for name in sorted(consent.receipts)}}
    return data
