"""Who may read a paper's content, and why: the purpose rule of DESIGN.md.

- the owner reads their own papers;
- staff read for an open dossier of that owner that their unit handles (the
  receiving desk or the competent agency); a made-up code, another person's
  dossier, a closed one or another unit's is refused;
- the digitizer reads the scan they uploaded while it is being reviewed;
- records managers read for a records purpose from a fixed list;
- a deleted paper is gone for everyone but the records manager.

Reviewing a scan (its page images beside the recognised text, then
correcting and confirming it) is a read like any other: the digitizer under
"digitizing" while it is not confirmed, or anyone of a unit that handles the
owner's open dossier under that dossier (`review_refusal`).

Every read and every refusal goes to the audit trail, under the owner:
`read_content` (a file, the text, a viewing of the page images; detail.via
says which), `read_metadata` (a warehouse's or a paper's metadata seen by
someone else than its owner, purpose "metadata" or the purpose the paper was
opened with), `search_read` (repository.searching), `read_refused` and
`review_refused`."""
from . import audit
from . import roles as R
from .errors import Refused

DIGITIZING = "digitizing"
OWNER = "owner"
METADATA = "metadata"
RECORDS_PURPOSES = {
    "retention_review": "Xem xét thời hạn lưu trữ",
    "archive_transfer": "Giao nộp vào lưu trữ",
    "data_subject_request": "Giải quyết yêu cầu của chủ thể dữ liệu",
    "legal_hold": "Phong toả theo yêu cầu pháp lý",
}
GONE = "Giấy tờ đã bị xoá / the paper was deleted"


def root_of(obj):
    while getattr(obj, "__parent__", None) is not None:
        obj = obj.__parent__
    return obj


def is_gone(document, actor):
    """A deleted paper is gone (not found) for everyone but records managers,
    who see it and may restore it."""
    return bool(document.deleted) and not (actor is not None and R.RECORDS in actor.roles)


def purpose_refusal(document, actor, purpose):
    """Why actor may not read document for purpose (a message), or None."""
    from .dossiers import unit_handles
    purpose = (purpose or "").strip()
    if actor is None:
        return "Cần đăng nhập / authentication required"
    if is_gone(document, actor) or document.destroyed:
        return GONE
    if actor.subject_id and actor.subject_id == document.owner_id:
        return None
    if not purpose:
        return "Cán bộ cần nêu mục đích (hồ sơ đang xử lý của người này) để xem nội dung / state a purpose"
    if purpose in RECORDS_PURPOSES:
        return None if R.RECORDS in actor.roles else "Mục đích lưu trữ chỉ dành cho cán bộ lưu trữ"
    if purpose == DIGITIZING:
        if (document.created_by == actor.username and document.review_state != "confirmed"
                and not document.signed_by and not document.approved_in):
            return None
        return "Chỉ người số hoá giấy tờ đọc được bản quét khi đang soát xét / the digitizer only"
    dossier = root_of(document).dossiers.get(purpose)
    if dossier is None:
        return f"Không có hồ sơ {purpose} / no such dossier"
    if document.owner_id not in dossier.persons:
        return "Hồ sơ này không liên quan đến chủ của giấy tờ / the dossier is not this person's"
    if not dossier.is_open:
        return "Hồ sơ đã đóng / the dossier is closed"
    if not unit_handles(actor, dossier):
        return "Đơn vị của bạn không xử lý hồ sơ này / your unit does not handle this dossier"
    return None


def authorize_read(document, actor, purpose=None, via=None):
    """Log a read of document's content by actor and return the purpose, or
    raise Refused (the refusal is logged in a transaction of its own, since
    the request's is aborted). via says how it was read (open, download,
    page, api, text…), in the entry's detail."""
    refusal = purpose_refusal(document, actor, purpose)
    fields = dict(subject=document.owner_id, document=document.__name__)
    detail = {"via": via} if via else None
    if refusal is not None:
        audit.record_apart(document, actor, "read_refused", purpose=(purpose or "").strip() or None,
                           detail=dict(detail or {}, reason=refusal), **fields)
        raise Refused(refusal, code="purpose_refused")
    purpose = OWNER if actor.subject_id == document.owner_id else purpose.strip()
    audit.record(document, actor, "read_content", purpose=purpose, detail=detail, **fields)
    return purpose


def read_content(document, actor, purpose=None):
    """Open the original for reading, after logging who read it and why."""
    authorize_read(document, actor, purpose)
    return document.original.open("r")


def record_metadata_read(context, actor, subject, document=None, purpose=None, detail=None):
    """Log that actor saw metadata of subject's warehouse (document: of that
    paper): a read of personal data like any other, unless actor is the
    owner. Returns whether an entry was written."""
    if actor is None or (actor.subject_id and actor.subject_id == subject):
        return False
    audit.record(context, actor, "read_metadata", subject=subject, document=document,
                 purpose=purpose or METADATA, detail=detail)
    return True


def review_refusal(document, actor, purpose):
    """Why actor may not review the scan under purpose (a message), or None.
    Reviewing reads the content and then changes it: the purpose must let
    actor read the paper, and be the digitizing itself or a dossier (not the
    owner's own reading nor a records purpose)."""
    purpose = (purpose or "").strip()
    if actor is not None and is_gone(document, actor):
        return GONE
    if not purpose or purpose == OWNER or purpose in RECORDS_PURPOSES:
        return ("Soát xét cần mục đích: việc số hoá của chính bạn, hoặc hồ sơ của người này mà đơn vị "
                "bạn xử lý / reviewing needs your own digitizing or a dossier your unit handles")
    return purpose_refusal(document, actor, purpose)


def authorize_review(document, actor, purpose):
    """Check that actor may review (correct and confirm) the scan under
    purpose, the purpose its content was opened with; a refusal is logged
    apart and raised as Refused. Nothing is logged when it is allowed: the
    opening was the read, and the confirmation logs itself."""
    refusal = review_refusal(document, actor, purpose)
    if refusal is not None:
        audit.record_apart(document, actor, "review_refused", subject=document.owner_id,
                           document=document.__name__, purpose=(purpose or "").strip() or None,
                           detail={"reason": refusal})
        raise Refused(refusal, code="purpose_refused")
    return purpose


def review_purpose(document, actor):
    """The purpose under which actor may review a scan: the dossier it came
    with where their unit handles it, else the digitizing itself for the one
    who uploaded it; None when neither holds."""
    for purpose in (document.dossier_code, DIGITIZING):
        if purpose and review_refusal(document, actor, purpose) is None:
            return purpose
    return None
