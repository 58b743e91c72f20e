"""The person's right to receive their data: "all my data" as one ZIP.

    README.txt                     what is in it (Vietnamese, then English)
    manifest.json                  every file with its size and SHA-256
    profile.json                   the warehouse: id, kind, name, birth date, sex
    papers.json                    every paper in use: its metadata, validity, signatures,
                                   provenance, copies, corrections; the papers taken out of
                                   use are listed (id, type, when) without their content
    papers/<n>-<id>/<file name>    the original, byte for byte
    papers/<n>-<id>/signed.pdf     the desk's signed searchable copy, where there is one
    papers/<n>-<id>/text.txt       the recognised (and reviewed) text, where there is one
    papers/<n>-<id>/copies/<k>.pdf the electronic copies (sao y) issued of it
    consents.json                  every consent with its history
    consents/<id>/<receipt>.pdf    the signed receipts (grant, narrow-n, withdrawal)
    dossiers.json                  every dossier that concerns the person, with its timeline
    access-log.json                who used the papers, when, for what (repository.access_log)
    corrections.json               the correction requests and the changes made for them

The owner downloads it (or a records manager answers a data-subject request
for them, under the records purpose); each export is in the audit trail under
the owner and on the records queue (repository.rights, when present), answered
at once. The ZIP is written to a file object (a temporary file), never held
whole in memory."""
import datetime
import hashlib
import json
import re
import zipfile

from . import audit
from . import roles as R
from .errors import Refused

PURPOSE = "data_subject_request"
ACCESS_PAGE = 500


def _json(value):
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default, sort_keys=True).encode("utf-8")


def _default(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "items"):
        return dict(value)
    if hasattr(value, "__iter__"):
        return list(value)
    return str(value)


def _safe(name):
    """A file name for inside the ZIP: no folders, no odd characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.UNICODE).strip(" .") or "file"
    return name[:120]


def _read(blob):
    with blob.open("r") as f:
        return f.read()


def may_export(actor, warehouse):
    """The owner, or a records manager answering their request."""
    return bool(actor is not None and ((actor.subject_id and actor.subject_id == warehouse.subject_id)
                                       or R.RECORDS in actor.roles))


def access_log(root, owner_id):
    """Every use of the owner's papers, newest first (repository.access_log;
    the audit entries under the owner where it is not there)."""
    try:
        from .access_log import uses_of
    except ImportError:
        uses_of = None
    if uses_of is not None:
        entries, offset = [], 0
        while True:
            page, total = uses_of(root, owner_id, offset=offset, limit=ACCESS_PAGE)
            entries += page
            offset += len(page)
            if not page or offset >= total:
                return entries
    log = audit.audit_log(audit._connection_of(root))
    return list(reversed(log.for_subject(owner_id)))


def paper_json(root, document):
    from .corrections import history_of, requests_of
    from .verification import copies_of
    report = document.signature_report or {}
    return {
        "id": document.__name__, "type_code": document.type_code,
        "type_name": getattr(root.catalogues.doctypes.get(document.type_code), "name", None),
        "name": document.name, "number": document.number, "issue_date": document.issue_date,
        "issuer": document.issuer, "summary": document.summary, "valid_from": document.valid_from,
        "valid_until": document.valid_until, "validity_scope": document.validity_scope,
        "state": document.state, "effective_state": document.effective_state(),
        "provenance": document.provenance, "extraction": document.extraction,
        "dossier_code": document.dossier_code, "procedure_code": document.procedure_code,
        "approved_in": list(document.approved_in or ()),
        "file": {"name": document.filename, "content_type": document.content_type, "size": document.size,
                 "sha256": document.sha256, "pages": document.pages},
        "created": document.created, "created_by": document.created_by, "modified": document.modified,
        "review_state": document.review_state, "signed_by": document.signed_by,
        "signatures": [{"signer": s.get("signer"), "time": s.get("signing_time"),
                        "valid": bool(s.get("ok"))} for s in report.get("signatures") or ()],
        "copies": [{"code": c.code, "issued": c.issued} for c in
                   copies_of(root, document.owner_id, document.__name__)],
        "correction_requests": [r.as_dict() for r in requests_of(document)],
        "metadata_history": history_of(document),
    }


def dossier_json(root, dossier, owner_id):
    from .archive import transfer_of
    catalogues = root.catalogues
    components = {}
    for key, attachments in dossier.components.items():
        components[key] = [dict(a.as_dict(), document=a.doc_id if a.owner_id == owner_id else None,
                                owner_id=a.owner_id if a.owner_id == owner_id else "another person")
                           for a in attachments]
    transfer = transfer_of(dossier)
    return {
        "code": dossier.code, "procedure_code": dossier.procedure_code,
        "procedure": getattr(catalogues.procedures.get(dossier.procedure_code), "name", None),
        "desk": dossier.desk, "desk_name": getattr(catalogues.desks.get(dossier.desk), "name", None),
        "agency": dossier.agency, "agency_name": getattr(catalogues.desks.get(dossier.agency), "name", None),
        "role": "applicant" if dossier.applicant_id == owner_id else "other person",
        "channel": dossier.channel, "status": dossier.status, "outcome": dossier.outcome,
        "reason": dossier.reason, "received": dossier.received, "due": dossier.due,
        "resolved": dossier.resolved, "components": components,
        "timeline": [{"time": e["time"], "actor": e["actor"], "action": e["action"],
                      "detail": e.get("detail") or {}} for e in dossier.timeline],
        "archive_transfer": {"time": transfer["time"], "package": transfer["package"]} if transfer else None,
    }


README = """Dữ liệu của bạn trong Kho ({owner}), xuất lúc {when}

profile.json       thông tin kho của bạn
papers.json        thông tin từng giấy tờ (siêu dữ liệu, hiệu lực, chữ ký, bản sao, đính chính)
papers/            tệp gốc của từng giấy tờ, bản đã ký số, văn bản nhận dạng, bản sao điện tử
consents.json      các sự đồng ý và lịch sử của chúng; consents/: phiếu ghi nhận đã ký số
dossiers.json      các hồ sơ thủ tục hành chính liên quan đến bạn và diễn biến
access-log.json    nhật ký: ai đã dùng giấy tờ của bạn, khi nào, cho việc gì
corrections.json   các đề nghị đính chính và thay đổi đã thực hiện
manifest.json      danh sách tệp với mã băm SHA-256

Your data in Kho ({owner}), exported at {when}: your warehouse (profile.json), each
paper's metadata (papers.json) and files (papers/), your consents and their signed
receipts, the dossiers that concern you, the access log (who used your papers, when,
for what), your correction requests, and manifest.json (every file's SHA-256).
"""


def write_export(root, warehouse, actor, out, now=None):
    """Write the owner's ZIP into the binary file object `out`; returns the
    manifest (a dict: files, counts). Audited under the owner; put on the
    records queue answered."""
    if not may_export(actor, warehouse):
        raise Refused("Chỉ chủ kho tải được toàn bộ dữ liệu của mình / the owner only")
    from .corrections import requests_of
    from .results import copy_bytes
    from .verification import copies_of
    now = now or datetime.datetime.now(datetime.timezone.utc)
    owner = warehouse.subject_id
    files = []

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def put(name, data, compress=True):
            archive.writestr(zipfile.ZipInfo(name, date_time=_zip_time(now)), data,
                             compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
            files.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})

        put("profile.json", _json({
            "subject_id": owner, "kind": warehouse.kind, "name": warehouse.name,
            "birth_date": warehouse.birth_date, "sex": warehouse.sex, "created": warehouse.created}))
        papers, corrections = [], []
        from .signatures import SIGNED
        for n, document in enumerate(reversed(warehouse.documents.in_use()), 1):
            folder = f"papers/{n:03d}-{document.__name__}/"
            put(folder + _safe(document.filename), _read(document.original), compress=False)
            if SIGNED in document.derivatives:
                put(folder + "signed.pdf", _read(document.derivatives[SIGNED]), compress=False)
            if document.text:
                put(folder + "text.txt", document.text.encode("utf-8"))
            for k, record in enumerate(copies_of(root, owner, document.__name__), 1):
                put(folder + f"copies/{k}.pdf", copy_bytes(record), compress=False)
            entry = paper_json(root, document)
            entry["folder"] = folder
            papers.append(entry)
            corrections += [r.as_dict() for r in requests_of(document)]
        out_of_use = [{"id": d.__name__, "type_code": d.type_code, "taken_out_of_use": d.deleted,
                   "destroyed": bool(getattr(d, "destroyed", None))}
                      for d in warehouse.documents.deleted()]
        put("papers.json", _json({"papers": papers, "taken_out_of_use": out_of_use}))
        consents = []
        for consent in sorted(warehouse.consents.values(), key=lambda c: c.granted):
            consents.append(consent.as_dict())
            for name, blob in sorted(consent.receipts.items()):
                put(f"consents/{consent.id}/{_safe(name)}.pdf", _read(blob), compress=False)
        put("consents.json", _json({"consents": consents}))
        dossiers = [root.dossiers[c] for c in root.dossiers.codes_for_person(owner) if c in root.dossiers]
        dossiers.sort(key=lambda d: d.received)
        put("dossiers.json", _json({"dossiers": [dossier_json(root, d, owner) for d in dossiers]}))
        log = access_log(root, owner)
        put("access-log.json", _json({"entries": log, "total": len(log)}))
        put("corrections.json", _json({"requests": corrections}))
        put("README.txt", README.format(owner=owner, when=now.isoformat()).encode("utf-8"))
        manifest = {"owner": owner, "exported": now.isoformat(), "files": list(files),
                    "counts": {"papers": len(papers), "consents": len(consents), "dossiers": len(dossiers),
                               "access_log": len(log), "corrections": len(corrections)}}
        archive.writestr(zipfile.ZipInfo("manifest.json", date_time=_zip_time(now)), _json(manifest))
    queued = _queue(root, actor, owner, manifest["counts"])
    audit.record(warehouse, actor, "export_data", subject=owner,
                 purpose="owner" if actor.subject_id == owner else PURPOSE,
                 detail=dict(manifest["counts"], request=queued))
    return manifest


def _zip_time(moment):
    from .calendar import in_vn
    local = in_vn(moment)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _queue(root, actor, owner, counts):
    """The export on the records queue (repository.rights), answered at once:
    the person asked and received. Only the owner files there (a records
    manager exporting for them answers a request already on the queue)."""
    rights = _rights()
    if rights is None or actor.subject_id != owner:
        return None
    made = rights.file_request(root, actor, "export", f"warehouse:{owner}", dict(counts))
    rights.answer(root, made, actor, "grant", reason="Đã tải về / downloaded")
    return made.id


def _rights():
    try:
        from . import rights
    except ImportError:
        return None
    rights.KINDS.setdefault("export", "repository.export:EXPORT")
    return rights


def _answer_kind(root, queued, actor, decision, reason, settings):
    if decision == "refuse" and not reason:
        from .errors import ValidationError
        raise ValidationError({"reason": "Cần nêu căn cứ từ chối / state the legal ground"})
    return {"exported": dict(queued.detail), "reason": reason}


def _kind():
    try:
        from .rights import Kind
    except ImportError:
        return None
    return Kind("export", "Yêu cầu nhận dữ liệu (tải toàn bộ dữ liệu)", targets=("warehouse",),
                answer=_answer_kind)


EXPORT = _kind()
if EXPORT is not None:
    _rights()
