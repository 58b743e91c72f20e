"""'Who used my papers': the owner's access log (/subjects/<id>/access-log),
newest first, paginated, filterable by paper.

Who may see it: the owner (a citizen sees only their own: another citizen
gets "not found", views.errors), the records manager (who answers data
subjects' requests) and the auditor. Other staff are refused (403): the log
tells which dossiers and units handled a person's papers. A staff member's
look is itself audited under the owner (`read_access_log`, not a use of a
paper, so not listed)."""
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from repository import roles as R
from repository.access_log import uses_of
from repository.errors import ValidationError
from repository.resources import Warehouse

from ..access_readers import audit_staff_look, check_reader
from . import _, translate

PAGE_SIZE = 20

ROLE_WORDS = {
    R.CITIZEN: _("A citizen or organisation"),
    R.OFFICER: _("A one-stop desk officer"),
    R.POSTAL: _("A postal clerk at a desk"),
    R.PROCESSOR: _("A dossier processor"),
    R.RECORDS: _("A records manager"),
    R.AUDITOR: _("An auditor"),
    R.ADMIN: _("An administrator"),
    "system": _("The system itself"),
}
CHANNEL_WORDS = {
    "at the desk": _("at a desk, in person"), "web page": _("web page of Kho"),
    "web page (download)": _("download from Kho"), "web page (text)": _("text shown by Kho"),
    "API": _("API (another system)"), "online": _("online, by the person"), "search": _("Kho search"),
}


def paging(request):
    """(page, paper) from the query; bad values are a 400 (ValidationError)."""
    try:
        page = int(request.params.get("page", 1))
    except ValueError:
        page = 0
    if page < 1 or page > 1_000_000:
        raise ValidationError({"page": "Số trang không hợp lệ / page must be a positive integer"})
    paper = (request.params.get("paper") or "").strip() or None
    if paper is not None and (len(paper) > 64 or not paper.isascii()):
        raise ValidationError({"paper": "Mã giấy tờ không hợp lệ / not a paper id"})
    return page, paper


def explain(request, entry):
    """The plain words for what happened."""
    action, dossier = entry["action"], entry.get("dossier")
    if action == "reuse":
        return translate(request, _("Reused for dossier ${dossier}", mapping={"dossier": dossier or "—"}))
    if action == "read_content":
        if dossier:
            return translate(request, _("Read the content, for dossier ${dossier}", mapping={"dossier": dossier}))
        return translate(request, _("Read the content"))
    if action == "read_metadata":
        return translate(request, _("Saw the paper's details (not its content)"))
    if action == "search_read" and entry.get("scope") == "metadata":
        return translate(request, _("A records search showed your papers' details (not their content)"))
    if action == "search_read":
        return translate(request, _("A search by staff showed excerpts of your papers"))
    if action == "audit_read":
        return translate(request, _("Read the audit trail's entries about your papers"))
    if action == "issue_copy":
        return translate(request, _("Issued an electronic copy"))
    return action


def localized(request, entry):
    """An entry of repository.access_log with its words in the request's language."""
    out = dict(entry)
    out["explanation"] = explain(request, entry)
    out["role_words"] = ", ".join(translate(request, ROLE_WORDS[r]) if r in ROLE_WORDS else r
                                  for r in entry["roles"])
    out["channel_words"] = translate(request, CHANNEL_WORDS[entry["channel"]]) \
        if entry.get("channel") in CHANNEL_WORDS else (entry.get("channel") or "")
    if entry["actor_name"] in ("Hệ thống", "Chủ giấy tờ tại quầy") and request.locale_name == "en":
        out["actor_name"] = "The system" if entry["actor_name"] == "Hệ thống" else "You, at the desk"
    if entry.get("records_purpose") and request.locale_name == "en":
        out["records_purpose"] = entry["purpose"]
    return out


@view_config(context=Warehouse, name="access-log", permission=NO_PERMISSION_REQUIRED,
             renderer="access_log.jinja2", request_method="GET")
def access_log_page(context, request):
    check_reader(request, context)
    page, paper = paging(request)
    entries, total = uses_of(context, context.subject_id, paper=paper, offset=(page - 1) * PAGE_SIZE,
                             limit=PAGE_SIZE)
    audit_staff_look(request, context, "page", paper)
    papers = sorted(((d.__name__, d.name) for d in context.documents.in_use()), key=lambda p: p[1] or "")
    pages = max(1, -(-total // PAGE_SIZE))
    return {"warehouse": context, "entries": [localized(request, e) for e in entries], "total": total,
            "page": page, "pages": pages, "paper": paper, "papers": papers,
            "own": request.user.subject_id == context.subject_id}
