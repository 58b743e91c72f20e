"""Who may read a paper's content, and why: the purpose rule of DESIGN.md.

- the owner reads their own papers;
- staff read for an open dossier of that owner that their unit handles (the
  receiving desk or the competent agency); a made-up code, another person's
  dossier, a closed one or another unit's is refused;
- the digitizer reads the scan they uploaded while it is being reviewed;
- records managers read for a records purpose from a fixed list.
Every read and every refusal goes to the audit trail, under the owner."""
from . import audit
from . import roles as R
from .errors import Refused

DIGITIZING = "digitizing"
RECORDS_PURPOSES = {
    "retention_review": "Xem xét thời hạn lưu trữ",
    "archive_transfer": "Giao nộp vào lưu trữ",
    "data_subject_request": "Giải quyết yêu cầu của chủ thể dữ liệu",
    "legal_hold": "Phong toả theo yêu cầu pháp lý",
}


def root_of(obj):
    while getattr(obj, "__parent__", None) is not None:
        obj = obj.__parent__
    return obj


def purpose_refusal(document, actor, purpose):
    """Why actor may not read document for purpose (a message), or None."""
    from .dossiers import unit_handles
    purpose = (purpose or "").strip()
    if actor is None:
        return "Cần đăng nhập / authentication required"
    if actor.subject_id and actor.subject_id == document.owner_id:
        return None
    if not purpose:
        return "Cán bộ cần nêu mục đích (hồ sơ đang xử lý của người này) để xem nội dung / state a purpose"
    if purpose in RECORDS_PURPOSES:
        return None if R.RECORDS in actor.roles else "Mục đích lưu trữ chỉ dành cho cán bộ lưu trữ"
    if purpose == DIGITIZING:
        if document.created_by == actor.username and document.review_state != "confirmed":
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


def authorize_read(document, actor, purpose=None):
    """Log a read of document's content by actor and return the purpose, or
    raise Refused (the refusal is logged in a transaction of its own, since
    the request's is aborted)."""
    refusal = purpose_refusal(document, actor, purpose)
    fields = dict(subject=document.owner_id, document=document.__name__)
    if refusal is not None:
        audit.record_apart(document, actor, "read_refused", purpose=(purpose or "").strip() or None,
                           detail={"reason": refusal}, **fields)
        raise Refused(refusal, code="purpose_refused")
    purpose = "owner" if actor.subject_id == document.owner_id else purpose.strip()
    audit.record(document, actor, "read_content", purpose=purpose, **fields)
    return purpose


def read_content(document, actor, purpose=None):
    """Open the original for reading, after logging who read it and why."""
    authorize_read(document, actor, purpose)
    return document.original.open("r")


def review_purpose(document, actor):
    """The purpose under which actor reviews a scan: the dossier it came with
    where their unit handles it, else the digitizing itself for the one who
    uploaded it; None when neither holds."""
    for purpose in (document.dossier_code, DIGITIZING):
        if purpose and purpose_refusal(document, actor, purpose) is None:
            return purpose
    return None
