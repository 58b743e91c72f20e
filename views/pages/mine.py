"""The signed-in citizen's own pages: "My papers" (each paper, its validity,
where it came from, its signatures, download, electronic copies) and "My
dossiers" (states, due dates, timelines, receipts and results).

Both hang under the owner's warehouse (/subjects/<id>/papers, …/dossiers):
another citizen is refused by the warehouse's ACL and gets "not found"
(views.errors); staff, who have the warehouse page, get 403 here."""
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config

from repository import roles as R
from repository import verification
from repository.calendar import now_vn
from repository.reception import expiry_of, why_not_reusable
from repository.resources import Warehouse
from repository.results import result_of

from .dossiers import actor_label


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


@view_config(context=Warehouse, name="papers", permission=R.VIEW_WAREHOUSE, renderer="mine_papers.jinja2",
             request_method="GET")
def my_papers(context, request):
    owner_only(request, context)
    root = request.kho_root
    return {"warehouse": context, "papers": papers_of(root, context), "doctypes": root.catalogues.doctypes,
            "STATUS_LABELS": verification.STATUSES}


@view_config(context=Warehouse, name="dossiers", permission=R.VIEW_WAREHOUSE, renderer="mine_dossiers.jinja2",
             request_method="GET")
def my_dossiers(context, request):
    owner_only(request, context)
    return {"warehouse": context, "dossiers": dossiers_of(request.kho_root, context.subject_id)}
