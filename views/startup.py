"""At start: make sure the database exists and is at the code's generation,
and start the OCR worker thread where the settings ask for one."""
import atexit
import logging

import transaction

from repository.db import app_root
from repository.evolve import GENERATION, evolve, generation_of

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
            if current and registry.settings.get("kho.auto_evolve") != "true":
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
    if registry.settings.get("kho.ocr.embedded_worker") != "true":
        return None
    from repository.ocr_jobs import EmbeddedWorker
    worker = EmbeddedWorker(registry._zodb_databases[""], registry.settings).start()
    registry.kho_ocr_worker = worker
    atexit.register(worker.shutdown)
    return worker
