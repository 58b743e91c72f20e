"""Retention: every paper and dossier knows its schedule and its disposition
date; legal holds; the due list and the review queue (RULES-VN "Retention
and archive").

Public interface
----------------
disposition_of(root, obj, today=None) -> Disposition     a paper (Document) or a Dossier
    .schedule (RetentionSchedule or None), .permanent, .ended (date the work
    ended, None: not yet), .basis (what ended it), .retained_until (31/12 of
    the last year kept), .date (the first day it may be destroyed), .holds,
    .due, .destroyed; .as_dict() is the API's "retention" object.
record_event(root, target, event, actor, *, on=None, note="")   EVENTS
place_hold(root, target_key, actor, reason) -> Hold; release_hold(root, hold_id, actor, reason)
holds_on(root, obj) -> [Hold]        active holds that cover obj (its own, its warehouse's, its dossiers')
run(root, actor, *, today=None, dry_run=False) -> RunReport
    the due list into the review queue; papers whose validity changed by
    date are re-indexed (repository.indexing.touched)
queue_items(root, state=None) -> [ReviewItem];  due_list(root, today=None)
approve(root, keys, actor, settings, *, reason="") -> Certificate   (repository.disposition)
defer(root, keys, actor, *, until, reason) -> [ReviewItem]
state_of(root) -> RetentionState  (root.retention_state: holds, queue, certificates, runs)

Targets are named by keys: "paper:<owner id>/<document id>",
"dossier:<dossier code>", "warehouse:<owner id>" (key_of / resolve)."""
import datetime
import secrets
import time

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from persistent.list import PersistentList

from . import audit
from .calendar import parse_date
from .errors import Conflict, ValidationError

EVENTS = {
    "superseded": ("paper", "Bị thay thế"),
    "revoked": ("paper", "Bị thu hồi"),
    "owner_deceased": ("warehouse", "Chủ sở hữu qua đời / giải thể"),
    "dossier_closed": ("dossier", "Hồ sơ kết thúc"),
    "validity_ended": ("paper", "Hết hiệu lực"),
}
# a schedule for what the catalogue does not name: keep (a person decides)
FALLBACK = "permanent"
DOSSIER_DEFAULT = "10y"
CLOSING_ACTIONS = ("approved", "rejected", "withdraw")
PENDING, DEFERRED, DESTROYED = "pending", "deferred", "destroyed"
ITEM_STATES = {PENDING: "Chờ duyệt", DEFERRED: "Hoãn", DESTROYED: "Đã huỷ"}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def today_vn():
    from .calendar import now_vn
    return now_vn().date()


# --- the state kept on the root ---------------------------------------------------

class RetentionState(Persistent):
    def __init__(self):
        self.holds = OOBTree()          # hold id → Hold
        self.held = OOBTree()           # target key → OOTreeSet of active hold ids
        self.queue = OOBTree()          # target key → ReviewItem
        self.certificates = OOBTree()   # certificate id → Certificate
        self.purges = OOTreeSet()       # sha256 of destroyed files whose cached previews are to go
        self.runs = PersistentList()    # the last runs' reports (dicts)


def state_of(root):
    state = getattr(root, "retention_state", None)
    if state is None:                    # a database before the evolve step (tests' old fixtures)
        state = root.retention_state = RetentionState()
    return state


# --- keys -------------------------------------------------------------------------

def key_of(obj):
    from .dossiers import Dossier
    from .resources import Document, Warehouse
    if isinstance(obj, Document):
        return f"paper:{obj.owner_id}/{obj.__name__}"
    if isinstance(obj, Dossier):
        return f"dossier:{obj.code}"
    if isinstance(obj, Warehouse):
        return f"warehouse:{obj.subject_id}"
    raise TypeError(f"no retention key for {obj!r}")


def resolve(root, key):
    """The object a key names, or None."""
    kind, _, rest = (key or "").partition(":")
    if kind == "paper":
        owner, _, doc_id = rest.partition("/")
        warehouse = root.subjects.get(owner)
        return warehouse.documents.get(doc_id) if warehouse is not None and doc_id else None
    if kind == "dossier":
        return root.dossiers.get(rest)
    if kind == "warehouse":
        return root.subjects.get(rest)
    return None


def label_of(obj):
    from .dossiers import Dossier
    from .resources import Document
    if isinstance(obj, Document):
        return f"{obj.name}" + (f" số {obj.number}" if obj.number else "")
    if isinstance(obj, Dossier):
        return f"Hồ sơ {obj.code}"
    return f"Kho {obj.subject_id}"


# --- schedules and dates ----------------------------------------------------------

def schedule_of(root, obj):
    """The RetentionSchedule of a paper (its type's class) or a dossier (its
    procedure's), or the fallback (permanent) when the catalogue has none."""
    from .dossiers import Dossier
    schedules = root.catalogues.retention
    if isinstance(obj, Dossier):
        procedure = root.catalogues.procedures.get(obj.procedure_code)
        code = getattr(procedure, "retention", None) or DOSSIER_DEFAULT
    else:
        doctype = root.catalogues.doctypes.get(obj.type_code)
        code = doctype.retention_class if doctype is not None else FALLBACK
    return schedules.get(code) or schedules.get(FALLBACK)


def _date(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        from .calendar import in_vn
        return in_vn(value).date() if value.tzinfo else value.date()
    return value


def events_of(obj):
    return tuple(getattr(obj, "retention_events", ()) or ())


def paper_ended(document, warehouse=None, today=None):
    """(date the paper's work ended, basis) or (None, None): the first of its
    revocation, its being superseded, the end of its validity, its owner's death."""
    today = today or today_vn()
    found = []
    for event in events_of(document):
        found.append((event["on"], event["event"]))
    if document.state == "revoked" and not any(e == "revoked" for _, e in found):
        found.append((_date(document.modified), "revoked"))
    if document.valid_until and document.valid_until < today:
        found.append((document.valid_until, "validity_ended"))
    elif document.state == "expired":
        found.append((_date(document.modified), "validity_ended"))
    if warehouse is not None:
        for event in events_of(warehouse):
            if event["event"] == "owner_deceased":
                found.append((event["on"], "owner_deceased"))
    if not found:
        return None, None
    return min(found)


def dossier_ended(dossier):
    closing = [e for e in events_of(dossier) if e["event"] == "dossier_closed"]
    if closing:
        return closing[-1]["on"], "dossier_closed"
    if not dossier.is_open:
        when = getattr(dossier, "resolved", None) or (dossier.timeline[-1]["time"] if dossier.timeline else None)
        return _date(when), "dossier_closed"
    return None, None


def dates_for(schedule, ended):
    """(retained_until, first day of disposition) for a work that ended on
    `ended` under `schedule`; (None, None) when permanent or not ended."""
    if schedule is None or schedule.years is None or ended is None:
        return None, None
    last = ended.year + schedule.years
    return datetime.date(last, 12, 31), datetime.date(last + 1, 1, 1)


class Disposition:
    def __init__(self, key, schedule, ended, basis, holds, destroyed, today, bound_by=()):
        self.key, self.schedule, self.ended, self.basis = key, schedule, ended, basis
        self.holds, self.destroyed = holds, destroyed
        self.bound_by = bound_by          # dossiers that keep a paper longer
        self.permanent = schedule is None or schedule.years is None or any(b[2] for b in bound_by)
        self.retained_until, self.date = dates_for(schedule, ended)
        for code, date, permanent in bound_by:
            if permanent:
                self.retained_until = self.date = None
            elif date is None:
                self.retained_until = self.date = None
                self.ended = None
                self.basis = "dossier_open"
            elif self.date is not None and date > self.date:
                self.date = date
                self.retained_until = date - datetime.timedelta(days=1)
        self.due = bool(not destroyed and not self.permanent and self.date is not None
                        and self.date <= today and not holds)

    @property
    def status(self):
        if self.destroyed:
            return "destroyed"
        if self.holds:
            return "held"
        if self.permanent:
            return "permanent"
        if self.date is None:
            return "running"
        return "due" if self.due else "scheduled"

    def as_dict(self):
        s = self.schedule
        return {
            "schedule": {"code": s.code, "name": s.name, "years": s.years} if s is not None else None,
            "permanent": self.permanent, "status": self.status,
            "work_ended": _iso(self.ended), "basis": self.basis,
            "retained_until": _iso(self.retained_until), "disposition_date": _iso(self.date),
            "due": self.due, "held": bool(self.holds),
            "holds": [h.as_dict() for h in self.holds],
            "destroyed": self.destroyed,
        }


STATUS_LABELS = {
    "destroyed": "Đã huỷ", "held": "Đang phong toả (legal hold)", "permanent": "Lưu trữ vĩnh viễn",
    "running": "Chưa bắt đầu tính (còn sử dụng)", "due": "Đến hạn xem xét huỷ", "scheduled": "Đã có hạn huỷ",
}


def _iso(value):
    return value.isoformat() if value else None


def disposition_of(root, obj, today=None, _dossier_cache=None):
    from .dossiers import Dossier
    today = today or today_vn()
    schedule = schedule_of(root, obj)
    holds = holds_on(root, obj)
    destroyed = getattr(obj, "destroyed", None)
    if isinstance(obj, Dossier):
        ended, basis = dossier_ended(obj)
        found = Disposition(key_of(obj), schedule, ended, basis, holds, destroyed, today)
        return _after_transfer(obj, found, today)
    warehouse = obj.__parent__.__parent__ if obj.__parent__ is not None else None
    ended, basis = paper_ended(obj, warehouse, today)
    return Disposition(key_of(obj), schedule, ended, basis, holds, destroyed, today,
                       _bound_by(root, obj, today, _dossier_cache))


def _after_transfer(dossier, found, today):
    """A dossier the agency archive now holds: Kho's copy is due at the
    transfer (repository.archive), a hold still blocks it."""
    from . import archive
    after = archive.disposition_after_transfer(dossier)
    if after is None:
        return found
    found.basis, found.permanent = "transferred", False
    found.date = found.retained_until = after["due"]
    found.due = bool(not found.destroyed and found.date <= today and not found.holds)
    return found


def dossiers_of_paper(document):
    codes = set(document.approved_in or ())
    if document.digitized_for:
        codes.add(document.digitized_for)
    return codes


def _bound_by(root, document, today, cache):
    """(code, disposition date, permanent) of each dossier the paper is a record of."""
    out = []
    for code in sorted(dossiers_of_paper(document)):
        if cache is not None and code in cache:
            out.append(cache[code])
            continue
        dossier = root.dossiers.get(code)
        if dossier is None or getattr(dossier, "destroyed", None):
            continue
        schedule = schedule_of(root, dossier)
        ended, _ = dossier_ended(dossier)
        entry = (code, dates_for(schedule, ended)[1], schedule is None or schedule.years is None)
        if cache is not None:
            cache[code] = entry
        out.append(entry)
    return tuple(out)


# --- events -----------------------------------------------------------------------

def record_event(root, target, event, actor, *, on=None, note=""):
    """An event that starts or changes the count: a paper superseded or revoked,
    the owner deceased (a warehouse), a dossier closed."""
    from .indexing import touched
    if event not in EVENTS:
        raise ValidationError({"event": "Sự kiện là một trong / one of: " + ", ".join(EVENTS)})
    kind = EVENTS[event][0]
    if not key_of(target).startswith(kind + ":"):
        raise ValidationError({"event": f"Sự kiện {event} áp dụng cho {kind} / applies to a {kind}"})
    on = on or today_vn()
    if isinstance(on, str):
        try:
            on = parse_date(on, iso_only=True)
        except ValueError:
            raise ValidationError({"on": "Ngày dạng YYYY-MM-DD / a date YYYY-MM-DD"}) from None
    if on > today_vn():
        raise ValidationError({"on": "Ngày ở tương lai / a date in the future"})
    entry = {"event": event, "on": on, "by": actor.username if actor else "system",
             "note": (note or "").strip(), "at": utcnow()}
    target.retention_events = events_of(target) + (entry,)
    if event == "revoked" and target.state != "revoked":
        target.state = "revoked"
    if kind == "paper":
        touched(root, target)
    owner = getattr(target, "owner_id", None) or getattr(target, "subject_id", None) \
        or getattr(target, "applicant_id", None)
    audit.record(root, actor, "retention_event", subject=owner,
                 document=target.__name__ if kind == "paper" else None,
                 purpose=target.code if kind == "dossier" else None,
                 detail={"event": event, "on": on.isoformat(), "target": key_of(target), "note": entry["note"]})
    return entry


def on_dossier(dossier, actor, action, detail):
    """dossier_events subscriber: a dossier that closes starts its count."""
    if action in CLOSING_ACTIONS and not any(e["event"] == "dossier_closed" for e in events_of(dossier)):
        dossier.retention_events = events_of(dossier) + (
            {"event": "dossier_closed", "on": today_vn(), "by": actor.username if actor else "system",
             "note": action, "at": utcnow()},)


# --- holds ------------------------------------------------------------------------

class Hold(Persistent):
    released = released_by = release_reason = None

    def __init__(self, hold_id, target, reason, placed_by):
        self.id, self.target, self.reason = hold_id, target, reason
        self.placed_by, self.placed = placed_by, utcnow()

    @property
    def active(self):
        return self.released is None

    def as_dict(self):
        return {"id": self.id, "target": self.target, "reason": self.reason, "placed_by": self.placed_by,
                "placed": _iso(self.placed), "active": self.active, "released": _iso(self.released),
                "released_by": self.released_by, "release_reason": self.release_reason}


def _keys_covering(root, obj):
    from .dossiers import Dossier
    key = key_of(obj)
    if isinstance(obj, Dossier):
        return [key] + [f"warehouse:{p}" for p in obj.persons]
    if key.startswith("warehouse:"):
        return [key]
    return [key, f"warehouse:{obj.owner_id}"] + [f"dossier:{c}" for c in sorted(dossiers_of_paper(obj))]


def holds_on(root, obj):
    state = state_of(root)
    if not len(state.held):
        return []
    found = []
    for key in _keys_covering(root, obj):
        for hold_id in state.held.get(key, ()):
            found.append(state.holds[hold_id])
    return found


def place_hold(root, target_key, actor, reason):
    reason = (reason or "").strip()
    errors = {}
    target = resolve(root, (target_key or "").strip())
    if target is None:
        errors["target"] = "Không có giấy tờ, hồ sơ hoặc kho này / no such paper, dossier or warehouse"
    if not reason:
        errors["reason"] = "Cần nêu lý do phong toả / a reason is required"
    if errors:
        raise ValidationError(errors)
    if getattr(target, "destroyed", None):
        raise Conflict("Đã huỷ, không phong toả được / already destroyed")
    state = state_of(root)
    hold = Hold(secrets.token_hex(6), key_of(target), reason[:1000], actor.username)
    state.holds[hold.id] = hold
    ids = state.held.get(hold.target)
    if ids is None:
        ids = state.held[hold.target] = OOTreeSet()
    ids.insert(hold.id)
    audit.record(root, actor, "hold_placed", subject=_owner_of_key(root, hold.target),
                 detail={"hold": hold.id, "target": hold.target, "reason": hold.reason})
    return hold


def release_hold(root, hold_id, actor, reason):
    state = state_of(root)
    hold = state.holds.get(hold_id)
    if hold is None:
        raise ValidationError({"hold": "Không có lệnh phong toả này / no such hold"})
    if not hold.active:
        raise Conflict("Lệnh phong toả đã được gỡ / already released")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Cần nêu lý do gỡ phong toả / a reason is required"})
    hold.released, hold.released_by, hold.release_reason = utcnow(), actor.username, reason[:1000]
    ids = state.held.get(hold.target)
    if ids is not None and hold.id in ids:
        ids.remove(hold.id)
        if not len(ids):
            del state.held[hold.target]
    audit.record(root, actor, "hold_released", subject=_owner_of_key(root, hold.target),
                 detail={"hold": hold.id, "target": hold.target, "reason": hold.release_reason})
    return hold


def holds(root, active_only=True):
    found = [h for h in state_of(root).holds.values() if h.active or not active_only]
    return sorted(found, key=lambda h: h.placed, reverse=True)


def _owner_of_key(root, key):
    kind, _, rest = key.partition(":")
    if kind in ("paper", "warehouse"):
        return rest.split("/", 1)[0]
    dossier = root.dossiers.get(rest)
    return dossier.applicant_id if dossier is not None else None


# --- the review queue -------------------------------------------------------------

class ReviewItem(Persistent):
    deferred_until = decided_by = decided = reason = certificate = None

    def __init__(self, key, kind, label, owner_id, schedule_code, schedule_name, date, retained_until):
        self.key, self.kind, self.label, self.owner_id = key, kind, label, owner_id
        self.schedule_code, self.schedule_name = schedule_code, schedule_name
        self.date, self.retained_until = date, retained_until
        self.queued = utcnow()
        self.state = PENDING

    def as_dict(self):
        return {"key": self.key, "kind": self.kind, "label": self.label, "owner_id": self.owner_id,
                "schedule": self.schedule_code, "schedule_name": self.schedule_name,
                "disposition_date": _iso(self.date), "retained_until": _iso(self.retained_until),
                "queued": _iso(self.queued), "state": self.state,
                "deferred_until": _iso(self.deferred_until), "decided_by": self.decided_by,
                "decided": _iso(self.decided), "reason": self.reason, "certificate": self.certificate}


def queue_items(root, state=None):
    items = state_of(root).queue.values()
    found = [i for i in items if state is None or i.state == state]
    return sorted(found, key=lambda i: (i.date or datetime.date.max, i.key))


class RunReport:
    def __init__(self):
        self.papers = self.dossiers = 0
        self.due, self.queued, self.requeued, self.held, self.revalidated = [], [], [], [], []
        self.seconds = 0.0

    def as_dict(self):
        return {"papers": self.papers, "dossiers": self.dossiers, "due": len(self.due),
                "queued": len(self.queued), "requeued": len(self.requeued), "held": len(self.held),
                "revalidated": len(self.revalidated), "seconds": round(self.seconds, 3)}


def _validity_changed(document, today):
    """The paper's validity changed by date since it was last indexed (the
    index holds the state of its last change): re-index it."""
    until = document.valid_until
    return (until is not None and until < today and document.state == "in_force"
            and document.modified.date() <= until)


def scan(root, today=None, report=None):
    """Yield (object, Disposition) for every paper and dossier not destroyed
    whose disposition date has come or which is held; counts go to report.
    Papers whose validity changed by date are listed in report.revalidated."""
    today = today or today_vn()
    report = report if report is not None else RunReport()
    dossier_cache = {}
    schedules = {}
    for code, doctype in root.catalogues.doctypes.items():
        schedule = root.catalogues.retention.get(doctype.retention_class)
        schedules[code] = schedule
    fallback = root.catalogues.retention.get(FALLBACK)
    jar = root._p_jar
    for count, warehouse in enumerate(root.subjects.values(), 1):
        if jar is not None and count % 500 == 0:
            jar.cacheGC()             # a scan of millions keeps the cache at its size, not all it read
        deceased = bool(getattr(warehouse, "retention_events", None))
        for document in warehouse.documents.values():
            report.papers += 1
            if document.destroyed:
                continue
            if _validity_changed(document, today):
                report.revalidated.append(document)
            schedule = schedules.get(document.type_code, fallback)
            if schedule is None or schedule.years is None:
                continue          # permanent: nothing to compute
            if (not deceased and document.state == "in_force"
                    and not document.retention_events
                    and (document.valid_until is None or document.valid_until >= today)):
                continue          # in use: the count has not started
            disposition = disposition_of(root, document, today, dossier_cache)
            if disposition.due or disposition.holds and disposition.date and disposition.date <= today:
                yield document, disposition
    for dossier in root.dossiers.values():
        report.dossiers += 1
        if getattr(dossier, "destroyed", None) or dossier.is_open:
            continue
        disposition = disposition_of(root, dossier, today)
        if disposition.due or disposition.holds and disposition.date and disposition.date <= today:
            yield dossier, disposition


def run(root, actor, *, today=None, dry_run=False):
    """The nightly work: what is due goes to the review queue (a deferred
    item whose time has come goes back); held records are reported, never
    queued; papers whose validity changed by date are re-indexed."""
    from .indexing import touched
    started = time.perf_counter()
    today = today or today_vn()
    report = RunReport()
    queue = state_of(root).queue
    for obj, disposition in scan(root, today, report):
        key = disposition.key
        if disposition.holds:
            report.held.append(key)
            continue
        report.due.append(key)
        item = queue.get(key)
        if item is None:
            report.queued.append(key)
            if not dry_run:
                queue[key] = ReviewItem(
                    key, key.split(":", 1)[0], label_of(obj),
                    getattr(obj, "owner_id", None) or getattr(obj, "applicant_id", None),
                    disposition.schedule.code, disposition.schedule.name, disposition.date,
                    disposition.retained_until)
        elif item.state == DEFERRED and item.deferred_until and item.deferred_until <= today:
            report.requeued.append(key)
            if not dry_run:
                item.state = PENDING
    if not dry_run:
        for document in report.revalidated:
            touched(root, document)
    report.seconds = time.perf_counter() - started
    if not dry_run:
        runs = state_of(root).runs
        runs.append(dict(report.as_dict(), at=utcnow().isoformat(), by=actor.username if actor else "system",
                         today=today.isoformat()))
        del runs[:-30]
        audit.record(root, actor, "retention_run", detail=report.as_dict())
    return report


def due_list(root, today=None):
    """[(object, Disposition)] due or held-but-due now (without writing)."""
    return list(scan(root, today))


def _items(root, keys, states):
    keys = [k for k in (keys or []) if isinstance(k, str)]
    if not keys:
        raise ValidationError({"items": "Chọn ít nhất một mục / choose at least one item"})
    queue = state_of(root).queue
    found = []
    for key in dict.fromkeys(keys):
        item = queue.get(key)
        if item is None:
            raise ValidationError({"items": f"Không có trong danh sách xem xét: {key} / not in the review queue"})
        if item.state not in states:
            raise Conflict(f"Mục {key} đang ở trạng thái «{ITEM_STATES[item.state]}» / not pending")
        found.append(item)
    return found


def defer(root, keys, actor, *, until, reason):
    """Put items off until a date, with a reason; run() brings them back then."""
    errors = {}
    if isinstance(until, str):
        try:
            until = parse_date(until, iso_only=True)
        except ValueError:
            errors["until"] = "Ngày dạng YYYY-MM-DD / a date YYYY-MM-DD"
    if not errors and (not isinstance(until, datetime.date) or until <= today_vn()):
        errors["until"] = "Cần một ngày sau hôm nay / a date after today"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Cần nêu lý do hoãn / a reason is required"
    if errors:
        raise ValidationError(errors)
    items = _items(root, keys, (PENDING, DEFERRED))
    for item in items:
        item.state, item.deferred_until, item.reason = DEFERRED, until, reason[:1000]
        item.decided_by, item.decided = actor.username, utcnow()
        audit.record(root, actor, "disposition_deferred", subject=item.owner_id,
                     detail={"target": item.key, "until": until.isoformat(), "reason": item.reason})
    return items


def approve(root, keys, actor, settings, *, reason=""):
    """Approve the destruction of pending items (one or a batch): each is
    checked again (still due, not held) before anything is destroyed; one
    signed certificate lists them all."""
    from .disposition import certify, destroy
    items = _items(root, keys, (PENDING,))
    today = today_vn()
    targets = []
    for item in items:
        target = resolve(root, item.key)
        if target is None or getattr(target, "destroyed", None):
            raise Conflict(f"{item.key}: không còn / no longer there")
        disposition = disposition_of(root, target, today)
        if disposition.holds:
            raise Conflict(f"{item.label}: đang bị phong toả, không được huỷ / under a legal hold")
        if not disposition.due:
            raise Conflict(f"{item.label}: chưa đến hạn huỷ / not due")
        targets.append((item, target, disposition))
    stubs = []
    for item, target, disposition in targets:
        stubs.extend(destroy(root, target, actor, reason=reason or "Hết thời hạn lưu trữ",
                             schedule=disposition.schedule))
    certificate = certify(root, stubs, actor, settings, basis="retention",
                          reason=reason or "Hết thời hạn lưu trữ / retention period ended")
    for item, _target, _d in targets:
        item.state, item.decided_by, item.decided = DESTROYED, actor.username, utcnow()
        item.certificate = certificate.id
    return certificate


# --- the nightly job --------------------------------------------------------------

def nightly(settings=None, *, db=None, dry_run=False, today=None, index=None, attempts=5):
    """One run() in a transaction of its own (retried on a conflict), then
    the cached previews of destroyed files are removed; returns the report.
    Opens the databases of `settings` unless `db` is given (the app's thread)."""
    import transaction
    from ZODB.POSException import ConflictError
    from .db import app_root, close_databases, open_databases
    from .disposition import purge_derived
    own = db is None
    if own:
        db = open_databases(settings)
    try:
        for attempt in range(attempts):
            tm = transaction.TransactionManager()
            conn = db.open(tm)
            try:
                tm.begin()
                root = app_root(conn)
                report = run(root, None, today=today, dry_run=dry_run)
                if dry_run:
                    tm.abort()
                else:
                    purge_derived(root, (settings or {}).get("kho.cache_dir"), index)
                    tm.commit()
                return report
            except ConflictError:
                tm.abort()
                if attempt == attempts - 1:
                    raise
            finally:
                conn.close()
    finally:
        if own:
            close_databases(db)


class NightlyThread:
    """The app's nightly job (one machine): a daemon thread that runs
    nightly() every day at kho.retention.nightly (HH:MM, Vietnam time,
    default 02:00; 'off': none; run `kho retention run` from cron instead)."""

    def __init__(self, db, settings, at="02:00", index=None):
        import threading
        hour, minute = (int(x) for x in at.split(":", 1))
        self.db, self.settings, self.at, self.index = db, settings, (hour, minute), index
        self.stop = threading.Event()
        self.last = None
        self.thread = threading.Thread(target=self._run, name="kho-retention", daemon=True)

    def seconds_to_next(self, now=None):
        from .calendar import now_vn
        now = now or now_vn()
        target = now.replace(hour=self.at[0], minute=self.at[1], second=0, microsecond=0)
        if target <= now:
            target += datetime.timedelta(days=1)
        return (target - now).total_seconds()

    def _run(self):
        import logging
        log = logging.getLogger(__name__)
        while not self.stop.wait(self.seconds_to_next()):
            try:
                self.last = nightly(self.settings, db=self.db, index=self.index)
                log.info("retention run: %s", self.last.as_dict())
            except Exception:
                log.exception("the nightly retention run failed; it runs again tomorrow")

    def start(self):
        self.thread.start()
        return self

    def shutdown(self, timeout=10):
        self.stop.set()
        self.thread.join(timeout)
