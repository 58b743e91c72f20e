"""At start: make sure the database exists and is at the code's generation,
and start the OCR worker thread where the settings ask for one."""
import atexit
import logging

import transaction
from pyramid.settings import asbool

from repository.db import app_root
from repository.evolve import GENERATION, evolve, generation_of

from .services import (BACKGROUND, IAuditSealer, IIndexer, IOCRWorker, IRetentionJob, ISearchIndex,
                       ISearchWarming, lookup, register)

log = logging.getLogger(__name__)


class OutdatedDatabase(RuntimeError):
    pass


def prepare_database(registry):
    db = registry._zodb_databases[""]
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        current = generation_of(conn.root())
        if current < GENERATION:
            if current and not asbool(registry.settings.get("kho.auto_evolve")):
                raise OutdatedDatabase(
                    f"The database is at generation {current}, the code at {GENERATION}: run `kho evolve`")
            evolve(conn)
            log.info("database evolved from generation %s to %s", current, GENERATION)
        elif current > GENERATION:
            raise OutdatedDatabase(
                f"The database (generation {current}) is newer than this code ({GENERATION})")
        assert app_root(conn) is not None
    finally:
        tm.abort()
        conn.close()


def start_ocr_worker(registry):
    """One machine, one process (FileStorage): OCR runs in a thread of the app.
    With ZEO or RelStorage, run `kho worker` processes instead."""
    if not asbool(registry.settings.get("kho.ocr.embedded_worker")):
        return None
    from repository.ocr_jobs import EmbeddedWorker
    worker = EmbeddedWorker(registry._zodb_databases[""], registry.settings).start()
    register(registry, IOCRWorker, worker)
    atexit.register(worker.shutdown)
    return worker


def start_audit_sealer(registry):
    """kho.audit.sealer = embedded (one app process, development.ini): the
    app seals the audit trail's pending entries in a thread every
    kho.audit.seal_interval seconds (2). With several app processes (ZEO,
    RelStorage: production.ini says `process`) run one `kho audit seal
    --follow` instead. Unset: nothing seals (tests seal when they mean to)."""
    if registry.settings.get("kho.audit.sealer") != "embedded":
        return None
    from repository.audit import SealerThread
    interval = float(registry.settings.get("kho.audit.seal_interval", "2"))
    sealer = SealerThread(registry._zodb_databases[""], interval).start()
    register(registry, IAuditSealer, sealer)
    atexit.register(sealer.shutdown)
    return sealer


def start_search(registry):
    """The index for reads, and where kho.search.indexer = embedded, the one
    writer of this process (one machine). Otherwise a `kho search indexer`
    process applies the queue."""
    index_dir = registry.settings.get("kho.index_dir")
    if not index_dir:
        register(registry, ISearchIndex, None)
        return None
    import search
    db = registry._zodb_databases[""]
    thread = None
    if registry.settings.get("kho.search.indexer", "embedded") == "embedded":
        from repository.indexing import IndexerThread
        thread = IndexerThread(db, index_dir).start()
        register(registry, IIndexer, thread)
        register(registry, ISearchIndex, thread.indexer.index)
        atexit.register(thread.shutdown)
    else:
        register(registry, ISearchIndex, search.open_index(index_dir))
    if asbool(registry.settings.get("kho.search.warm", "true")):
        start_search_warming(registry)
    return thread


WARM_EVERY = 60.0   # seconds between looks for segments that merges made


class SearchWarming:
    """ISearchWarming: shutdown() stops the warming thread."""

    def __init__(self, stop):
        self.stop = stop

    def shutdown(self):
        self.stop.set()


def start_search_warming(registry):
    """Read the commonest words' posting lists in the background, so the
    first searches after a start (or after a merge of segments) are as quick
    as the later ones."""
    import threading
    stop = threading.Event()
    index = lookup(registry, ISearchIndex)

    def run():
        while not stop.is_set():
            try:
                lists = index.warm(stop=stop)
                if lists:
                    log.info("search index warmed: %d posting lists read into memory", lists)
            except Exception:
                log.exception("warming the search index failed (searches still work)")
            stop.wait(WARM_EVERY)

    register(registry, ISearchWarming, SearchWarming(stop))
    threading.Thread(target=run, name="kho-search-warm", daemon=True).start()


def start_retention(registry):
    """After a destruction commits: remove the cached previews of the
    destroyed files and merge the index (so deleted entries leave its
    files). And the nightly retention run (repository.retention.NightlyThread)
    at kho.retention.nightly (HH:MM, default 02:00; 'off' for none: then
    `kho retention run` from cron)."""
    from repository import disposition
    from repository.db import keep_no_old_copy
    from repository.retention import NightlyThread
    settings = registry.settings
    db = registry._zodb_databases[""]
    keep_no_old_copy(db.storage)
    index = lookup(registry, ISearchIndex)
    indexer = lookup(registry, IIndexer)

    def purge():
        def work(conn):
            if indexer is not None:
                indexer.kick()
            from repository.db import app_root
            # the index's merge (a rewrite) waits for the nightly run or `kho retention pack`
            return disposition.purge_derived(app_root(conn), settings.get("kho.cache_dir"))
        try:
            from repository.db import apart
            apart(db, work)
        except Exception:
            log.exception("removing the derived files of a destruction failed; the nightly run retries")
    setattr(db, disposition.PURGE_HOOK, purge)
    at = settings.get("kho.retention.nightly", "02:00")
    if at == "off":
        return None
    thread = NightlyThread(db, settings, at=at, index=index if indexer is not None else None).start()
    register(registry, IRetentionJob, thread)
    atexit.register(thread.shutdown)
    return thread


def shutdown(registry):
    """Stop the background threads and close the databases (tests, reloads)."""
    for iface in BACKGROUND:
        worker = lookup(registry, iface)
        if worker is not None:
            worker.shutdown()
            register(registry, iface, None)
    for db in list(registry._zodb_databases.values()):
        db.close()
