"""Server-side sessions: the browser holds only a random id, what a session
holds lives here, in the main database, where every app process sees it
(FileStorage, ZEO or RelStorage alike).

A record is keyed by the SHA-256 of its id, so a copy of the database hands
out no working cookie. A session ends at log-out, after an idle time, after
its absolute lifetime, when its user's password changes, and when an
administrator ends the user's sessions; it then stops working at once in
every process.

Writes are kept rare: a record is written when what it holds changes, and
its last-seen time at most every `touch` seconds. An anonymous visitor gets
no record at all until something is stored for them (the web layer derives
their CSRF token from the id), and expired records are swept a few at a time
as new ones are made, so anonymous traffic does not fill the database."""
import hashlib
import random
import secrets
import time
from typing import NamedTuple

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent


class Timeouts(NamedTuple):
    """Seconds: idle (since last seen), lifetime (since made), touch (how
    often the last-seen time may be rewritten)."""
    idle: float = 3600.0
    lifetime: float = 10 * 3600.0
    touch: float = 300.0


SWEEP_CHANCE = 0.1      # a new record sweeps with this chance …
SWEEP_BATCH = 50        # … this many records, from a random place


def new_id():
    """A fresh session id: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(session_id):
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


class Session(Persistent):
    """What one session holds: its user (None: anonymous) and its data."""

    def __init__(self, username, now):
        self.username = username
        self.created = now
        self.seen = now
        self.data = {}

    def expired(self, now, timeouts):
        return now - self.created >= timeouts.lifetime or now - self.seen >= timeouts.idle

    def touch(self, now, timeouts):
        """Mark it seen, at most once per timeouts.touch seconds (a write)."""
        if now - self.seen >= timeouts.touch:
            self.seen = now

    def save(self, data):
        """Replace what it holds (data: a plain dict of picklable values);
        writes only if it differs."""
        if data != self.data:
            self.data = data

    def _p_resolveConflict(self, old, saved, new):
        """Two requests of one session wrote at once (a page's images, each
        counted): keep both sides' changes, key by key (one level into dicts,
        appends to lists), the later last-seen time; the same key changed
        both ways keeps this transaction's value."""
        merged = dict(saved)
        merged["seen"] = max(saved.get("seen", 0), new.get("seen", 0))
        merged["data"] = _merge(old.get("data") or {}, saved.get("data") or {}, new.get("data") or {})
        return merged


def _merge(old, saved, new, depth=0):
    result = dict(saved)
    for key in set(old) | set(new):
        if key not in new:
            result.pop(key, None)                     # removed here (a flash queue popped)
            continue
        mine, before, theirs = new[key], old.get(key), saved.get(key)
        if mine == before:
            continue
        if depth == 0 and isinstance(mine, dict) and isinstance(theirs, dict) and isinstance(before, dict):
            result[key] = _merge(before, theirs, mine, depth + 1)
        elif isinstance(mine, list) and isinstance(theirs, list) and isinstance(before, list) \
                and mine[:len(before)] == before and theirs[:len(before)] == before:
            result[key] = theirs + mine[len(before):]  # both appended
        else:
            result[key] = mine
    return result


class SessionStore(Persistent):
    """root.sessions: sha256(id) → Session, and (username, sha256(id)) to end
    one user's sessions without reading the others."""

    def __init__(self):
        self.records = OOBTree()
        self.by_user = OOTreeSet()

    def find(self, session_id, now=None, timeouts=Timeouts()):
        """The live Session for this id, or None. Only reads: an expired one
        is left to the sweep (a request that finds its session expired is
        usually refused, and its transaction aborted)."""
        if not session_id:
            return None
        now = time.time() if now is None else now
        record = self.records.get(digest(session_id))
        if record is None or record.expired(now, timeouts):
            return None
        return record

    def create(self, session_id, username=None, now=None, timeouts=Timeouts(), sweep=None):
        """A new record for this id (a fresh one: see new_id)."""
        now = time.time() if now is None else now
        key = digest(session_id)
        old = self.records.get(key)
        if old is not None:
            self._remove(key, old)
        record = Session(username, now)
        self.records[key] = record
        if username:
            self.by_user.insert((username, key))
        if sweep is None:
            sweep = random.random() < SWEEP_CHANCE
        if sweep:
            self.sweep(now, timeouts)
        return record

    def end(self, session_id):
        """End one session; whether there was one."""
        key = digest(session_id or "")
        record = self.records.get(key)
        if record is None:
            return False
        self._remove(key, record)
        return True

    def end_for_user(self, username):
        """End every session of username; how many there were."""
        keys = [key for _, key in self.by_user.keys(min=(username, ""), max=(username, "~"))]
        for key in keys:
            record = self.records.get(key)
            if record is not None:
                self._remove(key, record)
            else:
                self.by_user.remove((username, key))
        return len(keys)

    def count_for_user(self, username):
        return len(self.by_user.keys(min=(username, ""), max=(username, "~")))

    def sweep(self, now=None, timeouts=Timeouts(), limit=SWEEP_BATCH):
        """Look at up to limit records from a random place (the keys are
        hashes, so any place is as good) and remove the expired ones; how
        many were removed."""
        now = time.time() if now is None else now
        start = secrets.token_hex(32)
        seen = list(self.records.items(min=start))[:limit]
        if len(seen) < limit:
            seen += list(self.records.items(max=start, excludemax=True))[:limit - len(seen)]
        removed = 0
        for key, record in seen:
            if record.expired(now, timeouts):
                self._remove(key, record)
                removed += 1
        return removed

    def _remove(self, key, record):
        del self.records[key]
        if record.username:
            try:
                self.by_user.remove((record.username, key))
            except KeyError:
                pass

    def __len__(self):
        return len(self.records)


def store(root):
    """The session store of the app root (made by evolve; made here for a
    root that was never evolved, as in a unit test)."""
    sessions = getattr(root, "sessions", None)
    if sessions is None:
        sessions = root.sessions = SessionStore()
    return sessions


def open_session(root, username, now=None, timeouts=Timeouts()):
    """A new session of username; returns its id (the cookie's value)."""
    session_id = new_id()
    store(root).create(session_id, username, now, timeouts)
    return session_id


def save_apart(db, session_id, data, now=None, timeouts=Timeouts(), attempts=5):
    """Save what a session holds in a transaction of its own: for a request
    whose own transaction was doomed (a refusal that writes nothing) but
    which still tells its visitor something (a flash message). An anonymous
    session gets its record; a signed-in session that has ended stays ended."""
    from .db import ROOT_KEY, apart

    def save(conn):
        sessions = store(conn.root()[ROOT_KEY])
        record = sessions.find(session_id, now, timeouts)
        if record is None and data:
            if sessions.records.get(digest(session_id)) is not None:
                return                      # ended meanwhile (or expired): not brought back
            record = sessions.create(session_id, None, now, timeouts, sweep=False)
        if record is not None:
            record.save(data)
    apart(db, save, attempts)


def end_sessions(root, username):
    """End every session of username (no audit: see accounts.end_sessions)."""
    return store(root).end_for_user(username)
