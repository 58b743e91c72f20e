"""The audit trail as the records manager and the auditor read it: the status
of `kho audit verify`, kept with its time, and the entries newest first.

Verifying recomputes every hash of the chain (millions of entries: seconds
to minutes), so a page does not do it on every view: the status is kept per
audit database in this process (`trail_status`) and recomputed when it is
older than max_age or when someone asks (a button, a POST). One thread
verifies at a time; the others meanwhile get the status they had. The
counts beside it (sealed, pending) are read fresh each time, they cost
nothing. `kho audit verify` remains the check of record.

Entries are listed newest first, pending (unsealed) ones first and marked,
filtered by actor, owner, action and a date range (days in Vietnam time).
The trail has no index by actor or action, so a page reads the sealed chain
backwards in slices of the BTree and examines at most `scan_limit` entries;
`next_before` says where the next page (or the rest of the scan) starts. An
`until` day first finds its place in the chain by bisection on the entries'
times (they are sealed in time order), so old days are reached at once.

Reading the trail is itself audited (`audit_read`, detail: the filters, how
many entries were shown and the owners they concern)."""
import datetime
import re
import threading
import time
from dataclasses import dataclass

from . import audit
from .calendar import VN
from .errors import ValidationError, checked_together, text_filters

MAX_AGE = 600.0              # seconds a verification is trusted by a page
PAGE = 50
MAX_PAGE = 200
SCAN_LIMIT = 20_000
SLICE = 500                  # sealed entries read from the BTree at a time
SLACK = datetime.timedelta(minutes=10)    # entries are sealed in time order within this
_ACTION = set("abcdefghijklmnopqrstuvwxyz_")


@dataclass(frozen=True)
class Verification:
    ok: bool | None           # None: no audit database
    where: str | None
    reason: str | None
    verified: int             # entries the verification covered
    checked: datetime.datetime
    seconds: float
    by: str | None


_kept = {}                    # audit database's storage name → Verification
_busy = {}                    # → threading.Lock
_guard = threading.Lock()


def _key(audit_conn):
    return audit_conn.db().storage.getName()


def verify_now(any_connection, by=None):
    """Verify the whole trail now; the result is kept and returned."""
    try:
        trail = audit.audit_log(any_connection)
    except audit.AuditError as exc:
        return Verification(None, None, str(exc), 0, datetime.datetime.now(datetime.timezone.utc), 0.0, by)
    started = time.perf_counter()
    ok, broken = trail.verify()
    result = Verification(ok, str(broken[0]) if broken else None, broken[1] if broken else None,
                          len(trail), datetime.datetime.now(datetime.timezone.utc),
                          time.perf_counter() - started, by)
    with _guard:
        _kept[_key(trail.conn)] = result
    return result


def trail_status(any_connection, max_age=MAX_AGE, force=False, by=None):
    """(Verification, sealed, pending): the kept verification, recomputed if
    older than max_age seconds or forced (one thread at a time: the others
    get the kept one); the current counts of sealed and pending entries."""
    try:
        trail = audit.audit_log(any_connection)
    except audit.AuditError as exc:
        return Verification(None, None, str(exc), 0, datetime.datetime.now(datetime.timezone.utc), 0.0, by), 0, 0
    key = _key(trail.conn)
    with _guard:
        kept = _kept.get(key)
        lock = _busy.setdefault(key, threading.Lock())
    asked = datetime.datetime.now(datetime.timezone.utc)
    if force or kept is None or (asked - kept.checked).total_seconds() > max_age:
        if lock.acquire(blocking=kept is None or force):
            try:
                with _guard:
                    latest = _kept.get(key)
                if latest is not None and latest.checked >= asked:
                    kept = latest            # verified by another thread while this one waited
                else:
                    kept = verify_now(any_connection, by=by)
            finally:
                lock.release()
        else:
            kept = _kept.get(key) or kept
    return kept, trail.sealed.length, trail.pending_count()


def forget():
    """Drop the kept verifications (tests)."""
    with _guard:
        _kept.clear()


# --- the entries -------------------------------------------------------------------

def _day(value, name):
    from .calendar import DATE_ERROR, parse_date
    try:
        return parse_date(value)
    except ValueError:
        raise ValidationError({name: DATE_ERROR}) from None


def parse_filters(params):
    """The viewer's filters (actor, owner, action, since, until) and
    `before` (a sequence number), checked; ValidationError names each bad one."""
    found, errors = text_filters(params, ("actor", "owner", "action", "since", "until", "before"))
    if len(found.get("actor", "")) > 64:
        errors["actor"] = "Tên tài khoản quá dài / the username is too long"
    if len(found.get("owner", "")) > 32:
        errors["owner"] = "Mã chủ sở hữu quá dài / the owner id is too long"
    if "action" in found and (len(found["action"]) > 40 or not set(found["action"]) <= _ACTION):
        errors["action"] = "Hành động là chữ thường và dấu _ (ví dụ read_content) / an action is like read_content"
    for name in ("since", "until"):
        if name in found:
            try:
                found[name] = _day(found[name], name)
            except ValidationError as exc:
                errors.update(exc.errors)
                continue
            if not 1900 <= found[name].year <= 2100:
                errors[name] = "Năm từ 1900 đến 2100 / a year from 1900 to 2100"
    if isinstance(found.get("since"), datetime.date) and isinstance(found.get("until"), datetime.date) \
            and found["since"] > found["until"]:
        errors["until"] = "Ngày kết thúc trước ngày bắt đầu / the end is before the start"
    if "before" in found:
        if not re.fullmatch(r"[0-9]{1,13}", found["before"]) or not 1 <= int(found["before"]) <= 10 ** 12:
            errors["before"] = "Cần một số thứ tự / a sequence number is expected"
        else:
            found["before"] = int(found["before"])
    if errors:
        raise ValidationError(errors)
    return found


def limit_arg(params):
    try:
        limit = int(params.get("limit") or PAGE)
    except (TypeError, ValueError):
        raise ValidationError({"limit": "Số dòng phải là số / limit is a number"}) from None
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError({"limit": f"Số dòng từ 1 đến {MAX_PAGE} / limit is from 1 to {MAX_PAGE}"})
    return limit


def parse_request(params):
    """(filters, limit) of a request, every bad parameter named at once."""
    filters, limit = checked_together(lambda: parse_filters(params), lambda: limit_arg(params))
    return filters, limit


def _bound(day, end=False):
    """The ISO text of the first moment of a Vietnam day (or of the next day)."""
    start = datetime.datetime.combine(day + datetime.timedelta(days=1 if end else 0), datetime.time(), VN)
    return start.astimezone(datetime.timezone.utc).isoformat()


def _matches(entry, filters, since, until):
    if "actor" in filters and entry.get("actor") != filters["actor"]:
        return False
    if "owner" in filters and entry.get("subject") != filters["owner"]:
        return False
    if "action" in filters and entry.get("action") != filters["action"]:
        return False
    moment = _utc_text(entry.get("time"))
    return (since is None or moment >= since) and (until is None or moment < until)


def _utc_text(value):
    try:
        return datetime.datetime.fromisoformat(value).astimezone(datetime.timezone.utc).isoformat()
    except (TypeError, ValueError):
        return ""


def _last_seq_before(chain, until):
    """The highest sealed sequence number whose time is before `until`
    (ISO, UTC) plus the slack of sealing order, by bisection."""
    low, high = 1, chain.length
    limit = (datetime.datetime.fromisoformat(until) + SLACK).isoformat()
    while low <= high:
        middle = (low + high) // 2
        entry = chain.entries.get(middle)
        if entry is not None and _utc_text(entry.get("time")) < limit:
            low = middle + 1
        else:
            high = middle - 1
    return high


def _sealed_backwards(chain, top):
    """Sealed entries from seq `top` down to 1, read SLICE at a time."""
    while top >= 1:
        low = max(1, top - SLICE + 1)
        for entry in reversed(list(chain.entries.values(min=low, max=top))):
            yield entry
        top = low - 1


def trail_entries(any_connection, filters, limit=PAGE, scan_limit=SCAN_LIMIT):
    """{"items", "next_before", "scanned", "sealed", "pending"}: up to `limit`
    entries matching `filters` (from parse_filters), newest first, pending
    ones first (with "pending": True), below `before` when given."""
    trail = audit.audit_log(any_connection)
    chain = trail.sealed
    since = _bound(filters["since"]) if "since" in filters else None
    until = _bound(filters["until"], end=True) if "until" in filters else None
    before = filters.get("before")
    pending = [dict(e, seq=seq, pending=True) for seq, e in enumerate(trail.pending(), chain.length + 1)]
    top = chain.length if before is None else min(before - 1, chain.length)
    if until is not None:
        top = min(top, _last_seq_before(chain, until))
    stop_at = (datetime.datetime.fromisoformat(since) - SLACK).isoformat() if since else None

    def candidates():
        for entry in reversed(pending):
            if before is None or entry["seq"] < before:
                yield entry
        yield from _sealed_backwards(chain, top)

    items, scanned, next_before = [], 0, None
    for entry in candidates():
        if len(items) >= limit or scanned >= scan_limit:
            next_before = entry["seq"] + 1
            break
        scanned += 1
        if stop_at is not None and not entry.get("pending") and _utc_text(entry.get("time")) < stop_at:
            break                       # older than the range, beyond the sealing slack
        if _matches(entry, filters, since, until):
            items.append(entry)
    return {"items": items, "next_before": next_before, "scanned": scanned, "sealed": chain.length,
            "pending": len(pending)}


def described(filters):
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in sorted(filters.items())}


def log_trail_read(root, user, filters, items):
    """Reading the trail is itself audited: one `audit_read` entry per owner
    whose entries the page showed (so each sees it in their access log),
    or one without an owner when it showed none."""
    owners = sorted({e.get("subject") for e in items if e.get("subject")})
    detail = {"filters": described(filters), "shown": len(items)}
    for owner in owners:
        audit.record(root, user, "audit_read", subject=owner, detail=detail)
    if not owners:
        audit.record(root, user, "audit_read", detail=detail)


def log_verification(root, user, verification):
    audit.record(root, user, "audit_verified", detail={"ok": verification.ok, "where": verification.where,
                                                       "entries": verification.verified,
                                                       "seconds": round(verification.seconds, 3)})
