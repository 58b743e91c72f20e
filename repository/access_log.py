"""The owner's access log: who used their papers, when, for what.

Every read and every reuse of the owner's papers, and every staff search that
showed them, newest first: when, who (the account's full name and roles),
which unit, for which dossier, by which channel, which paper. It reads the
index of uses the audit sealer keeps (repository.audit.AuditIndex), so a page
costs the same among ten or ten million entries, and adds the entries not
sealed yet (a few seconds' worth) from the lanes.

Nothing of other owners is shown: the entry's own detail (a search's query
text, a reuse request's id) stays out; only the paper ids of this owner
(which the entries are indexed under) and a dossier code are named."""
import datetime

from . import roles as R
from .audit import AuditTrail, _audit_root, _connection_of, is_use, papers_of
from .calendar import in_vn
from .db import app_root

# detail["via"] → the channel, in words the views translate (msgids)
CHANNELS = {
    "desk": "at the desk", "open": "web page", "download": "web page (download)", "page": "web page",
    "text": "web page (text)", "api": "API", "api_list": "API", "online": "online",
    "list": "web page", "search": "search",
}
ACTIONS = ("read_content", "read_metadata", "reuse", "search_read", "issue_copy", "audit_read")


def format_time(iso):
    """'01/12/2026 14:05' in Vietnam's time."""
    try:
        moment = datetime.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or ""
    return f"{in_vn(moment):%d/%m/%Y %H:%M}"


def uses_of(context, owner_id, paper=None, offset=0, limit=50):
    """(entries, total): the uses of owner_id's papers (or of one paper),
    newest first, `limit` of them from `offset`. context: any stored object
    (the root, the warehouse). Each entry is a plain dict (see `describe`)."""
    offset, limit = max(0, int(offset)), max(0, int(limit))
    conn = _connection_of(context)
    audit_conn, aroot = _audit_root(conn)
    root = app_root(conn)
    if "audit" not in aroot:
        return [], 0
    trail = AuditTrail(audit_conn)

    def matches(entry):
        return (entry.get("subject") == owner_id and is_use(entry)
                and (paper is None or paper in papers_of(entry)))

    pending = [e for e in trail.pending() if matches(e)]
    pending.reverse()                                   # newest first
    index = trail.sealed.index
    if index is None:                                   # a chain not evolved yet: a scan
        sealed = [r for r in trail.sealed if matches(r)]
        sealed.reverse()
        sealed_total = len(sealed)
        page_sealed = sealed[max(0, offset - len(pending)):][:max(0, limit - max(0, len(pending) - offset))]
    else:
        skip = max(0, offset - len(pending))
        want = max(0, limit - max(0, len(pending) - offset))
        seqs, sealed_total = index.seqs(owner_id, paper, offset=skip, limit=want)
        page_sealed = [trail.sealed.entries[s] for s in seqs]
    rows = pending[offset:offset + limit] + page_sealed
    cache = {}
    return [describe(root, e, owner_id, cache) for e in rows[:limit]], len(pending) + sealed_total


def describe(root, entry, owner_id, cache=None):
    """What the access log shows of one entry."""
    cache = {} if cache is None else cache
    accounts = getattr(root, "accounts", None) if root is not None else None
    actor = entry.get("actor") or ""
    user = accounts.users.get(actor) if accounts is not None and actor else None
    roles = [r for r in (entry.get("role") or "").split(",") if r]
    unit = entry.get("unit") or (getattr(user, "desk", None) if user is not None else None)
    detail = entry.get("detail") if isinstance(entry.get("detail"), dict) else {}
    purpose = entry.get("purpose")
    dossier = _dossier_code(root, purpose)
    papers = [p for p in papers_of(entry)]
    return {
        "seq": entry.get("seq"),
        "pending": "seq" not in entry,
        "time": entry.get("time"),
        "when": format_time(entry.get("time")),
        "action": entry.get("action"),
        "actor": actor,
        "actor_name": (user.fullname if user is not None else _actor_fallback(actor)),
        "roles": roles,
        "role_names": ", ".join(R.ROLES.get(r, r) for r in roles),
        "unit": unit,
        "unit_name": _unit_name(root, unit, cache),
        "dossier": dossier,
        "purpose": purpose if dossier is None else None,
        "records_purpose": _records_purpose(purpose),
        "channel": CHANNELS.get(detail.get("via")) if detail.get("via") else
        ("search" if entry.get("action") == "search_read" else None),
        "component": detail.get("component") if entry.get("action") == "reuse" else None,
        "scope": detail.get("scope"),
        "paper": papers[0] if papers else None,
        "papers": [{"id": p, "name": _paper_name(root, owner_id, p, cache)} for p in papers],
    }


def _actor_fallback(actor):
    if actor == "system":
        return "Hệ thống"
    if actor.startswith("subject:"):
        return "Chủ giấy tờ tại quầy"
    return actor


def _dossier_code(root, purpose):
    if not purpose or root is None:
        return None
    code = purpose.split(":", 1)[1] if purpose.startswith("reuse_preview:") else purpose
    dossiers = getattr(root, "dossiers", None)
    try:
        return code if dossiers is not None and code in dossiers else None
    except TypeError:
        return None


def _records_purpose(purpose):
    from .reading import RECORDS_PURPOSES
    return RECORDS_PURPOSES.get(purpose) if purpose else None


def _unit_name(root, unit, cache):
    if not unit or root is None:
        return None
    key = ("unit", unit)
    if key not in cache:
        desk = root.catalogues.desks.get(unit) if getattr(root, "catalogues", None) is not None else None
        cache[key] = getattr(desk, "name", None) or unit
    return cache[key]


def _paper_name(root, owner_id, paper, cache):
    key = ("paper", paper)
    if key not in cache:
        name = None
        warehouse = root.subjects.get(owner_id) if root is not None else None
        document = warehouse.documents.get(paper) if warehouse is not None else None
        if document is not None:
            name = getattr(document, "name", None) or getattr(document, "type_code", None)
        cache[key] = name
    return cache[key]
