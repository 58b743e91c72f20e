"""The audit trail: append-only, hash-chained, in a database of its own.

It lives in the `audit` database of the ZODB multi-database, so undoing or
packing the main database cannot touch it; each entry carries the hash of the
one before, so `verify` finds the first entry that was altered or removed."""
import datetime
import hashlib
import json

from BTrees.LOBTree import LOBTree
from persistent import Persistent

GENESIS = "0" * 64
AUDIT_DB = "audit"
FIELDS = ("seq", "time", "actor", "role", "action", "subject", "document",
          "purpose", "detail", "prev")


class AuditError(RuntimeError):
    pass


def chain_hash(record):
    """SHA-256 over the canonical JSON of an entry's fields (without its hash)."""
    body = json.dumps({k: record.get(k) for k in FIELDS}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditLog(Persistent):
    def __init__(self):
        self.entries = LOBTree()
        self.head = GENESIS
        self.length = 0

    def append(self, *, actor, role, action, subject=None, document=None,
               purpose=None, detail=None, when=None):
        when = when or datetime.datetime.now(datetime.timezone.utc)
        record = {
            "seq": self.length + 1, "time": when.isoformat(), "actor": actor,
            "role": role, "action": action, "subject": subject,
            "document": document, "purpose": purpose, "detail": detail,
            "prev": self.head,
        }
        record["hash"] = chain_hash(record)
        self.entries[record["seq"]] = record
        self.head = record["hash"]
        self.length = record["seq"]
        return record

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


def audit_log(any_connection):
    """The AuditLog of the multi-database that any_connection belongs to."""
    try:
        conn = any_connection.get_connection(AUDIT_DB)
    except KeyError:
        raise AuditError(
            "No 'audit' database is configured (zodbconn.uri.audit)") from None
    root = conn.root()
    if "audit" not in root:
        root["audit"] = AuditLog()
    return root["audit"]


def record(context, actor, action, **fields):
    """Append an entry for an action on context (any persistent object in the tree).

    actor is a User or None (the system)."""
    conn = _connection_of(context)
    log = audit_log(conn)
    return log.append(
        actor=actor.username if actor else "system",
        role=",".join(sorted(actor.roles)) if actor else "system",
        action=action, **fields)


def _connection_of(obj):
    while obj is not None:
        if getattr(obj, "_p_jar", None) is not None:
            return obj._p_jar
        obj = getattr(obj, "__parent__", None)
    raise AuditError("object is not stored in a database yet")


def record_apart(context, actor, action, attempts=5, **fields):
    """Append an entry in a transaction of its own, committed at once: for a
    refusal, whose request transaction is aborted but whose attempt the
    owner must still see."""
    from .db import apart
    db = _connection_of(context).db().databases[AUDIT_DB]

    def append(conn):
        root = conn.root()
        if "audit" not in root:
            root["audit"] = AuditLog()
        root["audit"].append(
            actor=actor.username if actor else "system",
            role=",".join(sorted(actor.roles)) if actor else "system", action=action, **fields)
    apart(db, append, attempts)
