"""The person's requests (Decree 13/2023, Law 91/2025): each one on a queue
that the records manager sees with its deadline, 72 hours after it was asked.

Generic on purpose: a kind of request is a Kind object named in KINDS by a
dotted path (like dossier_events.SUBSCRIBERS); this module brings
"delete". Another kind (export, correction) adds one line to KINDS and
provides its Kind:

    Kind(code, label, targets=("paper", "warehouse"), check=None, answer=None)
        check(root, actor, subject_id, target, detail) -> detail (cleaned) or raise ValidationError
        answer(root, request, actor, decision, reason, settings) -> dict (the answer's
            detail: what was done), or raise Conflict/ValidationError; decision is
            one of DECISIONS

Public interface
----------------
file_request(root, actor, kind, target, detail=None) -> Request
    target: "paper:<owner>/<doc id>" | "warehouse:<owner>"; a citizen asks for
    their own warehouse only (ValidationError otherwise); audited.
answer(root, request, actor, decision, *, reason="", settings=None) -> Request
    decision: "grant" | "refuse"; audited; a granted deletion destroys
    (repository.disposition) and certifies; a refusal names the rule.
file_answered(root, actor, kind, target, detail=None, *, reason="") -> Request   filed and granted at once
requests_of(root, subject_id) / open_requests(root) / all_requests(root) / get(root, id)
deletion_blockers(root, target, today=None) -> [dict]   the rules (and holds) that stop a deletion
Request: id, kind, subject, target, detail, asked, asked_by, deadline, status,
    answered, answered_by, answer (dict), overdue(now), as_dict()."""
import datetime
import importlib
import secrets

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from . import audit
from .errors import Conflict, ValidationError

DEADLINE = datetime.timedelta(hours=72)
PENDING, GRANTED, REFUSED = "pending", "granted", "refused"
STATUSES = {PENDING: "Đang chờ trả lời", GRANTED: "Đã chấp nhận", REFUSED: "Đã từ chối"}
DECISIONS = ("grant", "refuse")

KINDS = {
    "delete": "repository.rights:DELETION",
    # plain kinds, answered by a person with a reason; a feature may point them at its own Kind
    "export": "repository.rights:EXPORT",
    "correction": "repository.rights:CORRECTION",
}


class Kind:
    def __init__(self, code, label, targets=("paper", "warehouse"), check=None, answer=None):
        self.code, self.label, self.targets = code, label, tuple(targets)
        self.check, self.answer = check, answer


_kinds = {}


def kind_of(code):
    if code not in KINDS:
        raise ValidationError({"kind": "Loại yêu cầu là một trong / one of: " + ", ".join(KINDS)})
    if code not in _kinds:
        module, _, name = KINDS[code].partition(":")
        _kinds[code] = getattr(importlib.import_module(module), name)
    return _kinds[code]


def kinds():
    return {code: kind_of(code) for code in KINDS}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Request(Persistent):
    answered = answered_by = None
    answer = None

    def __init__(self, request_id, kind, subject, target, detail, asked_by):
        self.id, self.kind, self.subject, self.target = request_id, kind, subject, target
        self.detail = dict(detail or {})
        self.asked, self.asked_by = utcnow(), asked_by
        self.deadline = self.asked + DEADLINE
        self.status = PENDING

    def overdue(self, now=None):
        return self.status == PENDING and (now or utcnow()) > self.deadline

    def as_dict(self):
        iso = lambda v: v.isoformat() if v else None   # noqa: E731
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "target": self.target,
                "detail": self.detail, "asked": iso(self.asked), "asked_by": self.asked_by,
                "deadline": iso(self.deadline), "status": self.status, "overdue": self.overdue(),
                "answered": iso(self.answered), "answered_by": self.answered_by, "answer": self.answer}


class Requests(Persistent):
    def __init__(self):
        self.items = OOBTree()          # id → Request
        self.by_subject = OOBTree()     # subject id → OOTreeSet of ids
        self.pending = OOTreeSet()      # "<deadline iso>|<id>": the queue, soonest deadline first


def requests_root(root):
    found = getattr(root, "rights_requests", None)
    if found is None:
        found = root.rights_requests = Requests()
    return found


def get(root, request_id):
    return requests_root(root).items.get(request_id) if isinstance(request_id, str) else None


def requests_of(root, subject_id):
    store = requests_root(root)
    found = [store.items[i] for i in store.by_subject.get(subject_id, ())]
    return sorted(found, key=lambda r: r.asked, reverse=True)


def open_requests(root):
    store = requests_root(root)
    return [store.items[key.split("|", 1)[1]] for key in store.pending]


def all_requests(root, limit=200):
    store = requests_root(root)
    found = sorted(store.items.values(), key=lambda r: r.asked, reverse=True)
    return found[:limit]


def _target(root, actor, target):
    from .retention import resolve
    target = (target or "").strip()
    kind = target.partition(":")[0]
    obj = resolve(root, target)
    owner = target.partition(":")[2].split("/", 1)[0]
    if obj is None or getattr(obj, "destroyed", None) or getattr(obj, "deleted", None):
        raise ValidationError({"target": "Không có giấy tờ hoặc kho này / no such paper or warehouse"})
    if actor.subject_id != owner:
        raise ValidationError({"target": "Chỉ yêu cầu cho dữ liệu của chính mình / your own data only"})
    return kind, owner, obj


def file_request(root, actor, kind, target, detail=None):
    """A person asks: checked, queued with its 72-hour deadline, audited."""
    spec = kind_of(kind)
    target_kind, owner, obj = _target(root, actor, target)
    if target_kind not in spec.targets:
        raise ValidationError({"target": f"Yêu cầu này áp dụng cho / applies to: {', '.join(spec.targets)}"})
    detail = spec.check(root, actor, owner, target, detail or {}) if spec.check else dict(detail or {})
    store = requests_root(root)
    request = Request(f"YC-{utcnow():%y%m%d}-{secrets.token_hex(4).upper()}", kind, owner, target.strip(),
                      detail, actor.username)
    store.items[request.id] = request
    ids = store.by_subject.get(owner)
    if ids is None:
        ids = store.by_subject[owner] = OOTreeSet()
    ids.insert(request.id)
    store.pending.insert(f"{request.deadline.isoformat()}|{request.id}")
    audit.record(root, actor, "rights_request", subject=owner,
                 document=target.rsplit("/", 1)[1] if target_kind == "paper" else None,
                 detail={"request": request.id, "kind": kind, "target": request.target,
                         "deadline": request.deadline.isoformat()})
    return request


def answer(root, request, actor, decision, *, reason="", settings=None):
    """The records manager's answer; the kind's handler does the work."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": "Là grant hoặc refuse / grant or refuse"})
    if request.status != PENDING:
        raise Conflict("Yêu cầu đã được trả lời / already answered")
    spec = kind_of(request.kind)
    result = spec.answer(root, request, actor, decision, (reason or "").strip(), settings)
    request.status = GRANTED if decision == "grant" else REFUSED
    request.answered, request.answered_by = utcnow(), actor.username
    request.answer = dict(result or {}, decision=decision)
    store = requests_root(root)
    key = f"{request.deadline.isoformat()}|{request.id}"
    if key in store.pending:
        store.pending.remove(key)
    audit.record(root, actor, "rights_answered", subject=request.subject,
                 detail={"request": request.id, "kind": request.kind, "decision": decision,
                         "on_time": request.answered <= request.deadline,
                         "answer": {k: v for k, v in request.answer.items() if k != "destroyed"}})
    return request


# --- deletion -----------------------------------------------------------------------

def _papers(root, target):
    from .resources import Document
    from .retention import resolve
    obj = resolve(root, target)
    if isinstance(obj, Document):
        return obj, [obj]
    return obj, [d for d in obj.documents.values() if not d.destroyed and not d.deleted]


def bound_by_law(document):
    """A paper that is a record of an agency's work (a component of a
    dossier, an agency's result) is kept under the retention rule of law;
    a paper the person merely keeps in their warehouse is not."""
    return bool(document.approved_in or document.digitized_for or document.provenance == "agency_result")


def deletion_blockers(root, target, today=None):
    """For each paper of target that may not be deleted now: its rule and the
    date it ends (None: permanent or not yet counted), or the legal hold."""
    from .retention import disposition_of, label_of
    _obj, papers = _papers(root, target)
    found = []
    for document in papers:
        disposition = disposition_of(root, document, today)
        base = {"document": document.__name__, "paper": label_of(document)}
        for hold in disposition.holds:
            found.append(dict(base, rule="legal_hold", rule_name="Phong toả pháp lý / legal hold",
                              until=None, reason=hold.reason))
        if bound_by_law(document) and not disposition.due:
            s = disposition.schedule
            found.append(dict(base, rule=s.code if s else None, rule_name=s.name if s else None,
                              permanent=disposition.permanent,
                              until=disposition.retained_until.isoformat() if disposition.retained_until else None,
                              reason=_rule_text(disposition)))
    return found


def _rule_text(disposition):
    s = disposition.schedule
    name = s.name if s else "?"
    if disposition.permanent:
        return f"Tài liệu thuộc hồ sơ công việc, lưu trữ vĩnh viễn ({name}) / kept permanently by law"
    if disposition.retained_until:
        return (f"Tài liệu thuộc hồ sơ công việc, phải lưu {name} đến hết ngày "
                f"{disposition.retained_until:%d/%m/%Y} / kept by law until {disposition.retained_until.isoformat()}")
    return (f"Tài liệu thuộc hồ sơ công việc, phải lưu {name} kể từ năm công việc kết thúc "
            "(chưa kết thúc) / kept by law for the period after the work ends (not ended yet)")


def _answer_deletion(root, request, actor, decision, reason, settings):
    from .disposition import certify, destroy
    from .retention import resolve
    blockers = deletion_blockers(root, request.target)
    if decision == "refuse":
        if not blockers and not reason:
            raise ValidationError({"reason": "Không có quy định nào giữ lại dữ liệu này: cần nêu căn cứ từ chối "
                                             "/ no rule keeps this data: state the legal ground"})
        return {"rules": blockers, "reason": reason or blockers[0]["reason"]}
    if blockers:
        raise Conflict("Quy định lưu trữ không cho phép xoá: " + blockers[0]["reason"])
    if settings is None:
        raise Conflict("Thiếu cấu hình ký số của cơ quan / the agency's signing settings are missing")
    target = resolve(root, request.target)
    stubs = destroy(root, target, actor, reason=f"Yêu cầu xoá {request.id}")
    certificate = certify(root, stubs, actor, settings, basis="deletion_request",
                          reason=f"Yêu cầu xoá dữ liệu {request.id} của chủ thể {request.subject}")
    return {"destroyed": [s["target"] for s in stubs], "certificate": certificate.id,
            "reason": reason or "Đã xoá không thể khôi phục / deleted for good"}


DELETION = Kind("delete", "Yêu cầu xoá dữ liệu", targets=("paper", "warehouse"), answer=_answer_deletion)


def _answer_plain(root, request, actor, decision, reason, settings):
    if decision == "refuse" and not reason:
        raise ValidationError({"reason": "Từ chối cần nêu lý do / a refusal needs a reason"})
    return {"reason": reason or "Đã thực hiện / done"}


EXPORT = Kind("export", "Yêu cầu cung cấp dữ liệu", targets=("warehouse",), answer=_answer_plain)
CORRECTION = Kind("correction", "Yêu cầu chỉnh sửa dữ liệu", targets=("paper",), answer=_answer_plain)


def file_answered(root, actor, kind, target, detail=None, *, reason=""):
    """A request met at once (the person downloads their data): filed and
    granted in one go, so it is on the queue's history with its answer."""
    request = file_request(root, actor, kind, target, detail)
    return answer(root, request, actor, "grant", reason=reason)
