"""Dossiers: received at any desk, resolved by the competent agency.

A dossier concerns one applicant and maybe other persons (a marriage needs
both parties' papers), so it lives outside the warehouses with an ACL of its
own: its persons, the receiving desk's unit, the competent agency's
processors. Its code is the receiving unit's code, the date of receipt
(Vietnam time) and a sequence that restarts every day per unit: one small
object per unit and day, so desks never conflict with each other and two
receptions at one desk conflict, are retried, and get different numbers."""
import datetime

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from pyramid.authorization import DENY_ALL, Allow

from . import audit, dossier_events
from . import roles as R
from .calendar import add_working_days, in_vn, now_vn
from .errors import Conflict, Refused, ValidationError
from .folder import Folder
from .identifiers import InvalidIdentifier, format_dossier_code, validate_subject_id


def utcnow():      # resources imports this module for old pickles: no import back
    return datetime.datetime.now(datetime.timezone.utc)

RECEIVED, PROCESSING, SUPPLEMENT, RESOLVED, WITHDRAWN = (
    "received", "processing", "supplement_requested", "resolved", "withdrawn")
STATUSES = {
    RECEIVED: "Đã tiếp nhận",
    PROCESSING: "Đang xử lý",
    SUPPLEMENT: "Yêu cầu bổ sung",
    RESOLVED: "Đã giải quyết",
    WITHDRAWN: "Đã rút hồ sơ",
}
OPEN = (RECEIVED, PROCESSING, SUPPLEMENT)
OUTCOMES = {"approved": "Chấp thuận", "rejected": "Từ chối"}
# action → (states it starts from, state it leads to, who may: "desk" | "agency" | "person")
TRANSITIONS = {
    "start": ((RECEIVED, SUPPLEMENT), PROCESSING, ("agency",)),
    "request_supplement": ((RECEIVED, PROCESSING), SUPPLEMENT, ("agency", "desk")),
    "supplement_received": ((SUPPLEMENT,), PROCESSING, ("desk",)),
    "withdraw": (OPEN, WITHDRAWN, ("desk", "person")),
}
ACTIONS = {
    "received": "Tiếp nhận hồ sơ",
    "start": "Bắt đầu xử lý",
    "request_supplement": "Yêu cầu bổ sung hồ sơ",
    "supplement_received": "Nhận hồ sơ bổ sung",
    "withdraw": "Rút hồ sơ",
    "approved": "Giải quyết: chấp thuận",
    "rejected": "Giải quyết: từ chối",
    "attach": "Đính kèm giấy tờ số hoá",
    "reuse": "Tái sử dụng giấy tờ từ kho",
    "reuse_offered": "Đề nghị công dân xem trước giấy tờ tái sử dụng",
    "reuse_refused": "Công dân từ chối tái sử dụng",
    "result_issued": "Trả kết quả điện tử (đã ký số)",
    "archived": "Giao nộp vào lưu trữ cơ quan",        # repository.archive
}


class DailySequence(Persistent):
    """The last sequence number given at one unit on one day. No conflict
    resolution on purpose: two receptions at the same desk at once conflict,
    one is retried, and neither gets the other's number."""

    def __init__(self):
        self.value = 0


class Attachment:
    """A paper attached to a dossier component, by reference (immutable)."""

    def __init__(self, owner_id, doc_id, reused, by, at):
        self.owner_id, self.doc_id, self.reused, self.by, self.at = owner_id, doc_id, reused, by, at

    def as_dict(self):
        return {"owner_id": self.owner_id, "document": self.doc_id, "reused": self.reused,
                "by": self.by, "at": self.at.isoformat()}


class Dossiers(Folder):
    """Dossiers by code, with the per-unit daily sequences and the indexes a
    person's or a unit's list needs (unit → codes, person → codes)."""

    def __init__(self):
        super().__init__()
        self.sequences = OOBTree()     # (unit code, 'YYMMDD') → DailySequence
        self.by_unit = OOBTree()       # unit code → codes received there or sent there
        self.by_person = OOBTree()     # subject id → codes that concern them
        self.confirmations = OOBTree()  # sha256(confirmation token) → (code, reuse request id)

    def next_code(self, unit_code, day):
        key = (unit_code, f"{day:%y%m%d}")
        sequence = self.sequences.get(key)
        if sequence is None:
            sequence = self.sequences[key] = DailySequence()
        sequence.value += 1
        if sequence.value > 9999:
            raise Conflict("Đơn vị đã tiếp nhận 9 999 hồ sơ trong ngày / daily sequence exhausted")
        return format_dossier_code(unit_code, day, sequence.value)

    def register(self, dossier):
        self.add(dossier.code, dossier)
        for unit in {dossier.desk, dossier.agency}:
            _index(self.by_unit, unit, dossier.code)
        for person in dossier.persons:
            _index(self.by_person, person, dossier.code)

    def codes_for_unit(self, unit):
        return self.by_unit.get(unit, ())

    def codes_for_person(self, subject_id):
        return self.by_person.get(subject_id, ())


def _index(tree, key, code):
    codes = tree.get(key)
    if codes is None:
        codes = tree[key] = OOTreeSet()
    codes.insert(code)


class Dossier(Persistent):
    """A dossier: procedure, receiving desk, competent agency, applicant and
    named persons, status, components (→ attachments), timeline."""
    outcome = None
    reason = ""
    resolved = None

    def __init__(self, code, procedure_code, desk, agency, applicant_id, others,
                 received, due, received_by, channel="desk"):
        self.code = code
        self.procedure_code = procedure_code
        self.desk = desk
        self.agency = agency
        self.applicant_id = applicant_id
        self.others = tuple(others)
        self.received = received
        self.due = due
        self.received_by = received_by
        self.channel = channel
        self.status = RECEIVED
        self.components = PersistentMapping()     # component key → PersistentList[Attachment]
        self.timeline = PersistentList()
        self.reuse_requests = Folder()
        self.reuse_requests.__name__, self.reuse_requests.__parent__ = "reuse-requests", self

    @property
    def persons(self):
        return (self.applicant_id,) + self.others

    @property
    def is_open(self):
        return self.status in OPEN

    def person_for(self, component):
        """Whose papers satisfy this component of the procedure."""
        if component.party == "other":
            return self.others[0] if self.others else None
        return self.applicant_id

    def attachments(self, key):
        return list(self.components.get(key, ()))

    def attached_documents(self):
        return {(a.owner_id, a.doc_id) for atts in self.components.values() for a in atts}

    @property
    def __acl__(self):
        acl = [(Allow, R.subject_principal(p),
                (R.VIEW_DOSSIER, R.CONFIRM_REUSE, R.WITHDRAW_DOSSIER, R.PRINT_RECEIPT))
               for p in self.persons]
        for role in (R.OFFICER, R.POSTAL):
            acl.append((Allow, R.unit_principal(self.desk, role),
                        (R.VIEW_DOSSIER, R.HANDLE_DOSSIER, R.WITHDRAW_DOSSIER, R.PRINT_RECEIPT)))
        acl.append((Allow, R.unit_principal(self.desk, R.PROCESSOR), R.VIEW_DOSSIER))
        acl.append((Allow, R.unit_principal(self.agency, R.PROCESSOR), (R.VIEW_DOSSIER, R.RESOLVE_DOSSIER)))
        acl.append(DENY_ALL)
        return acl

    def __getitem__(self, name):
        if name == "reuse-requests":
            return self.reuse_requests
        raise KeyError(name)


def unit_handles(user, dossier):
    """Whether user's unit handles the dossier: the receiving desk, or the competent agency."""
    return bool(user and user.desk and user.desk in (dossier.desk, dossier.agency)
                and set(R.STAFF) & user.roles)


def note(dossier, actor, action, detail=None):
    """Add an event to the dossier's timeline and the audit trail."""
    event = {"time": utcnow(), "actor": actor.username if actor else "system",
             "action": action, "detail": detail or {}}
    dossier.timeline.append(event)
    audit.record(dossier, actor, f"dossier_{action}", subject=dossier.applicant_id,
                 purpose=dossier.code, detail=dict(detail or {}, persons=list(dossier.persons)))
    dossier_events.notify(dossier, actor, action, event["detail"])
    return event


def receive_dossier(root, actor, procedure_code, applicant_id, others=(), channel="desk", now=None):
    """Open a dossier at actor's desk, whatever the boundary: the code carries
    the receiving unit, the procedure names the competent agency."""
    errors = {}
    catalogues = root.catalogues
    procedure = catalogues.procedures.get((procedure_code or "").strip())
    if procedure is None:
        errors["procedure_code"] = "Không có thủ tục này trong danh mục / unknown procedure"
    elif not procedure.agency:
        errors["procedure_code"] = "Thủ tục chưa có cơ quan có thẩm quyền trong danh mục / no competent agency"
    if not actor or not set(R.RECEPTION) & actor.roles:
        raise Refused("Chỉ cán bộ một cửa hoặc nhân viên bưu điện tiếp nhận hồ sơ / reception staff only")
    if not actor.desk or actor.desk not in catalogues.desks:
        errors["desk"] = "Tài khoản chưa gắn với bộ phận một cửa / the account has no desk"
    persons = []
    for field, value in [("applicant_id", applicant_id)] + [(f"others.{i}", o) for i, o in enumerate(others)]:
        try:
            _, subject_id = validate_subject_id(value)
        except InvalidIdentifier as exc:
            errors[field] = str(exc)
            continue
        if subject_id not in root.subjects:
            errors[field] = f"Chưa có kho dữ liệu của {subject_id} / no warehouse yet"
        elif subject_id in persons:
            errors[field] = "Một người được nêu hai lần / the same person twice"
        persons.append(subject_id)
    if procedure is not None and not errors:
        if procedure.needs_other_person and len(persons) < 2:
            errors["others"] = "Thủ tục này cần người thứ hai (ví dụ bên kia khi đăng ký kết hôn)"
        elif not procedure.needs_other_person and len(persons) > 1:
            errors["others"] = "Thủ tục này chỉ liên quan đến người nộp hồ sơ"
    if channel not in ("desk", "online"):
        errors["channel"] = "Kênh là desk hoặc online"
    if errors:
        raise ValidationError(errors)
    received = in_vn(now) if now else now_vn()     # the code's date is the day in Vietnam
    code = root.dossiers.next_code(actor.desk, received.date())
    due = add_working_days(received, procedure.time_limit_days, catalogues.holiday_dates())
    received = received.astimezone(datetime.timezone.utc)   # stored in UTC (zoneinfo does not pickle in ZODB)
    dossier = Dossier(code, procedure.code, actor.desk, procedure.agency, persons[0], persons[1:],
                      received, due, actor.username, channel)
    root.dossiers.register(dossier)
    for unit in (dossier.desk, dossier.agency):
        for person in dossier.persons:
            root.desk_owners.add(unit, person)
    note(dossier, actor, "received", {"procedure": procedure.code, "due": due.isoformat()})
    return dossier


def _role_in(actor, dossier):
    """Which part actor plays in dossier: 'desk', 'agency', 'person' (a set)."""
    parts = set()
    if actor is None:
        return parts
    if actor.subject_id in dossier.persons:
        parts.add("person")
    if actor.desk == dossier.desk and set(R.RECEPTION) & actor.roles:
        parts.add("desk")
    if actor.desk == dossier.agency and R.PROCESSOR in actor.roles:
        parts.add("agency")
    return parts


def transition(root, dossier, actor, action, reason=""):
    """Move the dossier along (start, request_supplement, supplement_received,
    withdraw); every move is on the timeline and in the audit trail."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": "Hành động là một trong: " + ", ".join(TRANSITIONS)})
    sources, target, who = TRANSITIONS[action]
    if not _role_in(actor, dossier) & set(who):
        raise Refused("Bạn không thực hiện được thao tác này với hồ sơ / not yours to do")
    if dossier.status not in sources:
        raise Conflict(f"Hồ sơ đang ở trạng thái «{STATUSES[dossier.status]}», không thể "
                       f"«{ACTIONS[action].lower()}» / not allowed in this state")
    reason = (reason or "").strip()
    if action == "request_supplement" and not reason:
        raise ValidationError({"reason": "Cần nêu giấy tờ cần bổ sung / say what is missing"})
    dossier.status = target
    note(dossier, actor, action, {"reason": reason} if reason else None)
    return dossier


def resolve(root, dossier, actor, approved, reason=""):
    """The processor's decision. Approval makes the dossier's attached papers
    papers 'from a resolved dossier' (reusable where consent allows);
    a rejection needs a reason and offers nothing."""
    if "agency" not in _role_in(actor, dossier):
        raise Refused("Chỉ cán bộ xử lý của cơ quan có thẩm quyền giải quyết hồ sơ / agency only")
    if dossier.status not in (RECEIVED, PROCESSING):
        raise Conflict(f"Hồ sơ đang ở trạng thái «{STATUSES[dossier.status]}», chưa giải quyết được")
    reason = (reason or "").strip()
    if not approved and not reason:
        raise ValidationError({"reason": "Từ chối cần nêu lý do / a rejection needs a reason"})
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    if approved and procedure is not None:
        missing = [c.name for c in procedure.components if c.required and not dossier.components.get(c.key)]
        if missing:
            raise Conflict("Còn thiếu thành phần hồ sơ bắt buộc / required components missing: "
                           + ", ".join(missing))
    dossier.status = RESOLVED
    dossier.outcome = "approved" if approved else "rejected"
    dossier.reason = reason
    dossier.resolved = utcnow()
    if approved:
        from .indexing import touched
        for owner_id, doc_id in dossier.attached_documents():
            document = root.subjects[owner_id].documents.get(doc_id)
            if document is not None and dossier.code not in document.approved_in:
                document.approved_in = tuple(document.approved_in) + (dossier.code,)
                touched(root, document)
    note(dossier, actor, dossier.outcome, {"reason": reason} if reason else None)
    return dossier


def attach_document(root, dossier, actor, component_key, doc_id):
    """Attach a paper digitized for this dossier (uploaded with its code) to a
    component; returns the document. Papers from the warehouse are attached
    only through a confirmed reuse request (repository.reception)."""
    if "desk" not in _role_in(actor, dossier):
        raise Refused("Chỉ bộ phận tiếp nhận hồ sơ đính kèm được giấy tờ / the receiving desk only")
    if not dossier.is_open:
        raise Conflict("Hồ sơ đã đóng / the dossier is closed")
    component = _component(root, dossier, component_key)
    warehouse = root.subjects.get(dossier.person_for(component) or "")
    document = warehouse.documents.get(str(doc_id or "")) if warehouse is not None else None
    errors = {}
    if document is None or document.deleted:
        errors["document"] = ("Không có giấy tờ này của người cần nộp thành phần này / "
                              "no such paper of that component's person")
    elif document.type_code not in component.doctypes:
        errors["document"] = "Loại giấy tờ không đúng với thành phần hồ sơ / wrong paper type"
    elif document.digitized_for != dossier.code:
        errors["document"] = ("Giấy tờ này không được số hoá cho hồ sơ này; giấy tờ có sẵn trong kho "
                              "chỉ được dùng khi công dân xác nhận / reuse needs the owner's confirmation")
    elif (document.owner_id, document.__name__) in dossier.attached_documents():
        errors["document"] = "Giấy tờ đã được đính kèm / already attached"
    if errors:
        raise ValidationError(errors)
    add_attachment(dossier, component.key, document, actor, reused=False)
    note(dossier, actor, "attach", {"component": component.key, "document": document.__name__,
                                    "owner": document.owner_id})
    return document


def add_attachment(dossier, key, document, actor, reused):
    atts = dossier.components.get(key)
    if atts is None:
        atts = dossier.components[key] = PersistentList()
    atts.append(Attachment(document.owner_id, document.__name__, reused, actor.username, utcnow()))


def _component(root, dossier, key):
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    component = procedure.component(key) if procedure is not None else None
    if component is None:
        raise ValidationError({"component": "Thủ tục không có thành phần này / no such component"})
    return component


def visible_dossiers(root, user, limit=200):
    """The dossiers user may see, newest first: a person's own; a unit's."""
    codes = set()
    if user is None:
        return []
    if user.subject_id:
        codes.update(root.dossiers.codes_for_person(user.subject_id))
    if user.desk and set(R.STAFF) & user.roles:
        codes.update(root.dossiers.codes_for_unit(user.desk))
    found = [root.dossiers[c] for c in codes if c in root.dossiers]
    found = [d for d in found if _may_view(user, d)]
    found.sort(key=lambda d: d.received, reverse=True)
    return found[:limit]


def _may_view(user, dossier):
    """As the Dossier ACL decides VIEW_DOSSIER."""
    return bool(_role_in(user, dossier)) or (user.desk == dossier.desk and R.PROCESSOR in user.roles)


def open_dossiers_for(root, owner_id, user):
    """The open dossiers of owner that user's unit handles: the purposes a
    staff member may pick at upload and when reading."""
    return [root.dossiers[c] for c in root.dossiers.codes_for_person(owner_id)
            if c in root.dossiers and root.dossiers[c].is_open
            and unit_handles(user, root.dossiers[c])]
