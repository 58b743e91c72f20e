"""The reuse cycle through the JSON API, every call checked against the
OpenAPI document: a first procedure at a commune desk (two papers scanned,
signed, attached, consented to at the desk and online, approved), a second
one at another district's desk that reuses both papers after the citizen
confirms on the public confirmation endpoint, a third unit refused reading
them, and a withdrawal that stops the offer while the earlier use stays in
the log. Then the refusals and the bad input."""
import datetime
import io
import re
import subprocess

import pytest
import transaction
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

import signing
from repository.audit import audit_log
from repository.consents import CONSEQUENCES, NOTICE_VERSION
from repository.db import app_root
from repository.seed import DEMO_PASSWORD
from repository.signatures import sign_digitized

from ..files import pdf_bytes
from . import matrix_reuse_api
from .openapi_check import _openapi, validate

OWNER = "001090012345"
FIRST_PROCEDURE, SECOND_PROCEDURE = "1.004227", "2.001417"


# --- helpers --------------------------------------------------------------------

def validate_response(response):
    """Check only the response against the document (for requests that break
    the request schema on purpose, to see the server refuse them too)."""
    environ = dict(response.request.environ)
    body = response.request.body or b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["PATH_INFO"] = environ["PATH_INFO"].rstrip("/") or "/"
    oreq = WerkzeugOpenAPIRequest(WerkzeugRequest(environ))
    wresp = WerkzeugResponse(response.body, status=response.status_int,
                             headers=[(k, v) for k, v in response.headers.items() if k.lower() != "content-length"])
    _openapi.validate_response(oreq, WerkzeugOpenAPIResponse(wresp))
    return response


class Api:
    """Calls as one account (a bearer token), each checked against the OpenAPI document."""

    def __init__(self, app, username=None):
        self.app = app
        self.headers = {}
        if username:
            token = app.post_json("/api/v1/tokens", {"username": username, "password": DEMO_PASSWORD}).json
            self.headers = {"Authorization": f"Bearer {token['token']}"}

    def get(self, path, status=200, params=None, check=validate):
        return check(self.app.get("/api/v1" + path, params or {}, headers=self.headers, status=status))

    def post(self, path, body=None, status=200, check=validate):
        return check(self.app.post_json("/api/v1" + path, body if body is not None else {},
                                        headers=self.headers, status=status))

    def patch(self, path, body, status=200, check=validate):
        return check(self.app.patch_json("/api/v1" + path, body, headers=self.headers, status=status))

    def upload(self, subject, data, status=201, **fields):
        return validate(self.app.post(f"/api/v1/subjects/{subject}/documents", params=fields,
                                      upload_files=[("file", "scan.pdf", data)], headers=self.headers,
                                      status=status))


@pytest.fixture
def as_api(testapp):
    cache = {}

    def _as(username=None):
        if username not in cache:
            cache[username] = Api(testapp, username)
        return cache[username]
    return _as


@pytest.fixture
def reuse_api(reuse_testapp):
    cache = {}

    def _as(username=None):
        if username not in cache:
            cache[username] = Api(reuse_testapp, username)
        return cache[username]
    return _as


class Db:
    """The app's database in a connection of its own (opened anew each time
    to see what the requests committed)."""

    def __init__(self, app):
        self.db = app.registry._zodb_databases[""]
        self.settings = app.registry.settings
        self.conn = None

    def root(self):
        self.close()
        self.conn = self.db.open(transaction.TransactionManager())
        return app_root(self.conn)

    def commit(self):
        self.conn.transaction_manager.commit()

    def audit(self):
        log = audit_log(self.root()._p_jar)
        return list(log.entries.values())

    def close(self):
        if self.conn is not None:
            self.conn.transaction_manager.abort()
            self.conn.close()
            self.conn = None


@pytest.fixture
def db(wsgi_app):
    handle = Db(wsgi_app)
    yield handle
    handle.close()


@pytest.fixture
def reuse_db(reuse_app):
    handle = Db(reuse_app)
    yield handle
    handle.close()


def token_of(offer):
    match = re.search(r"/confirm/([A-Za-z0-9_-]+)$", offer["confirm_url"])
    assert match, offer["confirm_url"]
    assert offer["confirmation"].endswith("/api/v1/confirmations/" + match.group(1))
    return match.group(1)


def component(dossier, key):
    return next(c for c in dossier["components"] if c["key"] == key)


def verified(pdf, settings):
    return signing.verify_pdf(pdf, [settings["kho.trust_roots"]])


# --- the whole cycle --------------------------------------------------------------------

@pytest.mark.slow  # the whole cycle (~6 s); its steps are the other tests here
def test_the_reuse_cycle_through_the_api(as_api, db, testapp):
    canbo, canbo2, xuly, xuly2, citizen = (as_api(u) for u in ("canbo", "canbo2", "xuly", "xuly2", "congdan"))
    settings = db.settings

    # 1. the first procedure at the commune desk
    first = canbo.post("/dossiers", {"procedure_code": FIRST_PROCEDURE, "applicant_id": OWNER}, status=201).json
    assert "candidates" not in first["components"][0]       # listed by GET, outside the write
    first = canbo.get(f"/dossiers/{first['code']}").json
    assert first["code"].startswith("000.15.16.H10-") and first["status"] == "received"
    assert first["status_label"] == "Đã tiếp nhận" and first["agency"]["code"] == "000.15.16.H10"
    assert [c["candidates"] for c in first["components"]] == [[], []]     # nothing on file yet
    scans = {}
    for type_code, text in (("CCCD", "CĂN CƯỚC CÔNG DÂN"), ("GKS", "GIẤY KHAI SINH")):
        scans[type_code] = canbo.upload(OWNER, pdf_bytes(text=text), type_code=type_code, provenance="digitized",
                                        number="12/2020", issue_date="2020-03-02",
                                        dossier_code=first["code"],
                                        accept_low_quality="true").json["id"]     # a 75 dpi test scan
    root = db.root()        # signing follows the OCR review in the app; here straight after upload
    for doc_id in scans.values():
        document = root.subjects[OWNER].documents[doc_id]
        with document.original.open("r") as f:
            sign_digitized(document, f.read(), settings, root.accounts.users["canbo"])
    db.commit()
    canbo.post(f"/dossiers/{first['code']}/attach", {"component": "giay_to_tuy_than", "document": scans["CCCD"]})
    attached = canbo.post(f"/dossiers/{first['code']}/attach",
                          {"component": "giay_khai_sinh", "document": scans["GKS"]}).json
    assert [a["reused"] for c in attached["components"] for a in c["attachments"]] == [False, False]

    at_desk = canbo.post(f"/subjects/{OWNER}/consents", {
        "scope": "document", "target": scans["CCCD"], "purposes": ["keep", "reuse"],
        "notice_version": NOTICE_VERSION, "agreed": True}, status=201).json
    assert (at_desk["channel"], at_desk["witness"], at_desk["receipts"]) == ("desk", "canbo", ["grant"])
    online = citizen.post(f"/subjects/{OWNER}/consents", {
        "scope": "doctype", "target": "GKS", "purposes": ["keep", "reuse"],
        "notice_version": NOTICE_VERSION}, status=201).json
    assert (online["channel"], online["witness"], online["active"]) == ("online", None, True)
    receipt = citizen.get(f"/subjects/{OWNER}/consents/{online['id']}/receipts/grant")
    assert receipt.content_type == "application/pdf" and "no-store" in receipt.headers["Cache-Control"]
    assert verified(receipt.body, settings).ok

    approved = xuly2.post(f"/dossiers/{first['code']}/resolve", {"approved": True}).json
    assert (approved["status"], approved["outcome"], approved["outcome_label"]) == (
        "resolved", "approved", "Chấp thuận")
    assert [e["action"] for e in approved["timeline"]] == ["received", "attach", "attach", "approved"]

    # 2. the second procedure at a district desk: both papers offered, confirmed, attached by reference
    count_before = canbo2.get(f"/subjects/{OWNER}").json["documents"]
    second = canbo2.post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER},
                         status=201).json
    second = canbo2.get(f"/dossiers/{second['code']}").json
    assert second["code"].startswith("000.16.16.H10-") and second["agency"]["code"] == "000.00.01.H10"
    offered = {c["key"]: [(x["document"]["id"], x["reusable"], x["reasons"]) for x in c["candidates"]]
               for c in second["components"]}
    assert offered == {"tuy_than": [(scans["CCCD"], True, [])], "giay_khai_sinh": [(scans["GKS"], True, [])]}
    paper = component(second, "tuy_than")["candidates"][0]["document"]
    assert "content" not in paper["links"] and paper["signed"] and paper["approved_in"] == [first["code"]]
    assert "candidates" not in component(citizen.get(f"/dossiers/{second['code']}").json, "tuy_than")

    offer = canbo2.post(f"/dossiers/{second['code']}/reuse-requests", {"items": [
        {"component": "tuy_than", "document": scans["CCCD"]},
        {"component": "giay_khai_sinh", "document": scans["GKS"]}]}, status=201).json
    assert offer["state"] == "pending" and offer["owner_id"] == OWNER
    token = token_of(offer)
    assert all(not c["attachments"] for c in canbo2.get(f"/dossiers/{second['code']}").json["components"])

    public = Api(testapp)               # the page facing the person: no account
    shown = public.get(f"/confirmations/{token}").json
    assert shown["state"] == "pending" and shown["owner_name"] == "Nguyễn Văn An"
    assert [(p["component"], p["document"]["id"]) for p in shown["papers"]] == [
        ("tuy_than", scans["CCCD"]), ("giay_khai_sinh", scans["GKS"])]
    confirmed = public.post(f"/confirmations/{token}", {"accept": True}).json
    assert (confirmed["state"], confirmed["decided_via"]) == ("confirmed", "desk")

    second = canbo2.get(f"/dossiers/{second['code']}").json
    assert {c["key"]: [(a["document"], a["reused"]) for a in c["attachments"]] for c in second["components"]} == {
        "tuy_than": [(scans["CCCD"], True)], "giay_khai_sinh": [(scans["GKS"], True)]}
    assert canbo2.get(f"/subjects/{OWNER}").json["documents"] == count_before == 2     # nothing uploaded
    reuses = [e for e in db.audit() if e["action"] == "reuse"]
    assert sorted((e["document"], e["purpose"], e["subject"]) for e in reuses) == sorted(
        (d, second["code"], OWNER) for d in scans.values())
    requests = canbo2.get(f"/dossiers/{second['code']}/reuse-requests").json
    assert [r["state"] for r in requests["items"]] == ["confirmed"]

    form = canbo2.get(f"/dossiers/{second['code']}/receipt")
    assert form.content_type == "application/pdf" and form.headers["Cache-Control"] == "no-store"
    assert verified(form.body, settings).ok
    text = subprocess.run(["pdftotext", "-", "-"], input=form.body, capture_output=True, check=True).stdout.decode()
    assert second["code"] in text and "Tái sử dụng" in text and "Phạm Văn Long" in text
    assert citizen.get(f"/dossiers/{second['code']}/receipt").body[:5] == b"%PDF-"

    # 3. a third unit cannot read them, even with the second dossier's code; nor the first unit now
    content = f"/subjects/{OWNER}/documents/{scans['CCCD']}/content"
    refused = xuly.get(content, status=403, params={"purpose": second["code"]}).json
    assert refused["error"] == "purpose_refused"
    canbo.get(content, status=403, params={"purpose": first["code"]})
    refusals = [(e["actor"], e["purpose"]) for e in db.audit() if e["action"] == "read_refused"]
    assert ("xuly", second["code"]) in refusals and ("canbo", first["code"]) in refusals
    assert canbo2.get(content, params={"purpose": second["code"]}).body[:5] == b"%PDF-"

    # 4. the owner withdraws the online consent: the birth certificate is no longer offered
    withdrawn = citizen.post(f"/subjects/{OWNER}/consents/{online['id']}/withdraw").json
    assert withdrawn["active"] is False and withdrawn["consequences"] == CONSEQUENCES
    assert withdrawn["receipts"] == ["grant", "withdrawal"]
    assert verified(citizen.get(f"/subjects/{OWNER}/consents/{online['id']}/receipts/withdrawal").body,
                    settings).ok
    third = canbo2.post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER},
                        status=201).json
    third = canbo2.get(f"/dossiers/{third['code']}").json
    birth = component(third, "giay_khai_sinh")["candidates"]
    assert [(c["document"]["id"], c["reusable"]) for c in birth] == [(scans["GKS"], False)]
    assert any("đồng ý" in reason for reason in birth[0]["reasons"])
    assert component(third, "tuy_than")["candidates"][0]["reusable"] is True
    refused = canbo2.post(f"/dossiers/{third['code']}/reuse-requests", {"items": [
        {"component": "giay_khai_sinh", "document": scans["GKS"]}]}, status=400).json
    assert "items.0" in refused["errors"]
    assert [e for e in db.audit() if e["action"] == "reuse"] == reuses     # past uses stay in the log
    assert [e["action"] for e in db.audit() if e["action"].startswith("consent_")] == [
        "consent_grant", "consent_grant", "consent_withdraw"]


# --- refusals and bad input, over the reuse world ---------------------------------------------

def test_dossier_lists_and_who_sees_a_dossier(reuse_api, world):
    assert {d["code"] for d in reuse_api("congdan").get("/dossiers").json["items"]} == {world.first, world.second}
    assert reuse_api("congdan2").get("/dossiers").json == {"items": [], "total": 0}
    assert [d["code"] for d in reuse_api("canbo2").get("/dossiers").json["items"]] == [world.second]
    assert reuse_api("xuly").get("/dossiers").json["total"] == 0
    reuse_api("congdan2").get(f"/dossiers/{world.second}", status=404)     # not theirs: not found
    reuse_api("canbo").get(f"/dossiers/{world.second}", status=403)        # another unit
    reuse_api("kiemtoan").get("/dossiers", status=403)
    reuse_api().get("/dossiers", status=401)
    reuse_api("canbo2").get("/dossiers/000.16.16.H10-261128-9999", status=404)
    first = reuse_api("xuly2").get(f"/dossiers/{world.first}").json     # the agency's processor
    assert "candidates" not in first["components"][0] and first["outcome"] == "approved"


def test_bad_receptions(reuse_api, reuse_db):
    canbo2 = reuse_api("canbo2")
    before = len(reuse_db.root().dossiers)
    unknown = canbo2.post("/dossiers", {"procedure_code": "9.999999", "applicant_id": OWNER}, status=400).json
    assert set(unknown["errors"]) == {"procedure_code"}
    bad_id = canbo2.post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": "001090012346"},
                         status=400).json
    assert "applicant_id" in bad_id["errors"]
    two = canbo2.post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER,
                                    "others": ["010195004321"]}, status=400).json
    assert "others" in two["errors"]
    canbo2.post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER, "others": "x"},
                status=400, check=validate_response)
    reuse_api("congdan").post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER},
                              status=403)
    reuse_api("xuly").post("/dossiers", {"procedure_code": SECOND_PROCEDURE, "applicant_id": OWNER},
                           status=403)
    assert len(reuse_db.root().dossiers) == before


def test_resolution_refusals(reuse_api, world):
    canbo, xuly2 = reuse_api("canbo"), reuse_api("xuly2")
    code = canbo.post("/dossiers", {"procedure_code": FIRST_PROCEDURE, "applicant_id": OWNER}, status=201).json["code"]
    no_reason = xuly2.post(f"/dossiers/{code}/resolve", {"approved": False}, status=400).json
    assert set(no_reason["errors"]) == {"reason"}
    missing = xuly2.post(f"/dossiers/{code}/resolve", {"approved": True}, status=409).json
    assert "Thẻ căn cước" in missing["message"]
    xuly2.post(f"/dossiers/{code}/resolve", {"approved": "yes"}, status=400, check=validate_response)
    canbo.post(f"/dossiers/{code}/resolve", {"approved": True}, status=403)     # the desk does not resolve
    reuse_api("xuly2").post(f"/dossiers/{world.first}/resolve", {"approved": True}, status=409)   # closed
    # transitions: the agency starts, the person cannot; a supplement request needs a reason
    reuse_api("congdan").post(f"/dossiers/{code}/transition", {"action": "start"}, status=403)
    started = xuly2.post(f"/dossiers/{code}/transition", {"action": "start"}).json
    assert started["status"] == "processing"
    xuly2.post(f"/dossiers/{code}/transition", {"action": "request_supplement"}, status=400)
    xuly2.post(f"/dossiers/{code}/transition", {"action": "fly"}, status=400, check=validate_response)
    rejected = xuly2.post(f"/dossiers/{code}/resolve", {"approved": False, "reason": "Thiếu giấy tờ"}).json
    assert (rejected["outcome"], rejected["reason"]) == ("rejected", "Thiếu giấy tờ")
    withdrawn = reuse_api("congdan").post(f"/dossiers/{world.second}/transition", {"action": "withdraw"}).json
    assert withdrawn["status"] == "withdrawn" and withdrawn["timeline"][-1]["actor"] == "congdan"


def test_attach_needs_a_paper_digitized_for_the_dossier(reuse_api, world):
    canbo2 = reuse_api("canbo2")
    refused = canbo2.post(f"/dossiers/{world.second}/attach", {"component": "tuy_than", "document": world.id_card},
                          status=400).json
    assert "document" in refused["errors"]
    assert "component" in canbo2.post(f"/dossiers/{world.second}/attach",
                                      {"component": "nope", "document": world.id_card}, status=400).json["errors"]
    assert "document" in canbo2.post(f"/dossiers/{world.second}/attach",
                                     {"component": "tuy_than", "document": "nope"}, status=400).json["errors"]
    reuse_api("canbo").post(f"/dossiers/{world.second}/attach",
                            {"component": "tuy_than", "document": world.id_card}, status=403)


def test_offer_and_confirm_online(reuse_api, world, reuse_db):
    canbo2, citizen = reuse_api("canbo2"), reuse_api("congdan")
    base = f"/dossiers/{world.second}/reuse-requests"
    reuse_api("canbo").post(base, {"items": [{"component": "tuy_than", "document": world.id_card}]},
                            status=403)                      # an officer of another unit
    reuse_api("xuly").post(base, {"items": [{"component": "tuy_than", "document": world.id_card}]}, status=403)
    empty = canbo2.post(base, {"items": []}, status=400, check=validate_response).json
    assert "items" in empty["errors"]
    wrong = canbo2.post(base, {"items": [{"component": "giay_khai_sinh", "document": world.id_card}]},
                        status=400).json
    assert "items.0" in wrong["errors"]
    offer = canbo2.post(base, {"items": [{"component": "tuy_than", "document": world.id_card}]}, status=201).json
    one = canbo2.get(f"{base}/{offer['id']}").json
    assert one["state"] == "pending" and one["links"]["decision"].endswith("/decision")
    decision = f"{base}/{offer['id']}/decision"
    reuse_api("congdan2").post(decision, {"accept": True}, status=404)      # not the owner: not found
    canbo2.post(decision, {"accept": True}, status=403)                     # the desk cannot confirm for them
    citizen.post(decision, {"accept": "ok"}, status=400, check=validate_response)
    done = citizen.post(decision, {"accept": True}).json
    assert (done["state"], done["decided_via"]) == ("confirmed", "online")
    citizen.post(decision, {"accept": True}, status=409)                    # answered already
    attached = component(citizen.get(f"/dossiers/{world.second}").json, "tuy_than")["attachments"]
    assert [(a["document"], a["reused"], a["by"]) for a in attached] == [(world.id_card, True, "congdan")]
    refusal = canbo2.post(base, {"items": [{"component": "giay_khai_sinh", "document": world.birth}]},
                          status=201).json
    refused = citizen.post(f"{base}/{refusal['id']}/decision", {"accept": False}).json
    assert refused["state"] == "refused"
    assert not component(citizen.get(f"/dossiers/{world.second}").json, "giay_khai_sinh")["attachments"]
    actions = [e["action"] for e in citizen.get(f"/dossiers/{world.second}").json["timeline"]]
    assert actions[-2:] == ["reuse_offered", "reuse_refused"]


def test_confirmation_tokens(reuse_api, world, reuse_db):
    canbo2, public = reuse_api("canbo2"), reuse_api()
    base = f"/dossiers/{world.second}/reuse-requests"
    public.get("/confirmations/not-a-token", status=404)
    public.post("/confirmations/not-a-token", {"accept": True}, status=404)
    public.get("/confirmations", status=404, check=lambda r: r)
    offer = canbo2.post(base, {"items": [{"component": "tuy_than", "document": world.id_card}]}, status=201).json
    token = token_of(offer)
    shown = public.get(f"/confirmations/{token}").json
    assert set(shown) >= {"papers", "state", "expires"} and "links" not in shown["papers"][0]["document"]
    public.post(f"/confirmations/{token}", {}, status=400, check=validate_response)
    assert public.post(f"/confirmations/{token}", {"accept": False}).json["state"] == "refused"
    again = public.post(f"/confirmations/{token}", {"accept": True}, status=409).json     # a used token
    assert again["error"] == "conflict"
    assert public.get(f"/confirmations/{token}").json["state"] == "refused"

    late = canbo2.post(base, {"items": [{"component": "tuy_than", "document": world.id_card}]}, status=201).json
    root = reuse_db.root()
    request = root.dossiers[world.second].reuse_requests[late["id"]]
    request.expires = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    reuse_db.commit()
    late_token = token_of(late)
    public.get(f"/confirmations/{late_token}", status=409)
    public.post(f"/confirmations/{late_token}", {"accept": True}, status=409)
    assert canbo2.get(f"{base}/{late['id']}").json["state"] == "expired"
    assert not component(canbo2.get(f"/dossiers/{world.second}").json, "tuy_than")["attachments"]


def test_reading_needs_a_real_purpose(reuse_api, world, reuse_db):
    content = f"/subjects/{OWNER}/documents/{world.id_card}/content"
    for purpose in ("000.16.16.H10-261128-9999", "anything", world.second):
        outside = purpose == "anything"        # not a dossier code: outside the document, refused all the same
        reuse_api("xuly").get(content, status=403, params={"purpose": purpose},
                              check=validate_response if outside else validate)
    reuse_api("canbo").get(content, status=403, params={"purpose": world.first})    # closed
    refused = [e for e in reuse_db.audit() if e["action"] == "read_refused"]
    assert [(e["actor"], e["purpose"]) for e in refused] == [
        ("xuly", "000.16.16.H10-261128-9999"), ("xuly", "anything"), ("xuly", world.second),
        ("canbo", world.first)]
    assert not [e for e in reuse_db.audit() if e["action"] == "read_content"]


def test_consents_grant_narrow_withdraw(reuse_api, world, reuse_db):
    citizen, desk, other = reuse_api("congdan"), reuse_api("canbo2"), reuse_api("congdan2")
    base = f"/subjects/{OWNER}/consents"
    listing = citizen.get(base).json
    assert {c["id"] for c in listing["items"]} == {world.consent_desk, world.consent_online}
    grant = {"scope": "document", "target": world.id_card, "purposes": ["share"],
             "recipients": ["Sở Tư pháp tỉnh Lào Cai"], "notice_version": NOTICE_VERSION}
    made_up = citizen.post(base, dict(grant, purposes=["sell"]), status=400, check=validate_response).json
    assert "purposes" in made_up["errors"]
    silent = desk.post(base, grant, status=400).json              # at the desk the person must agree
    assert "agreed" in silent["errors"]
    closed = reuse_api("canbo").post(base, dict(grant, agreed=True), status=403).json
    assert "hồ sơ" in closed["message"]                            # no open dossier of theirs at that desk
    old_notice = citizen.post(base, dict(grant, notice_version="TB-2020-01"), status=400,
                              check=validate_response).json
    assert "notice_version" in old_notice["errors"]
    no_recipient = citizen.post(base, dict(grant, recipients=[]), status=400).json
    assert "recipients" in no_recipient["errors"]
    other.post(base, grant, status=404)                            # another citizen: not found
    reuse_api("xuly").post(base, grant, status=403)                # processors do not record consent
    shared = citizen.post(base, grant, status=201).json
    assert shared["purposes"] == ["share"] and shared["recipients"] == ["Sở Tư pháp tỉnh Lào Cai"]

    one = f"{base}/{world.consent_online}"
    widened = citizen.patch(one, {"purposes": ["keep", "reuse", "share"]}, status=400).json
    assert "purposes" in widened["errors"]
    citizen.patch(one, {"purposes": "keep"}, status=400, check=validate_response)
    narrowed = citizen.patch(one, {"purposes": ["keep"]}).json
    assert narrowed["purposes"] == ["keep"] and narrowed["consequences"] is None
    assert narrowed["receipts"] == ["grant", "narrow-1"]
    assert verified(citizen.get(f"{one}/receipts/narrow-1").body, reuse_db.settings).ok
    citizen.get(f"{one}/receipts/nothing", status=404)
    other.get(f"{one}/receipts/grant", status=404)
    candidates = component(reuse_api("canbo2").get(f"/dossiers/{world.second}").json, "giay_khai_sinh")
    assert candidates["candidates"][0]["reusable"] is False           # reuse dropped: no longer offered

    at_desk = f"{base}/{world.consent_desk}"
    desk.post(f"{at_desk}/withdraw", status=400)                   # the person must ask at the desk
    done = desk.post(f"{at_desk}/withdraw", {"agreed": True}).json
    assert done["active"] is False and done["consequences"] == CONSEQUENCES
    citizen.post(f"{at_desk}/withdraw", status=409)
    citizen.patch(at_desk, {"purposes": ["keep"]}, status=409)
    assert citizen.get(f"{base}/nope", status=404, check=lambda r: r).json["error"] == "not_found"
    actions = [e["action"] for e in reuse_db.audit() if e["action"].startswith("consent_")]
    assert actions[-3:] == ["consent_grant", "consent_narrow", "consent_withdraw"]


def test_identify_at_the_desk(reuse_api):
    canbo = reuse_api("canbo")
    typed = canbo.post("/identify", {"text": OWNER}).json
    assert typed["subject_id"] == OWNER and typed["warehouse"]["name"] == "Nguyễn Văn An" and not typed["card"]
    qr = f"{OWNER}|012345678|Nguyễn Văn Ân|12051990|Nam|Cốc Lếu, Lào Cai|01022021"
    card = canbo.post("/identify", {"text": qr}).json
    assert card["card"]["birth_date"] == "1990-05-12" and len(card["mismatches"]) == 1
    assert "id" in canbo.post("/identify", {"text": "12345"}, status=400).json["errors"]
    reuse_api("congdan").post("/identify", {"text": OWNER}, status=403)


def test_catalogue_entries(reuse_api, reuse_db):
    admin = reuse_api("quantri")
    doctype = {"code": "GPLX", "name": "Giấy phép lái xe", "retention": "10y", "validity_months": 120}
    added = admin.post("/catalogues/doctypes", doctype, status=201).json
    assert added == {"code": "GPLX", "name": "Giấy phép lái xe", "retention": "10y", "validity_months": 120}
    replaced = admin.post("/catalogues/doctypes", dict(doctype, name="Giấy phép lái xe cơ giới")).json
    assert replaced["name"] == "Giấy phép lái xe cơ giới"
    assert reuse_api("canbo").get("/catalogues/doctypes/GPLX").json == replaced
    bad = admin.post("/catalogues/doctypes", dict(doctype, retention="forever"), status=400).json
    assert list(bad["errors"]) == ["doctypes[0] (GPLX) › retention"]
    admin.post("/catalogues/doctypes", {"code": "X"}, status=400, check=validate_response)
    procedure = {"code": "9.000001", "name": "Thủ tục thử", "level": "commune", "agency": "000.15.16.H10",
                 "time_limit_days": 2, "components": [{"key": "gplx", "name": "Giấy phép", "doctypes": ["GPLX"]}]}
    assert admin.post("/catalogues/procedures", procedure, status=201).json["components"][0]["doctypes"] == ["GPLX"]
    wrong = admin.post("/catalogues/procedures", dict(procedure, components=[
        {"key": "x", "name": "X", "doctypes": ["NOPE"]}]), status=400).json
    assert list(wrong["errors"]) == ["procedures[0] (9.000001) › components[0] › doctypes"]
    holiday = admin.post("/catalogues/holidays", {"date": "2026-12-31", "name": "Nghỉ bù"}, status=201).json
    assert reuse_api("congdan").get("/catalogues/holidays/2026-12-31").json == holiday
    desk = admin.post("/catalogues/desks", {"code": "000.17.16.H10", "level": "commune",
                                            "name": "Bộ phận Một cửa UBND xã A Mú Sung",
                                            "parent": "000.16.16.H10"}, status=201).json
    assert desk["code"] == "000.17.16.H10"
    assert admin.post("/catalogues/retention", {"code": "20y", "name": "20 năm", "years": 20},
                      status=201).json["permanent"] is False
    for name, code in (("procedures", "1.004227"), ("desks", "000.15.16.H10"), ("doctypes", "CCCD"),
                       ("retention", "10y")):    # what is read can be posted back as it is
        entry = admin.get(f"/catalogues/{name}/{code}").json
        assert admin.post(f"/catalogues/{name}", entry, status=200).json == entry
    reuse_api("canbo").post("/catalogues/doctypes", doctype, status=403)
    admin.get("/catalogues/doctypes/NOPE", status=404)
    admin.get("/catalogues/nothing/GKS", status=404, check=lambda r: r)
    reuse_api().get("/catalogues/doctypes/GKS", status=401)
    loads = [e for e in reuse_db.audit() if e["action"] == "load_catalogue"]
    assert [e["detail"]["source"] for e in loads][-6:] == [
        "api:desks", "api:retention", "api:procedures", "api:desks", "api:doctypes", "api:retention"]


def test_receipt_access(reuse_api, world):
    reuse_api("congdan2").get(f"/dossiers/{world.second}/receipt", status=404)   # not theirs
    reuse_api("canbo").get(f"/dossiers/{world.second}/receipt", status=403)
    reuse_api("xuly2").get(f"/dossiers/{world.first}/receipt", status=403)   # sees the dossier, not its desk
    first = reuse_api("buudien").get(f"/dossiers/{world.first}/receipt")
    assert first.body[:5] == b"%PDF-"


def test_every_reuse_route_is_in_the_openapi_document():
    """Each view of the route × role table has its path and method in the document."""
    from views.api.openapi import SPEC
    names = {"dossier": "D", "first": "F", "doc": "X", "consent": "C", "owner": OWNER, "request": "R",
             "token": "T"}
    documented = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), set(ops))
                  for path, ops in SPEC["paths"].items()]
    for view, (method, path, _, _) in matrix_reuse_api.CASES.items():
        path = path.format(**names)[len("/api/v1"):]
        assert any(p.match(path) and method.lower() in ops for p, ops in documented), (view, method, path)


def test_staff_seeing_consents_or_candidates_is_in_the_owner_s_log(reuse_api, world, reuse_db):
    """What staff see of a person (consents, receipts, the papers offered for
    reuse) is a read of personal data: logged under that person."""
    def metadata_reads():
        return [(e["actor"], e["detail"]) for e in reuse_db.audit()
                if e["action"] == "read_metadata" and e["subject"] == OWNER]
    before = len(metadata_reads())
    xuly = reuse_api("xuly")
    xuly.get(f"/subjects/{OWNER}/consents")
    xuly.get(f"/subjects/{OWNER}/consents/{world.consent_online}/receipts/grant")
    reuse_api("canbo2").get(f"/dossiers/{world.second}")
    reuse_api("congdan").get(f"/subjects/{OWNER}/consents")          # the owner's own reading: not listed
    seen = metadata_reads()[before:]
    assert [actor for actor, _ in seen] == ["xuly", "xuly", "canbo2"]
    assert set(seen[0][1]["consents"]) == {world.consent_desk, world.consent_online}
    assert seen[2][1] == {"seen": "reuse_candidates"}
