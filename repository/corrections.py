"""The person's right to correction (RULES-VN "Consent and personal data"):
the owner flags wrong metadata of a paper with a note; staff correct it with
a reason, through the same path as any change of metadata
(repository.operations.update_metadata: edit_refusal decides who may, and a
signed or used paper is corrected by a records manager only), or refuse it
with a reason. Answered within 72 hours: each request is on the records
queue (repository.rights, when present) with its deadline.

The history is kept on the paper: its correction requests
(`document.correction_requests`, newest last) and every change made for
them (`document.metadata_history`: when, who, why, each field's old and new
value). An index of the open requests (`root.correction_requests`) lets a
records manager list them without walking the warehouses.

Public interface
----------------
flag(root, document, actor, fields, note, proposed=None) -> CorrectionRequest
correct(root, document, request_id, actor, changes, reason) -> CorrectionRequest
refuse(root, document, request_id, actor, reason) -> CorrectionRequest
requests_of(document) -> [CorrectionRequest];  history_of(document) -> [dict]
open_requests(root) -> [(document, CorrectionRequest)]
may_answer(root, document, actor) -> bool"""
import datetime
import secrets

from persistent import Persistent
from persistent.list import PersistentList

from . import audit
from . import roles as R
from .errors import NOT_A_STRING, Conflict, Refused, ValidationError

OPEN, CORRECTED, REFUSED = "open", "corrected", "refused"
STATES = {OPEN: "Đang chờ xử lý", CORRECTED: "Đã đính chính", REFUSED: "Không đính chính"}
ANSWER_WITHIN = datetime.timedelta(hours=72)
MAX_NOTE = 2000
MAX_VALUE = 500


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def flaggable():
    """The fields an owner may flag: the editable metadata but what the paper was digitized for."""
    from .operations import EDITABLE, FIXED_AFTER_UPLOAD
    return tuple(f for f in EDITABLE if f not in FIXED_AFTER_UPLOAD)


FIELD_LABELS = {
    "type_code": "Loại giấy tờ", "name": "Tên giấy tờ", "number": "Số, ký hiệu", "issue_date": "Ngày cấp",
    "issuer": "Cơ quan cấp", "summary": "Trích yếu", "valid_from": "Có hiệu lực từ",
    "valid_until": "Hết hiệu lực", "validity_scope": "Phạm vi hiệu lực", "state": "Tình trạng",
}


class CorrectionRequest(Persistent):
    answered = None
    answered_by = None
    reason = ""
    changes = None          # {field: [old, new]} once corrected
    rights_request = None   # the id of its entry on the records queue (repository.rights)

    def __init__(self, request_id, owner_id, doc_id, fields, note, proposed, asked_by):
        self.id = request_id
        self.owner_id, self.doc_id = owner_id, doc_id
        self.fields = tuple(fields)
        self.note = note
        self.proposed = dict(proposed or {})
        self.asked = utcnow()
        self.asked_by = asked_by
        self.deadline = self.asked + ANSWER_WITHIN
        self.status = OPEN

    @property
    def is_open(self):
        return self.status == OPEN

    def overdue(self, now=None):
        return self.is_open and (now or utcnow()) > self.deadline

    def as_dict(self):
        iso = lambda v: v.isoformat() if v else None     # noqa: E731
        return {"id": self.id, "owner_id": self.owner_id, "document": self.doc_id,
                "fields": list(self.fields), "note": self.note, "proposed": dict(self.proposed),
                "asked": iso(self.asked), "asked_by": self.asked_by, "deadline": iso(self.deadline),
                "status": self.status, "answered": iso(self.answered), "answered_by": self.answered_by,
                "reason": self.reason, "changes": dict(self.changes or {})}


def requests_of(document):
    return list(getattr(document, "correction_requests", None) or ())


def history_of(document):
    """The changes made to the paper's metadata for corrections, oldest first."""
    return [dict(h) for h in (getattr(document, "metadata_history", None) or ())]


def find(document, request_id):
    for request in requests_of(document):
        if request.id == request_id:
            return request
    return None


def _index(root):
    from BTrees.OOBTree import OOBTree
    tree = getattr(root, "correction_requests", None)
    if tree is None:
        tree = root.correction_requests = OOBTree()
    return tree


def open_requests(root):
    """[(document, request)] of the open requests, oldest (nearest deadline) first."""
    tree = getattr(root, "correction_requests", None)
    found = []
    for request_id, (owner_id, doc_id) in (tree.items() if tree is not None else ()):
        warehouse = root.subjects.get(owner_id)
        document = warehouse.documents.get(doc_id) if warehouse is not None else None
        request = find(document, request_id) if document is not None else None
        if request is not None and request.is_open:
            found.append((document, request))
    found.sort(key=lambda pair: pair[1].deadline)
    return found


def _clean_note(text, field="note", what="Cần ghi rõ điều chưa đúng / say what is wrong"):
    text = (text or "").strip() if isinstance(text, str) else None
    if text is None:
        raise ValidationError({field: NOT_A_STRING})
    if not text:
        raise ValidationError({field: what})
    if len(text) > MAX_NOTE:
        raise ValidationError({field: f"Tối đa {MAX_NOTE} ký tự / at most {MAX_NOTE} characters"})
    return text


def flag(root, document, actor, fields, note, proposed=None):
    """The owner says these fields of their paper are wrong (note: what and
    why; proposed: the right values, optional). Queued for the records
    manager with its 72-hour deadline."""
    if actor is None or not actor.subject_id or actor.subject_id != document.owner_id:
        raise Refused("Chỉ chủ giấy tờ đề nghị đính chính / the owner only")
    if document.deleted or getattr(document, "destroyed", None):
        raise Conflict("Giấy tờ không còn được sử dụng / the paper is no longer in use")
    allowed = flaggable()
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
        raise ValidationError({"fields": "Cần danh sách các trường / a list of fields is expected"})
    fields = list(dict.fromkeys(f.strip() for f in fields if f.strip()))
    errors = {}
    if not fields:
        errors["fields"] = "Chọn ít nhất một thông tin chưa đúng / pick at least one field"
    elif set(fields) - set(allowed):
        errors["fields"] = "Trường không đính chính được: " + ", ".join(sorted(set(fields) - set(allowed)))
    clean = {}
    for field, value in (proposed or {}).items():
        if value in (None, ""):
            continue
        if field not in fields or not isinstance(value, str) or len(value) > MAX_VALUE:
            errors[f"proposed.{field}"] = ("Giá trị đề nghị phải là chuỗi ngắn cho một trường đã chọn / "
                                           "a short text for a field you picked")
        else:
            clean[field] = value.strip()
    try:
        note = _clean_note(note)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if any(r.is_open for r in requests_of(document)):
        raise Conflict("Giấy tờ này đã có một đề nghị đính chính đang chờ xử lý / "
                       "a correction request for this paper is already waiting")
    request = CorrectionRequest(secrets.token_hex(6), document.owner_id, document.__name__, fields, note,
                                clean, actor.username)
    if getattr(document, "correction_requests", None) is None:
        document.correction_requests = PersistentList()
    document.correction_requests.append(request)
    _index(root)[request.id] = (document.owner_id, document.__name__)
    request.rights_request = _queue(root, actor, request, document)
    audit.record(document, actor, "correction_requested", subject=document.owner_id,
                 document=document.__name__, purpose="data_subject_request",
                 detail={"request": request.id, "fields": fields})
    return request


def may_answer(root, document, actor):
    """Whether actor may answer a correction of this paper: staff whom the
    metadata path lets change it (a signed or used paper: records only)."""
    from .operations import edit_refusal
    return bool(actor is not None and set(R.STAFF) & actor.roles and edit_refusal(root, document, actor) is None)


def _open_request(document, request_id, actor, root):
    from .operations import edit_refusal
    if actor is None or not set(R.STAFF) & actor.roles:
        raise Refused("Chỉ cán bộ xử lý đề nghị đính chính / staff only")
    refusal = edit_refusal(root, document, actor)
    if refusal is not None:
        raise refusal
    request = find(document, request_id)
    if request is None:
        raise ValidationError({"request": "Không có đề nghị này / no such request"})
    if not request.is_open:
        raise Conflict(f"Đề nghị đã được trả lời ({STATES[request.status]}) / already answered")
    return request


def correct(root, document, request_id, actor, changes, reason):
    """Change the paper's metadata for the request, with a reason: through
    operations.update_metadata (its checks, its index update, its audit
    entry), then the history and the answer."""
    request = _open_request(document, request_id, actor, root)
    return _correct(root, document, request, actor, changes, reason)


def _correct(root, document, request, actor, changes, reason, from_queue=False):
    from .operations import current_metadata, update_metadata
    if from_queue:
        _open_request(document, request.id, actor, root)
    reason = _clean_note(reason, "reason", "Cần nêu lý do đính chính / a reason is required")
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": "Cần ít nhất một thay đổi / at least one change"})
    unknown = set(changes) - set(flaggable())
    if unknown:
        raise ValidationError({k: "Trường này không đính chính được / not a field to correct" for k in unknown})
    before = current_metadata(document)
    changes = {k: "" if v is None else str(v).strip() for k, v in changes.items()}
    if all(changes[k] == before[k] for k in changes):
        raise ValidationError({"changes": "Giá trị mới giống giá trị cũ / nothing would change"})
    update_metadata(root, document, changes, actor)      # checks all before it writes anything
    after = current_metadata(document)
    diff = {k: [before[k], after[k]] for k in changes if before[k] != after[k]}
    if getattr(document, "metadata_history", None) is None:
        document.metadata_history = PersistentList()
    document.metadata_history.append({"time": utcnow(), "actor": actor.username, "reason": reason,
                                      "request": request.id, "changes": diff})
    _answer(root, document, request, actor, CORRECTED, reason, diff, from_queue)
    return request


def refuse(root, document, request_id, actor, reason):
    """Answer that the metadata is right as it stands, with the reason."""
    request = _open_request(document, request_id, actor, root)
    return _refuse(root, document, request, actor, reason)


def _refuse(root, document, request, actor, reason, from_queue=False):
    if from_queue:
        _open_request(document, request.id, actor, root)
    reason = _clean_note(reason, "reason", "Cần nêu lý do / a reason is required")
    _answer(root, document, request, actor, REFUSED, reason, None, from_queue)
    return request


def _answer(root, document, request, actor, status, reason, diff, from_queue=False):
    request.status, request.reason = status, reason
    request.answered, request.answered_by = utcnow(), actor.username
    request.changes = diff
    tree = getattr(root, "correction_requests", None)
    if tree is not None and request.id in tree:
        del tree[request.id]
    if not from_queue:        # answered here: the queue's entry is answered too
        _answer_queue(root, actor, request)
    audit.record(document, actor, "correction_" + status, subject=document.owner_id,
                 document=document.__name__, purpose="data_subject_request",
                 detail={"request": request.id, "reason": reason, "changes": diff or {}})


# --- the records queue (repository.rights) ------------------------------------------------
# A correction is a kind of the person's requests there ("correction"): it is
# filed when the owner flags, and answered when staff correct or refuse here.
# A records manager answering it from the queue instead grants it with the
# values the owner proposed, or refuses it, through the same functions.

def _rights():
    try:
        from . import rights
    except ImportError:
        return None
    register_kind(rights)
    return rights


def register_kind(rights):
    """Point the correction kind of rights.KINDS (a plain one by default) at
    this module's, which corrects the paper (done on import of this module)."""
    if rights.KINDS.get("correction") != "repository.corrections:CORRECTION":
        rights.KINDS["correction"] = "repository.corrections:CORRECTION"
        rights._kinds.pop("correction", None)


def _queue(root, actor, request, document):
    """File the request on the records queue; its id there, or None without one."""
    rights = _rights()
    if rights is None:
        return None
    made = rights.file_request(root, actor, "correction", f"paper:{document.owner_id}/{document.__name__}",
                               {"correction": request.id, "fields": list(request.fields), "note": request.note})
    return made.id


def _answer_queue(root, actor, request):
    rights = _rights()
    if rights is None or request.rights_request is None:
        return
    queued = rights.get(root, request.rights_request)
    if queued is not None and queued.status == rights.PENDING:
        rights.answer(root, queued, actor, "grant" if request.status == CORRECTED else "refuse",
                      reason=request.reason)


def _check_kind(root, actor, subject_id, target, detail):
    if not isinstance(detail, dict) or not detail.get("correction"):
        raise ValidationError({"target": "Đề nghị đính chính được gửi từ trang giấy tờ / "
                                         "a correction is asked from the paper's page"})
    return dict(detail)


def _answer_kind(root, queued, actor, decision, reason, settings):
    """The queue's answer: here when the correction was answered on its own
    page (nothing more to do), or when a records manager answers from the queue."""
    from .retention import resolve
    document = resolve(root, queued.target)
    request = find(document, queued.detail.get("correction")) if document is not None else None
    if request is None:
        raise ValidationError({"request": "Không có đề nghị này / no such request"})
    if request.is_open:
        if decision == "grant":
            if not request.proposed:
                raise ValidationError({"changes": "Công dân không nêu giá trị đúng: đính chính tại trang giấy tờ / "
                                                  "no values proposed: correct it on the paper's page"})
            _correct(root, document, request, actor, request.proposed, reason, from_queue=True)
        else:
            _refuse(root, document, request, actor, reason, from_queue=True)
    return {"correction": request.id, "status": request.status, "changes": dict(request.changes or {}),
            "reason": request.reason}


def _kind():
    try:
        from .rights import Kind
    except ImportError:
        return None
    return Kind("correction", "Đề nghị đính chính thông tin", targets=("paper",), check=_check_kind,
                answer=_answer_kind)


CORRECTION = _kind()
if CORRECTION is not None:
    _rights()
