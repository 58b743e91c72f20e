"""What a person's own pages and the API both show of their papers and
dossiers ("My papers", "My dossiers", corrections), and who may see them."""
import datetime
import tempfile

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.response import FileIter, Response

from repository import audit, corrections, verification
from repository.calendar import now_vn
from repository.export import write_export
from repository.reception import expiry_of, why_not_reusable
from repository.results import copy_bytes, result_of
from repository.verification import copies_of


def actor_label(root, username):
    """Who did it, as a person reads it: the account's full name, or the owner
    of the papers when they confirmed at the desk (no account session)."""
    if username.startswith("subject:"):
        warehouse = root.subjects.get(username.split(":", 1)[1])
        return (warehouse.name if warehouse is not None else username.split(":", 1)[1], True)
    user = root.accounts.users.get(username)
    return (user.fullname if user is not None else username, False)


def owner_only(request, warehouse):
    user = request.user
    if user is None or user.subject_id != warehouse.subject_id:
        raise HTTPForbidden()


def signers_of(document):
    report = document.signature_report or {}
    return [{"signer": s.get("signer") or "", "time": s.get("signing_time") or "",
             "ok": bool(s.get("intact") and s.get("trusted")), "field": s.get("field_name") or ""}
            for s in report.get("signatures") or ()]


def papers_of(root, warehouse, today=None):
    """The owner's papers in use, newest first, with what My papers shows."""
    today = today or now_vn().date()
    doctypes = root.catalogues.doctypes
    papers = []
    for document in warehouse.documents.in_use():
        status = verification.paper_status(root, document, today)
        report = document.signature_report or {}
        papers.append({
            "document": document,
            "status": status,
            "ends": expiry_of(document, doctypes.get(document.type_code)),
            "signed": bool(report.get("ok")),
            "signatures": signers_of(document),
            "reuse": why_not_reusable(root, warehouse, document, today),
            "copies": [{"code": c.code, "issued": c.issued, "status": verification.status_of(root, c, today),
                        "number": i} for i, c in enumerate(verification.copies_of(
                            root, warehouse.subject_id, document.__name__), 1)],
            "copyable": bool(report.get("ok")) and status == "in_force" and
            document.content_type == "application/pdf",
            "result_code": getattr(document, "result_code", None),
        })
    return papers


def dossiers_of(root, subject_id):
    """The person's dossiers, newest first, with their timelines, receipt and result."""
    catalogues = root.catalogues
    found = [root.dossiers[c] for c in root.dossiers.codes_for_person(subject_id) if c in root.dossiers]
    found.sort(key=lambda d: d.received, reverse=True)
    today = now_vn().date()
    out = []
    for dossier in found:
        result = result_of(root, dossier)
        out.append({
            "dossier": dossier,
            "procedure": getattr(catalogues.procedures.get(dossier.procedure_code), "name", dossier.procedure_code),
            "desk": getattr(catalogues.desks.get(dossier.desk), "name", dossier.desk),
            "agency": getattr(catalogues.desks.get(dossier.agency), "name", dossier.agency),
            "late": dossier.is_open and dossier.due < today,
            "timeline": [dict(event, who=actor_label(root, event["actor"])) for event in dossier.timeline],
            "result": result if result is not None and result.owner_id == subject_id and not result.deleted
            else None,
            "result_elsewhere": result is not None and result.owner_id != subject_id,
        })
    return out


def may_see_corrections(request, document):
    user = request.user
    if user is not None and user.subject_id == document.owner_id:
        return True
    return corrections.may_answer(request.kho_root, document, user)


SPOOL = 16 * 1024 * 1024       # an export larger than this goes to a temporary file on disk


def export_response(request, warehouse):
    """Write the owner's ZIP (spooled to disk when large) and answer it as a download."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    write_export(request.kho_root, warehouse, request.user, out)
    out.seek(0, 2)
    size = out.tell()
    out.seek(0)
    day = datetime.date.today().isoformat()
    response = Response(content_type="application/zip", app_iter=FileIter(out))
    response.content_length = size
    response.content_disposition = f'attachment; filename="kho-{warehouse.subject_id}-{day}.zip"'
    response.cache_control = "no-store"
    return response


def copy_response(request, document, number):
    """The copy's signed PDF, for the owner; one audit entry per download."""
    if request.user is None or request.user.subject_id != document.owner_id:
        raise HTTPForbidden()
    copies = copies_of(request.kho_root, document.owner_id, document.__name__)
    if not number.isdigit() or not 1 <= int(number) <= len(copies):
        raise HTTPNotFound()
    record = copies[int(number) - 1]
    if record.blob is None:             # the paper was destroyed (verification.forget_document)
        raise HTTPNotFound()
    audit.record(document, request.user, "read_content", subject=document.owner_id,
                 document=document.__name__, purpose="owner", detail={"via": "copy", "copy": int(number)})
    response = Response(body=copy_bytes(record), content_type="application/pdf")
    response.content_disposition = f'attachment; filename="{document.__name__}-sao-y-{number}.pdf"'
    response.cache_control = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
