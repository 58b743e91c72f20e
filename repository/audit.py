"""The audit trail: append-only, hash-chained, in a database of its own.

It lives in the `audit` database of the ZODB multi-database, so undoing or
packing the main database cannot touch it.

No hot spot. An action appends its entry to a *lane*: a persistent object of
its own for each database connection (a connection serves one transaction at
a time, so no two concurrent transactions ever write the same lane; a
refusal's entry, written apart, goes through a connection of its own too).
Nothing shared is touched, so concurrent requests never conflict over the
audit trail. Each lane is a small hash chain of its own (`lane_hash`), so a
pending entry that is altered or removed is caught before it is sealed.

One sealer (`seal`: `kho audit seal [--follow]`, or the app's sealer thread
where kho.audit.sealer = embedded) folds the pending entries of every lane,
oldest first, into the one hash chain of `AuditLog` (`chain_hash`: each
sealed entry carries the hash of the one before, so `verify` finds the first
entry altered or removed), records up to where each lane is sealed, and
keeps the index of uses by owner and by paper (`AuditIndex`) that the
citizen's access log reads. Only the sealer writes the chain and the index.

`audit_log(conn)` is the whole trail, sealed then pending, in order:
len(), iteration, `.entries[seq]` and `.verify()` cover both."""
import datetime
import hashlib
import heapq
import itertools
import json
import logging
import os
import secrets
import socket
import threading
import time
import weakref

from BTrees.LLBTree import LLTreeSet
from BTrees.LOBTree import LOBTree
from BTrees.OLBTree import OLBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent

log = logging.getLogger(__name__)

GENESIS = "0" * 64
AUDIT_DB = "audit"
LOG_KEY = "audit"                # the sealed chain (an AuditLog) in the audit database's root
LANES_KEY = "audit_lanes"        # the lanes of pending entries (Lanes)
FIELDS = ("seq", "time", "actor", "role", "action", "subject", "document",
          "purpose", "detail", "prev")
EXTRA_FIELDS = ("unit",)         # hashed when present (entries written before they existed lack them)
LANE_FIELDS = ("lane", "lane_seq", "time", "actor", "role", "unit", "action", "subject", "document",
               "purpose", "detail", "prev")
ENTRY_KEYS = ("subject", "document", "purpose", "detail", "when")

# what the owner's access log lists: every read and reuse of the owner's papers
# (staff searches that showed them included); not the owner's own reads
USE_ACTIONS = frozenset({"read_content", "read_metadata", "reuse", "search_read", "issue_copy", "audit_read"})
OWN_PURPOSE = "owner"            # repository.reading.OWNER


class AuditError(RuntimeError):
    pass


def _digest(body):
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(record):
    """SHA-256 over the canonical JSON of a sealed entry's fields (without its hash)."""
    body = {k: record.get(k) for k in FIELDS}
    body.update({k: record[k] for k in EXTRA_FIELDS if k in record})
    return _digest(body)


def lane_hash(entry):
    """SHA-256 of a pending entry within its lane (it carries the lane's previous hash)."""
    return _digest({k: entry.get(k) for k in LANE_FIELDS})


def is_use(entry):
    """Whether the entry belongs in its owner's access log."""
    owner = entry.get("subject")
    if not owner or entry.get("action") not in USE_ACTIONS:
        return False
    if entry.get("purpose") == OWN_PURPOSE or entry.get("actor") == f"subject:{owner}":
        return False                 # the owner looking at their own papers
    if entry.get("role") == "citizen" and not entry.get("purpose") and entry.get("action") != "reuse":
        return False                 # a citizen with no dossier to state acts on their own papers only
    return True


def papers_of(entry):
    """The owner's papers an entry concerns: its document, or the papers a search showed."""
    papers = []
    if entry.get("document"):
        papers.append(entry["document"])
    detail = entry.get("detail")
    if isinstance(detail, dict):
        for paper in detail.get("papers") or ():
            if isinstance(paper, str) and paper not in papers:
                papers.append(paper)
    return papers


class AuditIndex(Persistent):
    """The uses of each owner's papers, by owner and by (owner, paper): sets
    of negated sequence numbers, so that iterating gives the newest first;
    the counts beside them. Written by the sealer only."""

    def __init__(self):
        self.uses = OOBTree()            # owner id → LLTreeSet(-seq)
        self.counts = OLBTree()          # owner id → number of uses
        self.paper_uses = OOBTree()      # (owner id, paper id) → LLTreeSet(-seq)
        self.paper_counts = OOBTree()    # (owner id, paper id) → number of uses

    def add(self, record):
        if not is_use(record):
            return False
        owner, key = record["subject"], -record["seq"]
        _insert(self.uses, self.counts, owner, key)
        for paper in papers_of(record):
            _insert(self.paper_uses, self.paper_counts, (owner, paper), key)
        return True

    def seqs(self, owner, paper=None, offset=0, limit=50):
        """(sequence numbers newest first, total) of owner's uses, or of one paper's."""
        if paper is None:
            tree, total = self.uses.get(owner), self.counts.get(owner, 0)
        else:
            tree, total = self.paper_uses.get((owner, paper)), self.paper_counts.get((owner, paper), 0)
        if tree is None:
            return [], 0
        return [-k for k in itertools.islice(tree, offset, offset + limit)], total


def _insert(sets, counts, key, value):
    tree = sets.get(key)
    if tree is None:
        tree = sets[key] = LLTreeSet()
    if tree.insert(value):
        counts[key] = counts.get(key, 0) + 1


class AuditLog(Persistent):
    """The sealed hash chain (seq → entry), the marks of each lane sealed so
    far and the index of uses."""
    lane_marks = None                    # lane id → (last lane_seq sealed, its lane hash)
    index = None                         # AuditIndex

    def __init__(self):
        self.entries = LOBTree()
        self.head = GENESIS
        self.length = 0
        self.lane_marks = OOBTree()
        self.index = AuditIndex()

    def append(self, *, actor, role, action, subject=None, document=None,
               purpose=None, detail=None, when=None, unit=None):
        """Fold one entry at the end of the chain at once (what every action
        did before lanes; now the sealer's step)."""
        when = when or datetime.datetime.now(datetime.timezone.utc)
        fields = {"time": when.isoformat(), "actor": actor, "role": role, "action": action,
                  "subject": subject, "document": document, "purpose": purpose, "detail": detail}
        if unit is not None:
            fields["unit"] = unit
        return self.fold(fields)

    def fold(self, fields):
        record = {k: fields.get(k) for k in FIELDS if k not in ("seq", "prev")}
        record.update({k: fields[k] for k in EXTRA_FIELDS if fields.get(k) is not None})
        record["seq"] = self.length + 1
        record["prev"] = self.head
        record["hash"] = chain_hash(record)
        self.entries[record["seq"]] = record
        self.head = record["hash"]
        self.length = record["seq"]
        if self.index is not None:
            self.index.add(record)
        return record

    def ensure_structures(self):
        """Marks and index for a chain written before lanes (the evolve step)."""
        if self.lane_marks is None:
            self.lane_marks = OOBTree()
        if self.index is None:
            index = AuditIndex()
            for record in self.entries.values():
                index.add(record)
            self.index = index

    def __len__(self):
        return self.length

    def __iter__(self):
        return iter(self.entries.values())

    def verify(self):
        """(True, None) when the chain holds; else (False, (seq, reason))."""
        prev = GENESIS
        expected_seq = 1
        for seq, record in self.entries.items():
            if seq != expected_seq:
                return False, (expected_seq, "entry missing")
            if record.get("prev") != prev:
                return False, (seq, "link to the previous entry is broken")
            if chain_hash(record) != record.get("hash"):
                return False, (seq, "entry content does not match its hash")
            prev = record["hash"]
            expected_seq += 1
        if expected_seq - 1 != self.length or prev != self.head:
            return False, (expected_seq, "entries after this point are missing")
        return True, None

    def for_subject(self, subject_id):
        return [r for r in self.entries.values() if r.get("subject") == subject_id]


class Lane(Persistent):
    """The pending entries written through one database connection."""

    def __init__(self, lane_id):
        self.lane_id = lane_id
        self.entries = LOBTree()         # lane_seq → entry
        self.next = 1
        self.head = GENESIS

    def append(self, fields):
        entry = dict(fields, lane=self.lane_id, lane_seq=self.next, prev=self.head)
        entry["hash"] = lane_hash(entry)
        self.entries[self.next] = entry
        self.head = entry["hash"]
        self.next += 1
        return entry


class Lanes(Persistent):
    def __init__(self):
        self.lanes = OOBTree()           # lane id → Lane


# -- the lane of a connection ------------------------------------------------

_PROCESS = f"{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"
_lane_numbers = itertools.count(1)
_lane_ids = weakref.WeakKeyDictionary()
_lane_lock = threading.Lock()


def _lane_id_of(audit_conn):
    global _PROCESS
    with _lane_lock:
        if not _PROCESS.startswith(f"{socket.gethostname()}.{os.getpid()}."):
            _PROCESS = f"{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"   # after a fork
        lane_id = _lane_ids.get(audit_conn)
        if lane_id is None or not lane_id.startswith(_PROCESS):
            lane_id = _lane_ids[audit_conn] = f"{_PROCESS}.{next(_lane_numbers)}"
        return lane_id


def _audit_root(any_connection):
    try:
        conn = any_connection.get_connection(AUDIT_DB)
    except KeyError:
        raise AuditError(
            "No 'audit' database is configured (zodbconn.uri.audit)") from None
    return conn, conn.root()


def lane_of(audit_conn):
    """This connection's lane (made the first time: one insertion into the
    tree of lanes, which resolves with other insertions)."""
    root = audit_conn.root()
    lanes = root.get(LANES_KEY)
    if lanes is None:
        lanes = root[LANES_KEY] = Lanes()
    lane_id = _lane_id_of(audit_conn)
    lane = lanes.lanes.get(lane_id)
    if lane is None:
        lane = lanes.lanes[lane_id] = Lane(lane_id)
    return lane


def entry_fields(actor, action, fields):
    unknown = set(fields) - set(ENTRY_KEYS)
    if unknown:
        raise TypeError(f"unknown audit fields: {', '.join(sorted(unknown))}")
    when = fields.get("when") or datetime.datetime.now(datetime.timezone.utc)
    entry = {
        "time": when.isoformat(),
        "actor": actor.username if actor else "system",
        "role": ",".join(sorted(actor.roles)) if actor else "system",
        "action": action, "subject": fields.get("subject"), "document": fields.get("document"),
        "purpose": fields.get("purpose"), "detail": fields.get("detail"),
    }
    unit = getattr(actor, "desk", None) if actor else None
    if unit:
        entry["unit"] = unit
    return entry


def record(context, actor, action, **fields):
    """Append an entry for an action on context (any persistent object in the
    tree) to this connection's lane; returns the pending entry.

    actor is a User or None (the system). fields: subject (the owner's id),
    document, purpose (a dossier code or a records purpose), detail, when."""
    conn, _ = _audit_root(_connection_of(context))
    return lane_of(conn).append(entry_fields(actor, action, fields))


def _connection_of(obj):
    while obj is not None:
        if getattr(obj, "_p_jar", None) is not None:
            return obj._p_jar
        obj = getattr(obj, "__parent__", None)
    raise AuditError("object is not stored in a database yet")


def record_apart(context, actor, action, attempts=5, **fields):
    """Append an entry in a transaction of its own, committed at once: for a
    refusal, whose request transaction is aborted but whose attempt the
    owner must still see. It goes through a connection (a lane) of its own."""
    from .db import apart
    db = _connection_of(context).db().databases[AUDIT_DB]
    entry = entry_fields(actor, action, fields)
    return apart(db, lambda conn: lane_of(conn).append(entry), attempts)


# -- the whole trail: sealed, then pending -------------------------------------

def _pending_of(lane, mark):
    """The lane's entries after mark (lane_seq, hash), in order."""
    return lane.entries.values(min=mark[0] + 1)


def _order_key(entry):
    return (entry.get("time") or "", entry.get("lane") or "", entry.get("lane_seq") or 0)


class AuditTrail:
    """The audit trail as one sequence: the sealed chain, then the pending
    entries in the order the sealer will fold them (each given the sequence
    number it would get, with "pending": True)."""

    def __init__(self, audit_conn):
        root = audit_conn.root()
        self.conn = audit_conn
        self.sealed = root[LOG_KEY]
        self.lanes = root.get(LANES_KEY)

    @property
    def head(self):
        return self.sealed.head

    @property
    def length(self):
        return len(self)

    @property
    def entries(self):
        return _EntriesView(self)

    def mark(self, lane_id):
        marks = self.sealed.lane_marks
        return (marks.get(lane_id) if marks is not None else None) or (0, GENESIS)

    def pending_count(self):
        if self.lanes is None:
            return 0
        return sum(max(0, lane.next - 1 - self.mark(lane_id)[0])
                   for lane_id, lane in self.lanes.lanes.items())

    def pending(self):
        """The pending entries in sealing order (the stored dicts: do not change them)."""
        if self.lanes is None:
            return iter(())
        streams = [_pending_of(lane, self.mark(lane_id)) for lane_id, lane in self.lanes.lanes.items()
                   if lane.next - 1 > self.mark(lane_id)[0]]
        return heapq.merge(*streams, key=_order_key)

    def __len__(self):
        return self.sealed.length + self.pending_count()

    def __iter__(self):
        yield from self.sealed.entries.values()
        for seq, entry in enumerate(self.pending(), self.sealed.length + 1):
            yield dict(entry, seq=seq, pending=True)

    def __bool__(self):
        return True

    def append(self, **fields):
        """A pending entry through this connection's lane (tests, scripts)."""
        actor = fields.pop("actor", "system")
        entry = {"time": (fields.pop("when", None) or datetime.datetime.now(datetime.timezone.utc)).isoformat(),
                 "actor": actor, "role": fields.pop("role", "system"), "action": fields.pop("action"),
                 "subject": fields.pop("subject", None), "document": fields.pop("document", None),
                 "purpose": fields.pop("purpose", None), "detail": fields.pop("detail", None)}
        if fields.get("unit"):
            entry["unit"] = fields["unit"]
        return lane_of(self.conn).append(entry)

    def verify(self):
        """(True, None), or (False, (where, reason)) for the first broken
        entry: where is the sequence number of a sealed entry, or
        "<lane>#<n>" for a pending one."""
        ok, broken = self.sealed.verify()
        if not ok:
            return ok, broken
        lanes = self.lanes.lanes if self.lanes is not None else {}
        for lane_id, (lane_seq, _) in (self.sealed.lane_marks or {}).items():
            if lane_id not in lanes:
                return False, (f"{lane_id}#{lane_seq + 1}", "the lane of these pending entries is missing")
        for lane_id, lane in lanes.items():
            broken = verify_lane(lane, self.mark(lane_id))
            if broken is not None:
                return False, broken
        return True, None

    def for_subject(self, subject_id):
        return [r for r in self if r.get("subject") == subject_id]


def verify_lane(lane, mark):
    """None, or (where, reason) for the first broken pending entry of lane."""
    expected, prev = mark[0] + 1, mark[1]
    for seq, entry in lane.entries.items(min=mark[0] + 1):
        where = f"{lane.lane_id}#{expected}"
        if seq != expected:
            return where, "pending entry missing"
        if entry.get("prev") != prev or entry.get("lane_seq") != seq or entry.get("lane") != lane.lane_id:
            return where, "link to the previous pending entry is broken"
        if lane_hash(entry) != entry.get("hash"):
            return where, "pending entry content does not match its hash"
        prev = entry["hash"]
        expected += 1
    if expected != lane.next or prev != lane.head:
        return f"{lane.lane_id}#{expected}", "pending entries after this point are missing"
    return None


class _EntriesView:
    """`trail.entries`: seq → entry over sealed and pending entries."""

    def __init__(self, trail):
        self.trail = trail

    def __len__(self):
        return len(self.trail)

    def __getitem__(self, seq):
        sealed = self.trail.sealed
        if 1 <= seq <= sealed.length:
            return sealed.entries[seq]
        if seq > sealed.length:
            entry = next(itertools.islice(self.trail.pending(), seq - sealed.length - 1, None), None)
            if entry is not None:
                return dict(entry, seq=seq, pending=True)
        raise KeyError(seq)

    def __setitem__(self, seq, record):        # tests that alter a sealed entry
        self.trail.sealed.entries[seq] = record

    def __delitem__(self, seq):
        del self.trail.sealed.entries[seq]

    def __contains__(self, seq):
        return 1 <= seq <= len(self.trail)

    def keys(self):
        return range(1, len(self.trail) + 1)

    def values(self):
        return iter(self.trail)

    def items(self):
        return ((r["seq"], r) for r in self.trail)


def audit_log(any_connection):
    """The whole audit trail (AuditTrail) of the multi-database that
    any_connection belongs to."""
    conn, root = _audit_root(any_connection)
    if LOG_KEY not in root:
        root[LOG_KEY] = AuditLog()
    return AuditTrail(conn)


def sealed_log(any_connection):
    """The sealed chain (AuditLog) itself."""
    conn, root = _audit_root(any_connection)
    if LOG_KEY not in root:
        root[LOG_KEY] = AuditLog()
    return root[LOG_KEY]


# -- the sealer ----------------------------------------------------------------

def seal(audit_conn, limit=None):
    """Fold pending entries, oldest first, into the chain; return (sealed,
    broken): how many, and the pending entries that did not verify (their
    lane stops there, and `verify` names them). The caller commits."""
    root = audit_conn.root()
    if LOG_KEY not in root:
        root[LOG_KEY] = AuditLog()
    chain = root[LOG_KEY]
    chain.ensure_structures()
    lanes = root.get(LANES_KEY)
    if lanes is None:
        return 0, []
    broken = []
    streams = []
    for lane_id, lane in lanes.lanes.items():
        mark = chain.lane_marks.get(lane_id) or (0, GENESIS)
        if lane.next - 1 > mark[0]:
            streams.append(_checked(lane, mark, broken))
    count = 0
    for entry in heapq.merge(*streams, key=_order_key):
        chain.fold(entry)
        chain.lane_marks[entry["lane"]] = (entry["lane_seq"], entry["hash"])
        count += 1
        if limit is not None and count >= limit:
            break
    return count, broken


def _checked(lane, mark, broken):
    prev, expected = mark[1], mark[0] + 1
    for seq, entry in lane.entries.items(min=mark[0] + 1, max=lane.next - 1):
        if (seq != expected or entry.get("prev") != prev or entry.get("lane_seq") != seq
                or lane_hash(entry) != entry.get("hash")):
            broken.append(f"{lane.lane_id}#{expected}")
            return
        prev = entry["hash"]
        expected += 1
        yield entry


SEAL_BATCH = 200        # entries per sealing transaction: the audit storage's commit lock is held briefly
PRUNE_KEEP = 256        # sealed entries left at the end of each lane: more than a bucket (60), so
PRUNE_SURPLUS = 512     # the writer's last bucket is not touched; prune a lane only past this many


def prune(audit_conn, keep=PRUNE_KEEP, surplus=PRUNE_SURPLUS):
    """Remove from the lanes the entries already sealed, but each lane's
    last `keep` (so that the bucket a writer appends to is left alone), and
    only where `surplus` of them have gathered (so that pruning is rare).
    The sealed copy is the record; the caller commits. Returns how many."""
    root = audit_conn.root()
    chain, lanes = root.get(LOG_KEY), root.get(LANES_KEY)
    if chain is None or lanes is None or chain.lane_marks is None:
        return 0
    removed = 0
    for lane_id, lane in lanes.lanes.items():
        mark = chain.lane_marks.get(lane_id)
        if not mark:
            continue
        upto = min(mark[0], lane.next - 1 - keep)
        if upto < 1 or not lane.entries or upto - lane.entries.minKey() + 1 < surplus:
            continue
        keys = list(lane.entries.keys(max=upto))
        for key in keys:
            del lane.entries[key]
        removed += len(keys)
    return removed


def seal_db(db, batch=SEAL_BATCH, attempts=5, prune_after=True, limit=None):
    """A sealing run on a database (the main one of a multi-database, or
    the audit one): what is pending, `batch` entries per transaction of its
    own (at most `limit`), then a prune. Returns (sealed, broken)."""
    from ZODB.POSException import ConflictError

    from .db import apart
    audit_db = db.databases.get(AUDIT_DB, db) if hasattr(db, "databases") else db
    total, broken = 0, []
    while True:
        sealed, broken = apart(audit_db, lambda conn: seal(conn, batch), attempts)
        total += sealed
        if sealed < batch or (limit is not None and total >= limit):
            break
    if prune_after and total:
        try:
            apart(audit_db, prune, 1)
        except ConflictError:
            pass                          # a writer split its bucket meanwhile: next time
    if broken:
        log.error("audit: pending entries that do not verify were not sealed: %s", ", ".join(broken))
    return total, broken


class SealerThread:
    """The one sealer of an app on one machine (kho.audit.sealer = embedded):
    seals every `interval` seconds. With several app processes (ZEO,
    RelStorage) run `kho audit seal --follow` once instead."""

    def __init__(self, db, interval=2.0):
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kho-audit-sealer", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                seal_db(self.db)
            except Exception:                  # the next run tries again
                if self._stop.is_set():
                    return
                log.exception("audit sealer")

    def shutdown(self, timeout=10):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def follow(db, interval=2.0, stop=None):
    """`kho audit seal --follow`: seal every `interval` seconds until stopped."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            seal_db(db)
        except Exception:                       # the next run tries again
            log.exception("audit sealer")
        stop.wait(interval)
    return 0


def wait_sealed(db, timeout=30.0):
    """Seal until nothing is pending (tests, benches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not seal_db(db)[0] and not audit_pending(db):
            return True
    return False


def audit_pending(db):
    from .db import apart
    audit_db = db.databases.get(AUDIT_DB, db) if hasattr(db, "databases") else db
    return apart(audit_db, lambda conn: AuditTrail(conn).pending_count() if LOG_KEY in conn.root() else 0)
