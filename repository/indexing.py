"""Keeping the full-text index consistent with ZODB.

A change marks the document dirty *inside* its transaction (a persistent
queue, so a crash after commit loses nothing); after commit, one writer per
index (the Indexer, guarded by a lock) reads the current state of each dirty
document, applies upserts and deletions in one index commit, and clears the
entries it handled. Whatever a dead process left in the queue is applied
when the next Indexer starts. Stamps (the document's modification time)
let `check` find documents missing, stale or orphaned in the index."""
import logging
import threading
import time

import transaction
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent
from ZODB.POSException import ConflictError

from .db import app_root
from .resources import utcnow

log = logging.getLogger(__name__)
KICK = "kho_index_kick"   # attribute of a ZODB DB: the callable that indexes after commit


class IndexQueue(Persistent):
    """Dirty document keys → a change counter (so a key dirtied again while
    it is being indexed is not cleared by mistake)."""

    def __init__(self):
        self.pending = OOBTree()
        self.changes = Length()

    def mark(self, key):
        self.changes.change(1)
        self.pending[key] = self.changes()


class DeskOwners(Persistent):
    """Unit code → the persons of the dossiers that unit received or resolves:
    the warehouses its staff may find (search permission)."""

    def __init__(self):
        self.by_desk = OOBTree()

    def add(self, desk, owner_id):
        if not desk:
            return
        owners = self.by_desk.get(desk)
        if owners is None:
            owners = self.by_desk[desk] = OOTreeSet()
        owners.insert(owner_id)

    def owners(self, desks):
        found = set()
        for desk in desks:
            found.update(self.by_desk.get(desk, ()))
        return found


def doc_key(document):
    return f"{document.owner_id}/{document.__name__}"


def desk_of(root, document):
    """The unit whose dossier brought the paper (from the dossier code), or
    the desk of the account that added it."""
    if document.dossier_code:
        return document.dossier_code.split("-", 1)[0]
    user = root.accounts.users.get(document.created_by)
    return getattr(user, "desk", None) or ""


def queue_for_index(root, document):
    """Queue document for the index (in the transaction)."""
    root.index_queue.mark(doc_key(document))


def touched(root, document):
    """Record that document changed: new stamp, queued for the index."""
    document.modified = utcnow()
    queue_for_index(root, document)
    conn = document._p_jar or root._p_jar
    kick = getattr(conn.db(), KICK, None) if conn is not None else None
    if kick is not None:
        conn.transaction_manager.get().addAfterCommitHook(_after_commit, (kick,))


def _after_commit(committed, kick):
    if committed:
        kick()


def stamp_of(document):
    return document.modified.isoformat()


def record_of(root, document):
    state = document.effective_state()
    return {
        "doc_id": doc_key(document), "text": document.text, "paper_name": document.name,
        "type_code": document.type_code, "number": document.number, "issuer": document.issuer,
        "issue_date": document.issue_date, "valid_until": document.valid_until,
        "validity": state, "state": state, "owner_id": document.owner_id,
        "dossier_codes": [document.dossier_code] if document.dossier_code else [],
        "provenance": document.provenance, "desk": desk_of(root, document),
        "stamp": stamp_of(document),
    }


def find_document(root, key):
    owner, _, name = key.partition("/")
    warehouse = root.subjects.get(owner)
    return warehouse.documents.get(name) if warehouse is not None else None


def all_documents(root):
    for warehouse in root.subjects.values():
        yield from warehouse.documents.in_use()


class Indexer:
    """The one writer of an index directory in this process."""

    def __init__(self, db, index_dir, replace_outdated=False):
        """`replace_outdated`: an index written by another version is
        replaced by an empty one (then `.index.replaced`: reindex); otherwise
        search.IndexOutdated is raised."""
        import search
        self.index = search.open_index(index_dir, replace_outdated=replace_outdated)
        self.db = db
        self.tm = transaction.TransactionManager()
        self.conn = db.open(self.tm)
        self.lock = threading.RLock()

    def close(self):
        with self.lock:
            self.tm.abort()
            self.conn.close()

    def process_pending(self):
        """Apply every queued change; returns how many keys were handled."""
        with self.lock:
            self.tm.begin()
            root = app_root(self.conn)
            pending = dict(root.index_queue.pending.items())
            if not pending:
                self.tm.abort()
                return 0
            upserts, deletes = [], []
            for key in pending:
                document = find_document(root, key)
                if document is None or document.deleted:
                    deletes.append(key)
                else:
                    upserts.append(record_of(root, document))
            self.tm.abort()
            self.index.apply(upserts=upserts, deletes=deletes)
            self._clear(pending)
            return len(pending)

    def _clear(self, handled):
        for attempt in range(10):
            try:
                with self.tm:
                    queue = app_root(self.conn).index_queue.pending
                    for key, version in handled.items():
                        if queue.get(key) == version:
                            del queue[key]
                return
            except ConflictError:
                time.sleep(0.05 * (attempt + 1))
        log.warning("could not clear %d index queue entries; they will be indexed again", len(handled))

    def expected_stamps(self):
        with self.lock:
            self.tm.begin()
            try:
                return {doc_key(d): stamp_of(d) for d in all_documents(app_root(self.conn))}
            finally:
                self.tm.abort()

    def check(self):
        """search.StampDrift between the repository and the index."""
        import search
        return search.compare_stamps(self.expected_stamps(), self.index.stamps())

    def reindex(self, progress=None, procs=1):
        """Rebuild the whole index from the repository; returns the count.
        progress(done, total, label) follows the documents indexed; `procs`
        > 1 forks indexing processes: only where no other thread runs (a
        command line), never inside a server."""
        with self.lock:
            self.tm.begin()
            root = app_root(self.conn)
            pending = dict(root.index_queue.pending.items())
            records = [record_of(root, d) for d in all_documents(root)]
            self.tm.abort()
            count = self.index.rebuild(
                records, procs=procs,
                progress=progress and (lambda done, total: progress(done, total, "indexing")))
            self._clear(pending)
            return count


class IndexerThread:
    """Runs the Indexer after each commit that marked documents (the request
    waits for it, so a change is findable at once; an apply writes one small
    segment, a few milliseconds at any index size, and merges run in the
    background: search.live) and every few seconds, for changes made by
    other processes."""

    def __init__(self, db, index_dir, interval=2.0):
        # the index is derived data: one from another version is rebuilt at start
        self.indexer = Indexer(db, index_dir, replace_outdated=True)
        self.stop = threading.Event()
        self.interval = interval
        self.thread = threading.Thread(target=self._run, name="kho-indexer", daemon=True)

    def kick(self):
        try:
            self.indexer.process_pending()
        except Exception:
            log.exception("indexing after commit failed; the queue keeps the changes")

    def _run(self):
        while not self.stop.is_set():
            self.kick()
            self.stop.wait(self.interval)

    def start(self):
        if self.indexer.index.replaced:
            log.warning("the search index in %s was made by another version: rebuilding it",
                        self.indexer.index.path)
            self.indexer.reindex()
        self.kick()                  # what a dead process left behind
        setattr(self.indexer.db, KICK, self.kick)
        self.thread.start()
        return self

    def shutdown(self, timeout=10):
        setattr(self.indexer.db, KICK, None)
        self.stop.set()
        self.thread.join(timeout)
        self.indexer.close()
