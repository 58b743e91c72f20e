"""A records manager's day on pages and API (WebTest over the reuse world):
the persons' deletion requests (one granted, one refused with the rule and
its end date, both answered and logged), the retention run, a hold that
blocks an approval, a batch approval with its signed certificate, the
schedule shown on a paper's page and in the API, and `kho retention run`."""
import json
import re
import subprocess
import sys

import signing
import transaction

from repository.audit import audit_log

from ..conftest import csrf_from, login, write_ini
from .records_papers import add_paper

OWNER = "001090012345"


def audit_actions(reuse_app):
    tm = transaction.TransactionManager()
    conn = reuse_app.registry._zodb_databases[""].open(tm)
    try:
        return [e["action"] for e in audit_log(conn)]
    finally:
        tm.abort()
        conn.close()


def test_a_records_managers_day(reuse_app, reuse_testapp, world):
    app = reuse_testapp
    mine = add_paper(reuse_app, {"type_code": "QDTV", "number": "77/QĐ"})
    expired = add_paper(reuse_app, {"type_code": "HC", "number": "B7654321", "valid_until": "2015-06-30"})

    # the citizen asks to delete a paper they keep, and the ID card of an approved dossier
    login(app, "congdan")
    page = app.get(f"/subjects/{OWNER}/deletion")
    assert "Yêu cầu xoá" in page.text or "xoá" in page.text
    app.post(f"/subjects/{OWNER}/deletion", {"document": mine, "csrf_token": csrf_from(page)}, status=302)
    refused_id = app.post_json("/api/v1/requests", {"kind": "delete", "target": f"paper:{OWNER}/{world.id_card}"},
                               headers={"X-CSRF-Token": csrf_from(page)}, status=201).json["id"]
    bad = app.post_json("/api/v1/requests", {"kind": "delete", "target": "warehouse:010195004321"},
                        headers={"X-CSRF-Token": csrf_from(page)}, status=400).json
    assert "target" in bad["errors"]
    mine_requests = app.get("/api/v1/requests").json["items"]
    assert len(mine_requests) == 2 and all(r["status"] == "pending" for r in mine_requests)
    granted_id = next(r["id"] for r in mine_requests if r["id"] != refused_id)

    # the records manager's console: the requests and their deadlines
    app.reset()
    login(app, "luutru")
    console = app.get("/records")
    assert granted_id in console.text and refused_id in console.text and "audit-status" in console.text
    requests_page = app.get("/records/requests")
    assert "10 năm" in requests_page.text              # the rule that keeps the ID card
    csrf = csrf_from(requests_page)
    app.post(f"/records/requests/{refused_id}", {"decision": "grant", "csrf_token": csrf}, status=302)
    assert "không cho phép xoá" in app.get("/records/requests").text     # refused: a rule keeps it
    app.post(f"/records/requests/{refused_id}", {"decision": "refuse", "csrf_token": csrf}, status=302)
    app.post(f"/records/requests/{granted_id}", {"decision": "grant", "csrf_token": csrf}, status=302)
    answers = {r["id"]: r for r in app.get("/api/v1/requests").json["items"]}
    assert answers[granted_id]["status"] == "granted" and answers[granted_id]["answer"]["certificate"]
    refusal = answers[refused_id]["answer"]
    assert answers[refused_id]["status"] == "refused" and refusal["rules"][0]["rule"] == "10y"
    assert "10 năm" in refusal["reason"]
    assert app.get(f"/api/v1/subjects/{OWNER}/documents/{mine}", status=200).json["deleted"]   # records see it

    # the run puts the expired passport in the queue; a hold on the warehouse blocks it
    page = app.get("/records")
    app.post("/records/run", {"csrf_token": csrf_from(page)}, status=302)
    review = app.get("/records/review")
    key = f"paper:{OWNER}/{expired}"
    assert key in review.text and "B7654321" in review.text
    holds = app.get("/records/holds")
    app.post("/records/holds", {"target": f"warehouse:{OWNER}", "reason": "Tranh chấp 12/2026",
                                "csrf_token": csrf_from(holds)}, status=302)
    hold_id = app.get("/api/v1/records/holds").json["items"][0]["id"]
    app.post("/records/review", {"action": "approve", "items": key, "csrf_token": csrf_from(review)}, status=302)
    assert "phong toả" in app.get("/records/review").text
    assert app.get("/api/v1/records/queue").json["items"][0]["state"] == "pending"
    app.post(f"/records/holds/{hold_id}/release", {"reason": "Đã xử xong", "csrf_token": csrf_from(holds)},
             status=302)
    app.post("/records/review", {"action": "approve", "items": key, "reason": "Hết hạn",
                                 "csrf_token": csrf_from(review)}, status=302)
    item = app.get("/api/v1/records/queue", {"state": "destroyed"}).json["items"][0]
    assert item["key"] == key and item["certificate"]
    pdf = app.get(f"/records/certificates/{item['certificate']}").body
    report = signing.verify_pdf(pdf, [reuse_app.registry.settings["kho.trust_roots"]])
    assert report.ok, report.render_text()

    # every paper and dossier knows its schedule: page and API
    paper = app.get(f"/subjects/{OWNER}/documents/{world.birth}/")
    assert 'id="retention"' in paper.text and "Vĩnh viễn" in paper.text
    api = app.get(f"/api/v1/subjects/{OWNER}/documents/{world.id_card}").json["retention"]
    assert api["schedule"]["code"] == "10y" and api["status"] == "running"
    dossier = app.get(f"/api/v1/dossiers/{world.first}", headers={}, status="*")
    if dossier.status_int == 200:
        assert dossier.json["retention"]["basis"] == "dossier_closed"

    # the citizen sees both answers
    app.reset()
    login(app, "congdan")
    page = app.get(f"/subjects/{OWNER}/deletion")
    assert "Đã chấp nhận" in page.text and "Đã từ chối" in page.text and "10 năm" in page.text

    actions = audit_actions(reuse_app)
    assert actions.count("rights_request") == 2 and actions.count("rights_answered") == 2
    for action in ("destroy_document", "disposition_certificate", "hold_placed", "hold_released",
                   "retention_run"):
        assert action in actions, action


def token_for(app, username):
    from repository.seed import DEMO_PASSWORD
    token = app.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_wrong_input_is_a_4xx(reuse_testapp):
    app = reuse_testapp
    records = token_for(app, "luutru")
    assert app.post_json("/api/v1/records/holds", {"target": "paper:nope", "reason": ""}, headers=records,
                         status=400).json["errors"].keys() == {"target", "reason"}
    assert app.post_json("/api/v1/records/queue/defer", {"items": "x"}, headers=records, status=400)
    assert app.post_json("/api/v1/requests/YC-none/answer", {"decision": "grant"}, headers=records, status=404)
    citizen = token_for(app, "congdan")
    assert app.post_json("/api/v1/requests", {"kind": "shred", "target": f"warehouse:{OWNER}"},
                         headers=citizen, status=400).json["errors"].keys() == {"kind"}


def test_kho_retention_run(reuse_settings, tmp_path):
    ini = write_ini(tmp_path, reuse_settings)
    root_dir = __file__.rsplit("/tests/", 1)[0]
    dry = subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "retention", "run", "--dry-run",
                          "--json", "--today", "2060-01-01"], cwd=root_dir, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    # in 2060 the approved dossier's 10 years are over: due, but a dry run queues nothing
    assert report["dossiers"] == 2 and any(k.startswith("dossier:") for k in report["due_keys"])
    due = subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "retention", "due"],
                         cwd=root_dir, capture_output=True, text=True)
    assert re.search(r"^0 item", due.stdout, re.M), due.stdout


def test_an_event_changes_the_count(reuse_testapp, world):
    app = reuse_testapp
    records = token_for(app, "luutru")
    key = f"paper:{OWNER}/{world.id_card}"
    before = app.get("/api/v1/records/retention", {"target": key}, headers=records).json
    assert before["status"] == "running"
    made = app.post_json("/api/v1/records/events", {"target": key, "event": "superseded", "on": "2010-05-01",
                                                    "note": "Cấp thẻ mới"}, headers=records, status=201).json
    # kept while the approved dossier is (its 10 years from its closing), no longer "running"
    assert made["retention"]["basis"] == "superseded" and made["retention"]["disposition_date"]
    assert app.post_json("/api/v1/records/events", {"target": key, "event": "owner_deceased"}, headers=records,
                         status=400).json["errors"].keys() == {"event"}
    assert app.post_json("/api/v1/records/events", {"target": key, "event": "revoked", "on": "2999-01-01"},
                         headers=records, status=400)
