"""The route × role table of the records views (views/pages/records.py,
views/api/records.py), in the format of CASES in test_security_matrix.py
(view callable → (method, path template, who may, extra params)), over the
reuse world (tests/reuse_world.py).

Only the records manager (luutru) reaches the console, the review queue,
the holds, the requests' answers and the certificates; citizens file and
read their own requests; the owner (congdan) asks to delete on their own
warehouse's page (another citizen: not found; staff: 403). Ids that the
world does not hold (a hold, a request, a certificate) answer 400/404 or a
form message to the allowed account: never 401/403/5xx. The metadata
search is the records manager's alone; the audit trail viewer is the records
manager's and the auditor's (citizens, desk staff, processors and the
administrator: 403, these paths name no warehouse)."""

RECORDS = {"luutru"}
AUDIT_READERS = {"luutru", "kiemtoan"}      # the audit trail viewer: records managers and auditors
CITIZENS = {"congdan", "congdan2"}
OWNER = "001090012345"

CASES = {
    # pages
    "views.pages.records.console": ("GET", "/records", RECORDS, {}),
    "views.pages.records.run_now": ("POST", "/records/run", RECORDS, {"dry_run": "1"}),
    "views.pages.records.review_page": ("GET", "/records/review", RECORDS, {}),
    "views.pages.records.review_post": ("POST", "/records/review", RECORDS,
                                        {"action": "defer", "items": "paper:x/y", "until": "2099-01-01",
                                         "reason": "chờ"}),
    "views.pages.records.holds_page": ("GET", "/records/holds", RECORDS, {}),
    "views.pages.records.place_hold": ("POST", "/records/holds", RECORDS,
                                       {"target": "dossier:{first}", "reason": "Thanh tra"}),
    "views.pages.records.release_hold": ("POST", "/records/holds/nohold/release", RECORDS, {"reason": "xong"}),
    "views.pages.records.record_event": ("POST", "/records/events", RECORDS,
                                         {"target": "paper:x/y", "event": "revoked"}),
    "views.pages.records.requests_page": ("GET", "/records/requests", RECORDS, {}),
    "views.pages.records.answer_request": ("POST", "/records/requests/YC-none", RECORDS, {"decision": "refuse"}),
    "views.pages.records.certificate_pdf": ("GET", "/records/certificates/BBH-none", RECORDS, {}),
    "views.pages.records.deletion_page": ("GET", f"/subjects/{OWNER}/deletion", {"congdan"}, {}),
    "views.pages.records.deletion_post": ("POST", f"/subjects/{OWNER}/deletion", {"congdan"},
                                          {"document": "{doc}"}),
    "views.pages.records_console.search_page": ("GET", "/records/search", RECORDS,
                                                {"go": "1", "owner": OWNER, "issued_from": "01/01/2000"}),
    "views.pages.records_console.audit_page": ("GET", "/records/audit", AUDIT_READERS, {"owner": OWNER}),
    "views.pages.records_console.audit_verify": ("POST", "/records/audit/verify", AUDIT_READERS, {}),
    # API
    "views.api.records.search_api": ("GET", "/api/v1/records/search", RECORDS, {"type": "GKS"}),
    "views.api.records.audit_api": ("GET", "/api/v1/records/audit", AUDIT_READERS, {"limit": "5"}),
    "views.api.records.audit_verify_api": ("POST", "/api/v1/records/audit/verify", AUDIT_READERS, {}),
    "views.api.records.queue_api": ("GET", "/api/v1/records/queue", RECORDS, {}),
    "views.api.records.approve_api": ("POST", "/api/v1/records/queue/approve", RECORDS, {"items": ["paper:x/y"]}),
    "views.api.records.defer_api": ("POST", "/api/v1/records/queue/defer", RECORDS,
                                    {"items": ["paper:x/y"], "until": "2099-01-01", "reason": "chờ"}),
    "views.api.records.run_api": ("POST", "/api/v1/records/run", RECORDS, {"dry_run": True}),
    "views.api.records.holds_api": ("GET", "/api/v1/records/holds", RECORDS, {}),
    "views.api.records.place_hold_api": ("POST", "/api/v1/records/holds", RECORDS,
                                         {"target": "dossier:{first}", "reason": "Thanh tra"}),
    "views.api.records.release_hold_api": ("POST", "/api/v1/records/holds/nohold/release", RECORDS,
                                           {"reason": "xong"}),
    "views.api.records.record_event_api": ("POST", "/api/v1/records/events", RECORDS,
                                           {"target": "paper:x/y", "event": "revoked"}),
    "views.api.records.certificate_api": ("GET", "/api/v1/records/certificates/BBH-none", RECORDS, {}),
    "views.api.records.retention_api": ("GET", "/api/v1/records/retention", RECORDS,
                                        {"target": "dossier:{first}"}),
    "views.api.records.requests_api": ("GET", "/api/v1/requests", RECORDS | CITIZENS, {}),
    "views.api.records.file_request_api": ("POST", "/api/v1/requests", CITIZENS,
                                           {"kind": "delete", "target": f"paper:{OWNER}/{{doc}}"}),
    "views.api.records.request_api": ("GET", "/api/v1/requests/YC-none", RECORDS | CITIZENS, {}),
    "views.api.records.answer_api": ("POST", "/api/v1/requests/YC-none/answer", RECORDS,
                                     {"decision": "refuse", "reason": "x"}),
}
