"""Retention, holds, disposition that really erases, the certificate, and
the person's deletion request, on the reuse world (tests/reuse_world.py)
with real OCR, a real index, real signatures and a real pack."""
import datetime
import io
import os
import subprocess
import sys

import pytest
import transaction
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from repository import disposition, retention, rights
from repository.db import app_root, close_databases, open_databases
from repository.errors import Conflict, ValidationError
from repository.indexing import Indexer
from repository.operations import add_document

from ..files import FONT

OWNER = "001090012345"
MARKER = b"KHOMARKER-3f9a7c21e5"        # in the PNG's text chunk: the original's bytes
WORD = "QUOKKAZEBRA"                     # on the page: the OCR text, the word boxes, the index
ROOT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def opened(reuse_settings):
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    yield db, conn, reuse_settings
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


def user(root, name):
    return root.accounts.users[name]


def scan_png(word=WORD):
    """An administrative page (tests/ocr/scans.py) with one more line that
    carries the distinctive word; the marker in the PNG's text chunk."""
    from ..ocr.scans import render_official_header_page
    page = render_official_header_page(dpi=300)
    img = Image.new("RGB", (page.width, page.height + 200), (250, 250, 247))
    img.paste(page, (0, 0))
    ImageDraw.Draw(img).text((295, page.height + 40), f"Mã riêng của giấy: {word} 2026",
                             fill=(20, 20, 25), font=ImageFont.truetype(FONT, 50))
    info = PngInfo()
    info.add_text("Comment", MARKER.decode())
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info, dpi=(300, 300))
    return out.getvalue()


def add(root, meta, data=None, actor="canbo"):
    from ..files import pdf_bytes
    return add_document(root, root.subjects[OWNER], data or pdf_bytes(text="GIẤY THỬ"), "x.pdf",
                        dict({"provenance": "uploaded"}, **meta), user(root, actor))


def test_the_schedule_of_each_kind(opened, world):
    db, conn, settings = opened
    root = app_root(conn)
    today = datetime.date(2026, 12, 1)
    wh = root.subjects[OWNER]
    birth = wh.documents[world.birth]
    d = retention.disposition_of(root, birth, today)
    assert d.schedule.code == "permanent" and d.permanent and d.date is None and d.status == "permanent"
    id_card = wh.documents[world.id_card]           # 10y, in force, a component of the approved dossier
    d = retention.disposition_of(root, id_card, today)
    assert d.schedule.years == 10 and d.ended is None and d.status == "running"
    # a passport whose validity ended in 2015: kept to the end of 2025, due from 01/01/2026
    passport = add(root, {"type_code": "HC", "valid_until": "2015-06-30"})
    d = retention.disposition_of(root, passport, today)
    assert (d.ended, d.basis) == (datetime.date(2015, 6, 30), "validity_ended")
    assert d.retained_until == datetime.date(2025, 12, 31) and d.date == datetime.date(2026, 1, 1)
    assert d.due and d.status == "due"
    # revoked / superseded start the count on the event's day
    card = add(root, {"type_code": "CCCD"})
    assert retention.disposition_of(root, card, today).status == "running"
    retention.record_event(root, card, "revoked", user(root, "luutru"), on=datetime.date(2019, 3, 1))
    d = retention.disposition_of(root, card, today)
    assert card.state == "revoked" and d.basis == "revoked" and d.date == datetime.date(2030, 1, 1)
    other = add(root, {"type_code": "QDTV"})
    retention.record_event(root, other, "superseded", user(root, "luutru"), on=datetime.date(2016, 5, 5))
    assert retention.disposition_of(root, other, today).date == datetime.date(2027, 1, 1)
    with pytest.raises(ValidationError):
        retention.record_event(root, other, "dossier_closed", user(root, "luutru"))
    # the owner deceased: every paper's count starts
    bscv = add(root, {"type_code": "BSCT"})
    retention.record_event(root, wh, "owner_deceased", user(root, "luutru"), on=datetime.date(2014, 1, 2))
    d = retention.disposition_of(root, bscv, today)
    assert d.basis == "owner_deceased" and d.date == datetime.date(2025, 1, 1) and d.due
    # dossiers: the approved one closed today (its procedure's 10y), the open one runs
    first, second = root.dossiers[world.first], root.dossiers[world.second]
    d = retention.disposition_of(root, first, today)
    assert d.schedule.code == "10y" and d.basis == "dossier_closed"
    assert d.date == datetime.date(datetime.date.today().year + 11, 1, 1)
    assert retention.disposition_of(root, second, today).status == "running"
    # a paper of a dossier is kept at least as long as the dossier
    retention.record_event(root, id_card, "superseded", user(root, "luutru"), on=datetime.date(2010, 1, 1))
    d = retention.disposition_of(root, id_card, today)
    assert d.date == retention.disposition_of(root, first, today).date and not d.due
    assert d.as_dict()["schedule"]["code"] == "10y"


def test_a_hold_blocks_disposition(opened, world):
    db, conn, settings = opened
    root = app_root(conn)
    luutru = user(root, "luutru")
    passport = add(root, {"type_code": "HC", "valid_until": "2015-06-30"})
    key = retention.key_of(passport)
    with pytest.raises(ValidationError):
        retention.place_hold(root, f"warehouse:{OWNER}", luutru, "  ")
    hold = retention.place_hold(root, f"warehouse:{OWNER}", luutru, "Tranh chấp tại toà án, vụ 12/2026")
    report = retention.run(root, luutru)
    assert key in report.held and key not in report.due and key not in retention.state_of(root).queue
    with pytest.raises(Conflict):
        disposition.destroy(root, passport, luutru, reason="x")
    retention.release_hold(root, hold.id, luutru, "Toà đã xử xong")
    report = retention.run(root, luutru)
    assert key in report.queued and retention.state_of(root).queue[key].state == "pending"
    # held again after queuing: approval is refused, nothing is destroyed
    retention.place_hold(root, key, luutru, "Thanh tra")
    with pytest.raises(Conflict):
        retention.approve(root, [key], luutru, settings)
    assert passport.original is not None and not passport.destroyed


def test_defer_and_the_validity_reindex(opened):
    db, conn, settings = opened
    root = app_root(conn)
    luutru = user(root, "luutru")
    passport = add(root, {"type_code": "HC", "valid_until": "2015-06-30"})
    # indexed while in force (stamped before its validity ended), now past its date
    passport.modified = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    root.index_queue.pending.clear()
    dry = retention.run(root, luutru, dry_run=True)
    assert passport in dry.revalidated and not retention.state_of(root).queue and not len(root.index_queue.pending)
    report = retention.run(root, luutru)
    assert passport in report.revalidated and f"{OWNER}/{passport.__name__}" in root.index_queue.pending
    key = retention.key_of(passport)
    with pytest.raises(ValidationError):
        retention.defer(root, [key], luutru, until="2020-01-01", reason="x")
    later = datetime.date.today() + datetime.timedelta(days=30)
    retention.defer(root, [key], luutru, until=later.isoformat(), reason="Chờ ý kiến sở")
    assert retention.state_of(root).queue[key].state == "deferred"
    assert key not in retention.run(root, luutru).requeued
    assert key in retention.run(root, luutru, today=later).requeued


def files_containing(base, needles):
    found = []
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                data = f.read()
            if any(n in data for n in needles):
                found.append(path)
    return found


@pytest.mark.slow
def test_destruction_erases_the_content_after_pack(opened, tmp_path):
    """The paper's bytes (a marker in its file), its OCR text and word boxes,
    its index entry and its cached previews leave every file under the
    storage directory once it is approved and the database packed."""
    from repository.ocr_jobs import OcrWorker
    from views.previews import render_preview
    db, conn, settings = opened
    tm = conn.transaction_manager
    base = settings["kho.var"]
    with tm:
        root = app_root(conn)
        document = add_document(root, root.subjects[OWNER], scan_png(), "scan.png",
                                {"type_code": "HC", "valid_until": "2015-06-30", "provenance": "digitized"},
                                user(root, "canbo"))
        doc_id = document.__name__
    worker = OcrWorker(db, settings)
    try:
        while worker.run_one():
            pass
    finally:
        worker.close()
    indexer = Indexer(db, settings["kho.index_dir"])
    indexer.process_pending()
    needles = [MARKER, WORD.encode(), WORD.lower().encode()]
    with tm:
        root = app_root(conn)
        document = root.subjects[OWNER].documents[doc_id]
        assert WORD in document.text, document.text
        for variant in ["original"] + list(document.derivatives):
            render_preview(document, 1, 300, settings["kho.cache_dir"], variant)
    assert indexer.index.search(WORD.lower()).total == 1
    assert files_containing(base, needles)          # the content is there before
    with tm:
        root = app_root(conn)
        luutru = user(root, "luutru")
        key = f"paper:{OWNER}/{doc_id}"
        assert key in retention.run(root, luutru).queued
        certificate = retention.approve(root, [key], luutru, settings)
        cert_id = certificate.id
    indexer.process_pending()
    with tm:
        assert disposition.purge_derived(app_root(conn), settings["kho.cache_dir"], indexer.index) == 1
    indexer.close()
    disposition.pack(db)
    db.pack()                                       # a plain pack keeps no .old copy either
    assert files_containing(base, needles) == []
    with tm:
        root = app_root(conn)
        stub = root.subjects[OWNER].documents[doc_id]
        assert stub.original is None and stub.ocr is None and not stub.derivatives
        assert stub.destroyed["certificate"] == cert_id and stub.destroyed["schedule"] == "10y"
        assert stub.destroyed["by"] == "luutru" and stub.type_code == "HC"
        assert retention.state_of(root).queue[key].state == "destroyed"


def nss_for(settings, directory):
    import shutil
    if not (shutil.which("certutil") and shutil.which("pdfsig")):
        pytest.skip("certutil/pdfsig not installed")
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "kho-root", "-t", "CT,C,C", "-i", settings["kho.trust_roots"],
                    "-d", f"sql:{directory}"], check=True, capture_output=True)
    return directory


def test_the_certificate_verifies(opened, tmp_path):
    db, conn, settings = opened
    root = app_root(conn)
    luutru = user(root, "luutru")
    passport = add(root, {"type_code": "HC", "number": "B1234567", "valid_until": "2015-06-30"})
    key = retention.key_of(passport)
    retention.run(root, luutru)
    certificate = retention.approve(root, [key], luutru, settings, reason="Hết hạn lưu trữ 10 năm")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate.pdf_bytes())
    verify = subprocess.run([sys.executable, "-m", "repository.cli", "verify", str(path), "--trust",
                             settings["kho.trust_roots"]], cwd=ROOT_DIR, capture_output=True, text=True)
    assert verify.returncode == 0 and "VALID" in verify.stdout, verify.stdout + verify.stderr
    proc = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss_for(settings, tmp_path / 'nss')}", str(path)],
                          capture_output=True, text=True)
    assert "Signature is Valid" in proc.stdout and "Certificate is Trusted" in proc.stdout, proc.stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "B1234567" in text and "10 năm" in text and "luutru" in text and certificate.id in text


def test_a_deletion_request_granted_and_one_refused(opened, world):
    db, conn, settings = opened
    root = app_root(conn)
    citizen, luutru = user(root, "congdan"), user(root, "luutru")
    mine = add(root, {"type_code": "QDTV"})               # kept by the person only: no rule binds it
    granted = rights.file_request(root, citizen, "delete", f"paper:{OWNER}/{mine.__name__}")
    assert granted.deadline - granted.asked == datetime.timedelta(hours=72)
    with pytest.raises(ValidationError):                  # another's warehouse
        rights.file_request(root, user(root, "congdan2"), "delete", f"warehouse:{OWNER}")
    refused = rights.file_request(root, citizen, "delete", f"paper:{OWNER}/{world.id_card}")
    assert [r.id for r in rights.open_requests(root)] == [granted.id, refused.id]
    # the id card is a component of the approved dossier: its rule stops the deletion
    with pytest.raises(Conflict):
        rights.answer(root, refused, luutru, "grant", settings=settings)
    rights.answer(root, refused, luutru, "refuse")
    assert refused.status == "refused" and refused.answer["rules"][0]["rule"] == "10y"
    assert "10 năm" in refused.answer["reason"]
    with pytest.raises(ValidationError):                  # no rule keeps it: a refusal needs a ground
        rights.answer(root, granted, luutru, "refuse")
    rights.answer(root, granted, luutru, "grant", settings=settings)
    assert granted.status == "granted" and mine.destroyed and mine.original is None
    assert granted.answer["certificate"] in retention.state_of(root).certificates
    assert rights.open_requests(root) == []
    with pytest.raises(Conflict):
        rights.answer(root, granted, luutru, "refuse", reason="x")
    # the whole warehouse: refused with the rules (a permanent birth certificate among them)
    whole = rights.file_request(root, citizen, "delete", f"warehouse:{OWNER}")
    rights.answer(root, whole, luutru, "refuse")
    assert {r["rule"] for r in whole.answer["rules"]} == {"10y", "permanent"}
    # another kind (the export) met at once: on the queue's history, granted
    export = rights.file_answered(root, citizen, "export", f"warehouse:{OWNER}")
    assert export.status == "granted" and export not in rights.open_requests(root)


def test_the_catalogue_names_the_procedures_schedule(opened):
    from repository.catalogue_file import load_one
    db, conn, settings = opened
    root = app_root(conn)
    assert root.catalogues.procedures["1.000894"].retention == "permanent"
    proc = dict(root.catalogues.procedures["1.004227"].as_dict(), retention="forever")
    with pytest.raises(ValidationError) as exc:
        load_one(root, "procedures", proc, user(root, "quantri"))
    assert "retention" in str(exc.value)
    load_one(root, "procedures", dict(proc, retention="5y"), user(root, "quantri"))
    assert retention.schedule_of(root, next(iter(root.dossiers.values()))).code in ("5y", "10y")


def test_destroying_a_dossier_keeps_what_the_warehouse_still_keeps(opened, world):
    db, conn, settings = opened
    root = app_root(conn)
    luutru = user(root, "luutru")
    first = root.dossiers[world.first]
    id_card = root.subjects[OWNER].documents[world.id_card]
    retention.record_event(root, id_card, "superseded", luutru, on=datetime.date(2010, 1, 1))
    stubs = disposition.destroy(root, first, luutru, reason="Hết hạn")
    # the superseded ID card (10 years from 2010: over) goes; the birth certificate (permanent) stays
    assert [s["kind"] for s in stubs] == ["paper", "dossier"] and stubs[0]["document"] == world.id_card
    assert id_card.destroyed and not root.subjects[OWNER].documents[world.birth].destroyed
    assert first.destroyed["papers"] == [world.id_card] and all(not e["detail"] for e in first.timeline)
    assert retention.disposition_of(root, first).status == "destroyed"
    with pytest.raises(Conflict):
        disposition.destroy(root, first, luutru, reason="again")


def test_the_nightly_thread_waits_for_its_hour():
    from repository.calendar import now_vn
    thread = retention.NightlyThread(None, {}, at="02:00")
    now = now_vn().replace(hour=1, minute=0, second=0, microsecond=0)
    assert thread.seconds_to_next(now) == 3600
    assert thread.seconds_to_next(now.replace(hour=3)) == 23 * 3600
