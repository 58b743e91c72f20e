"""Destruction that really erases, and its signed certificate.

Public interface (the archive and rights features call these too)
------------------------------------------------------------------
destroy(root, target, actor, *, reason, schedule=None) -> [stub dict]
    target: a paper (Document), a Dossier (its own record and the papers
    digitized for it that nothing else keeps) or a Warehouse (every paper
    in it). Erases the original and derived blobs, the OCR text and word
    boxes, the summary and file name; queues the index deletion
    (indexing.touched) and the cached previews' removal (purge_derived);
    a metadata stub remains on the object (`.destroyed`: what it was,
    under which schedule, when, by whom, why). Held records are refused
    (Conflict). The bytes leave the storage at the next pack (pack()).
certify(root, stubs, actor, settings, *, basis, reason) -> Certificate
    the disposition certificate: a PDF listing what was destroyed, when,
    under which schedule, approved by whom, signed with the agency's
    `copy` profile (signatures.sign_as_agency); kept in
    retention.state_of(root).certificates and written to each stub.
purge_derived(root, cache_dir, index=None) -> int
    removes the cached previews of destroyed files (after commit); with
    the index, merges it once after destructions so that deleted entries
    leave its files (the app does that in the nightly run, `kho retention
    pack` before packing).
pack(db) -> None      a pack that keeps no `.old` copy of what it removed.
"""
import datetime
import os
import secrets
import shutil

from persistent import Persistent

from . import audit
from .errors import Conflict

CERTIFICATE_TITLE = "Biên bản huỷ tài liệu hết giá trị"
PURGE_HOOK = "kho_purge_derived"     # attribute of a ZODB DB: called after a destruction commits


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _stub(document, actor, reason, schedule):
    return {
        "target": f"paper:{document.owner_id}/{document.__name__}", "kind": "paper",
        "owner_id": document.owner_id, "document": document.__name__,
        "type_code": document.type_code, "name": document.name, "number": document.number,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "issuer": document.issuer, "created": document.created.isoformat(),
        "sha256": document.sha256, "size": document.size, "pages": document.pages,
        "schedule": schedule.code if schedule is not None else None,
        "schedule_name": schedule.name if schedule is not None else None,
        "reason": reason, "destroyed": utcnow().isoformat(), "by": actor.username,
        "certificate": None,
    }


def _erase_paper(root, document, actor, reason, schedule):
    from .indexing import touched
    from .retention import schedule_of, state_of
    schedule = schedule or schedule_of(root, document)
    stub = _stub(document, actor, reason, schedule)
    sha = document.sha256
    document.original = None
    document.derivatives.clear()
    document.ocr = None
    document.summary = ""
    document.filename = ""
    document.signature_report = None
    from .verification import forget_document
    forget_document(root, document.owner_id, document.__name__)      # its copies (sao y) go too
    document.destroyed = stub
    if not document.deleted:
        document.deleted = utcnow()
        document.__parent__.count_deletion(+1)
    if sha:
        state_of(root).purges.insert(sha)
    state_of(root).index_merge_due = True
    touched(root, document)                 # the index drops it after commit
    audit.record(document, actor, "destroy_document", subject=document.owner_id,
                 document=document.__name__,
                 detail={"schedule": stub["schedule"], "reason": reason, "sha256": sha})
    return stub


def destroy(root, target, actor, *, reason, schedule=None):
    """Erase target's content and leave a stub; returns the stubs written."""
    from .dossiers import Dossier
    from .resources import Document, Warehouse
    from .retention import dossiers_of_paper, holds_on
    reason = (reason or "").strip() or "Hết thời hạn lưu trữ"
    if getattr(target, "destroyed", None):
        raise Conflict("Đã huỷ trước đó / already destroyed")
    held = holds_on(root, target)
    if held:
        raise Conflict("Đang bị phong toả, không được huỷ / under a legal hold: " + held[0].reason)
    if isinstance(target, Document):
        stubs = [_erase_paper(root, target, actor, reason, schedule)]
    elif isinstance(target, Warehouse):
        stubs = []
        for document in list(target.documents.values()):
            if not document.destroyed:
                if holds_on(root, document):
                    raise Conflict(f"{document.name}: đang bị phong toả / under a legal hold")
                stubs.append(_erase_paper(root, document, actor, reason, None))
        target.destroyed = {"target": f"warehouse:{target.subject_id}", "kind": "warehouse",
                            "papers": len(stubs), "reason": reason, "destroyed": utcnow().isoformat(),
                            "by": actor.username}
        audit.record(target, actor, "destroy_warehouse", subject=target.subject_id,
                     detail={"papers": len(stubs), "reason": reason})
    elif isinstance(target, Dossier):
        stubs = []
        for owner_id, doc_id in sorted(target.attached_documents()):
            warehouse = root.subjects.get(owner_id)
            document = warehouse.documents.get(doc_id) if warehouse is not None else None
            if document is None or document.destroyed or document.digitized_for != target.code:
                continue          # reused from the warehouse: the paper keeps its own schedule
            others = dossiers_of_paper(document) - {target.code}
            if any(not getattr(root.dossiers.get(c), "destroyed", None) for c in others if c in root.dossiers):
                continue          # another dossier still keeps it
            if holds_on(root, document) or not own_schedule_over(root, document):
                continue          # held, or kept in the warehouse under its own schedule
            stubs.append(_erase_paper(root, document, actor, reason, schedule))
        from .retention import schedule_of
        schedule = schedule or schedule_of(root, target)
        stub = {"target": f"dossier:{target.code}", "kind": "dossier", "code": target.code,
                "procedure_code": target.procedure_code, "owner_id": target.applicant_id,
                "received": target.received.isoformat() if target.received else None,
                "status": target.status, "papers": [s["document"] for s in stubs],
                "schedule": schedule.code if schedule is not None else None,
                "schedule_name": schedule.name if schedule is not None else None,
                "reason": reason, "destroyed": utcnow().isoformat(), "by": actor.username,
                "certificate": None, "name": f"Hồ sơ {target.code}", "number": ""}
        for key in list(target.reuse_requests.keys()):
            target.reuse_requests.remove(key)
        for event in target.timeline:          # the actions stay, their free texts go
            event["detail"] = {}
        target.timeline._p_changed = True
        if getattr(target, "reason", None):
            target.reason = ""
        target.destroyed = stub
        audit.record(target, actor, "destroy_dossier", subject=target.applicant_id, purpose=target.code,
                     detail={"schedule": stub["schedule"], "reason": reason, "papers": stub["papers"]})
        stubs.append(stub)
    else:
        raise TypeError(f"cannot destroy {target!r}")
    _after_commit_purge(root)
    return stubs


def own_schedule_over(root, document, today=None):
    """Whether the paper's own schedule (its type's, from the end of its own
    use, without the dossiers that keep it) has run out."""
    from .retention import dates_for, paper_ended, schedule_of, today_vn
    today = today or today_vn()
    warehouse = document.__parent__.__parent__
    ended, _ = paper_ended(document, warehouse, today)
    date = dates_for(schedule_of(root, document), ended)[1]
    return date is not None and date <= today


def _after_commit_purge(root):
    conn = root._p_jar
    if conn is None:
        return
    db = conn.db()
    hook = getattr(db, PURGE_HOOK, None)

    def after(ok):
        if not ok:
            return
        scrub_commit_buffer(db.storage)
        if hook is not None:
            hook()
    conn.transaction_manager.get().addAfterCommitHook(after)


def scrub_commit_buffer(storage):
    """A FileStorage writes each transaction to Data.fs.tmp before Data.fs and
    never shortens that file: bytes of earlier transactions stay in it. Empty
    it (under the commit lock) once a destruction is committed."""
    tfile = getattr(storage, "_tfile", None)
    lock = getattr(storage, "_commit_lock", None)
    if tfile is None or lock is None:
        return
    with lock:
        tfile.seek(0)
        tfile.truncate()
        tfile.flush()


# --- derived files ----------------------------------------------------------------

def purge_derived(root, cache_dir, index=None):
    """Remove the cached previews of destroyed files, then forget them; with
    an index, merge it so that deleted entries leave its files. Returns how
    many files' previews were looked for. Commit the transaction after."""
    from .retention import state_of
    state = state_of(root)
    shas = list(state.purges)
    for sha in shas:
        if cache_dir:
            shutil.rmtree(os.path.join(cache_dir, "previews", sha[:2], sha), ignore_errors=True)
        state.purges.remove(sha)
    if index is not None and getattr(state, "index_merge_due", False):
        index.optimize()             # deleted entries stay in a segment's files until it is rewritten
        state.index_merge_due = False
    return len(shas)


def pack(db, days=0):
    """Pack the main database keeping no `.old` copy (FileStorage would keep
    Data.fs.old and blobs.old with every removed revision otherwise)."""
    import time
    storage = db.storage
    if hasattr(storage, "pack_keep_old"):
        storage.pack_keep_old = False
    db.pack(time.time() - days * 86400)
    scrub_commit_buffer(storage)


# --- the certificate --------------------------------------------------------------

class Certificate(Persistent):
    def __init__(self, cert_id, items, actor, reason, basis, pdf_blob):
        self.id, self.items, self.by, self.reason, self.basis = cert_id, items, actor, reason, basis
        self.made = utcnow()
        self.pdf = pdf_blob

    def as_dict(self):
        return {"id": self.id, "made": self.made.isoformat(), "by": self.by, "reason": self.reason,
                "basis": self.basis, "items": list(self.items)}

    def pdf_bytes(self):
        with self.pdf.open("r") as f:
            return f.read()


def certificate_pdf(data):
    """The certificate as (unsigned) PDF bytes: data has id, made (aware
    datetime), by_name, agency, reason, basis_label, items (stubs)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
    from reportlab.lib import colors
    from . import printing as P
    P._register_fonts()
    s = P._styles()
    width = P.PAGE_W - P.LEFT - P.RIGHT
    made = P._vn(data["made"], "made")
    story = [Paragraph(P._x(data["agency"]).upper(), s["center_bold"]),
             Spacer(1, 3 * mm), Paragraph(CERTIFICATE_TITLE.upper(), s["title"]),
             Spacer(1, 2 * mm),
             P._field_table([("Số biên bản", P._x(data["id"])),
                             ("Thời điểm huỷ", P._x(P._time_long(data["made"], "made"))),
                             ("Người phê duyệt", P._x(data["by_name"])),
                             ("Căn cứ", P._x(data["basis_label"])),
                             ("Lý do", P._x(data["reason"])),
                             ("Số tài liệu đã huỷ", str(len(data["items"])))], width),
             Spacer(1, 4 * mm)]
    header = ["STT", "Tài liệu", "Chủ sở hữu", "Thời hạn lưu trữ", "Mã kiểm tra (SHA-256)"]
    rows = [[Paragraph(f"<b>{h}</b>", s["cell"]) for h in header]]
    for i, item in enumerate(data["items"], 1):
        what = P._x(item.get("name") or "") + (f" số {P._x(item['number'])}" if item.get("number") else "")
        what += f"<br/>{P._x(item['target'])}"
        rows.append([Paragraph(str(i), s["cell"]), Paragraph(what, s["cell"]),
                     Paragraph(P._x(item.get("owner_id") or ""), s["cell"]),
                     Paragraph(P._x(item.get("schedule_name") or item.get("schedule") or ""), s["cell"]),
                     Paragraph(P._x((item.get("sha256") or "")[:32]), s["cell"])])
    table = Table(rows, colWidths=[10 * mm, 62 * mm, 30 * mm, 26 * mm, width - 128 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.94, 0.94, 0.94))]))
    story += [table, Spacer(1, 4 * mm),
              Paragraph("Nội dung (bản gốc, bản số hoá, văn bản nhận dạng, chỉ mục, ảnh xem trước) của các "
                        "tài liệu trên đã bị xoá không thể khôi phục; chỉ còn thông tin mô tả.", s["just"]),
              Paragraph(f"<i>Ngày {made:%d} tháng {made:%m} năm {made:%Y}</i>", s["center"])]
    return P._build(story, qr_payload=f"{data['id']}|{made:%Y-%m-%dT%H:%M}|{len(data['items'])}",
                    footer_text=P._footer(P.SYSTEM_NAME, data.get("verify_url")),
                    header_text=f"{CERTIFICATE_TITLE} - {data['id']}", title=CERTIFICATE_TITLE,
                    subject=f"{CERTIFICATE_TITLE} {data['id']}", author=P.SYSTEM_NAME)


BASIS = {"retention": "Hết thời hạn lưu trữ theo danh mục", "deletion_request": "Yêu cầu xoá dữ liệu của chủ thể",
         "transfer": "Đã chuyển giao vào lưu trữ lịch sử"}


def certify(root, stubs, actor, settings, *, basis, reason):
    """Make, sign and keep the certificate of a destruction; returns it."""
    from .blobs import blob_of
    from .retention import state_of
    from .signatures import agency_name, sign_as_agency
    if not stubs:
        raise Conflict("Không có gì đã huỷ / nothing was destroyed")
    cert_id = f"BBH-{utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
    made = utcnow()
    pdf = certificate_pdf({"id": cert_id, "made": made, "by_name": f"{actor.name} ({actor.username})"
                           if getattr(actor, "name", "") else actor.username,
                           "agency": agency_name(settings), "reason": reason,
                           "basis_label": BASIS.get(basis, basis), "items": stubs})
    signed = sign_as_agency(pdf, settings, CERTIFICATE_TITLE)
    blob = blob_of(signed)
    for stub in stubs:
        stub["certificate"] = cert_id
    items = tuple({k: v for k, v in stub.items()} for stub in stubs)
    certificate = Certificate(cert_id, items, actor.username, reason, basis, blob)
    certificate.made = made
    state_of(root).certificates[cert_id] = certificate
    _restamp(root, stubs)
    audit.record(root, actor, "disposition_certificate",
                 detail={"certificate": cert_id, "basis": basis, "items": [s["target"] for s in stubs]})
    return certificate


def _restamp(root, stubs):
    """Write the certificate id into the stubs kept on the objects."""
    from .retention import resolve
    for stub in stubs:
        target = resolve(root, stub["target"])
        if target is not None and getattr(target, "destroyed", None):
            target.destroyed = dict(target.destroyed, certificate=stub["certificate"])
