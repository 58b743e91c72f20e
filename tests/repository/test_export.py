"""The person's rights: "all my data" as a ZIP that holds everything listed,
and corrections flagged by the owner, made by staff with a reason, history kept."""
import hashlib
import io
import json
import zipfile

import pytest
import transaction

from repository import corrections, rights
from repository.db import app_root, close_databases, open_databases
from repository.errors import Conflict, Refused, ValidationError
from repository.export import write_export
from repository.reading import authorize_read

OWNER = "001090012345"


@pytest.fixture
def reuse_root(reuse_settings):
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    yield app_root(conn)
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


def users(root):
    return root.accounts.users


def test_export_zip_holds_everything_listed(reuse_root, world):
    root = reuse_root
    warehouse = root.subjects[OWNER]
    id_card = warehouse.documents[world.id_card]
    authorize_read(id_card, users(root)["luutru"], "retention_review", via="open")   # a use to be logged
    corrections.flag(root, id_card, users(root)["congdan"], ["number"], "Số giấy tờ sai", {"number": "99/2020"})
    out = io.BytesIO()
    manifest = write_export(root, warehouse, users(root)["congdan"], out)
    z = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    names = set(z.namelist())
    for listed in ("README.txt", "manifest.json", "profile.json", "papers.json", "consents.json",
                   "dossiers.json", "access-log.json", "corrections.json"):
        assert listed in names, listed
    papers = json.loads(z.read("papers.json"))["papers"]
    assert {p["id"] for p in papers} == {world.id_card, world.birth}
    for paper in papers:       # the original byte for byte, the desk's signed copy
        document = warehouse.documents[paper["id"]]
        original = z.read(paper["folder"] + document.filename)
        assert hashlib.sha256(original).hexdigest() == document.sha256
        assert z.read(paper["folder"] + "signed.pdf").startswith(b"%PDF-")
    consents = json.loads(z.read("consents.json"))["consents"]
    assert {c["id"] for c in consents} == {world.consent_desk, world.consent_online}
    assert f"consents/{world.consent_desk}/grant.pdf" in names
    dossiers = json.loads(z.read("dossiers.json"))["dossiers"]
    assert {d["code"] for d in dossiers} == {world.first, world.second}
    assert any(e["action"] == "approved" for d in dossiers for e in d["timeline"])
    log = json.loads(z.read("access-log.json"))["entries"]
    assert any(e.get("actor") == "luutru" and e.get("action") == "read_content" for e in log)
    requests = json.loads(z.read("corrections.json"))["requests"]
    assert requests[0]["fields"] == ["number"] and requests[0]["status"] == "open"
    listed = json.loads(z.read("manifest.json"))
    for entry in listed["files"]:       # every file's SHA-256 holds
        assert hashlib.sha256(z.read(entry["name"])).hexdigest() == entry["sha256"]
    assert listed["counts"] == manifest["counts"] and manifest["counts"]["papers"] == 2
    # on the records queue: the export answered at once, the correction waiting with its 72 hours
    queued = {r.kind: r for r in rights.requests_of(root, OWNER)}
    assert queued["export"].status == rights.GRANTED and queued["export"].answered_by == "congdan"
    assert queued["correction"].status == rights.PENDING
    assert queued["correction"].deadline - queued["correction"].asked == rights.DEADLINE
    assert queued["correction"] in rights.open_requests(root)


def test_export_is_the_owner_s(reuse_root):
    root = reuse_root
    warehouse = root.subjects[OWNER]
    for name in ("congdan2", "canbo", "xuly2", "kiemtoan"):
        with pytest.raises(Refused):
            write_export(root, warehouse, users(root)[name], io.BytesIO())
    write_export(root, warehouse, users(root)["luutru"], io.BytesIO())     # answering a request


def test_correction_flagged_by_the_owner_made_by_staff_with_a_reason(reuse_root, world):
    root = reuse_root
    document = root.subjects[OWNER].documents[world.id_card]
    congdan, luutru, canbo = users(root)["congdan"], users(root)["luutru"], users(root)["canbo"]
    with pytest.raises(Refused):
        corrections.flag(root, document, users(root)["congdan2"], ["number"], "not mine")
    with pytest.raises(ValidationError) as exc:
        corrections.flag(root, document, congdan, ["number"], "   ")
    assert "note" in exc.value.errors
    with pytest.raises(ValidationError):
        corrections.flag(root, document, congdan, ["dossier_code"], "set at upload: not flaggable")
    request = corrections.flag(root, document, congdan, ["number", "issuer"], "Số và nơi cấp sai",
                               {"number": "99/2020"})
    assert request.deadline - request.asked == corrections.ANSWER_WITHIN
    assert [r for _, r in corrections.open_requests(root)] == [request]
    with pytest.raises(Conflict):
        corrections.flag(root, document, congdan, ["number"], "again")
    # a signed paper: the desk may no longer change it, the records manager does, with a reason
    with pytest.raises(Conflict):
        corrections.correct(root, document, request.id, canbo, {"number": "99/2020"}, "theo bản gốc")
    with pytest.raises(ValidationError) as exc:
        corrections.correct(root, document, request.id, luutru, {"number": "99/2020"}, "")
    assert "reason" in exc.value.errors
    assert document.number == "12/2020"
    corrections.correct(root, document, request.id, luutru, {"number": "99/2020", "issuer": "Công an tỉnh"},
                        "Đối chiếu bản gốc do công dân xuất trình")
    assert document.number == "99/2020" and document.issuer == "Công an tỉnh"
    assert request.status == corrections.CORRECTED and request.answered_by == "luutru"
    history = corrections.history_of(document)
    assert history[-1]["changes"] == {"number": ["12/2020", "99/2020"], "issuer": ["", "Công an tỉnh"]}
    assert history[-1]["reason"].startswith("Đối chiếu") and history[-1]["request"] == request.id
    assert corrections.open_requests(root) == []
    queued = rights.get(root, request.rights_request)
    assert queued.status == rights.GRANTED and queued.answer["changes"]["number"] == ["12/2020", "99/2020"]
    with pytest.raises(Conflict):
        corrections.refuse(root, document, request.id, luutru, "too late")
    second = corrections.flag(root, document, congdan, ["summary"], "Trích yếu thiếu")
    corrections.refuse(root, document, second.id, luutru, "Trích yếu đúng với bản gốc")
    assert second.status == corrections.REFUSED
    assert [r.id for r in corrections.requests_of(document)] == [request.id, second.id]


def test_correction_answered_from_the_records_queue(reuse_root, world):
    """A records manager answering on the queue grants with the owner's proposed values."""
    root = reuse_root
    document = root.subjects[OWNER].documents[world.birth]
    request = corrections.flag(root, document, users(root)["congdan"], ["issuer"], "Thiếu nơi cấp",
                               {"issuer": "UBND xã Bản Vược"})
    queued = rights.get(root, request.rights_request)
    rights.answer(root, queued, users(root)["luutru"], "grant", reason="Theo sổ đăng ký")
    assert document.issuer == "UBND xã Bản Vược" and request.status == corrections.CORRECTED
    assert queued.status == rights.GRANTED and queued not in rights.open_requests(root)
    assert corrections.history_of(document)[-1]["reason"] == "Theo sổ đăng ký"
